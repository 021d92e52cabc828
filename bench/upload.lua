-- wrk script: upload the same body under a new name on every request.
-- usage: wrk -s bench/upload.lua URL -- <body file> <method> <path prefix> <run tag>
--   kos:     POST "/files?name="  (raw body named by ?name=)
--   nginx:   PUT  "/obj/"         (WebDAV, create_full_put_path on)
--   S3Proxy: PUT  "/bench/"       (bucket "bench")
-- The setup()/thread:set idiom for per-thread ids comes from /work/shared/bench/limits.sh.
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  body = f:read("*a")
  f:close()
  method, prefix, tag = args[2], args[3], args[4]
  n = 0
  -- explicit type: kos takes a raw body only as application/octet-stream
  headers = { ["Content-Type"] = "application/octet-stream" }
end

function request()
  n = n + 1
  return wrk.format(method, prefix .. tag .. "-t" .. tid .. "-" .. n, headers, body)
end
