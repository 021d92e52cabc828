#!/usr/bin/env bash
# What one walk over every node's stored copies costs PostgreSQL, as the rebalancer's periodic pass
# (every rebalance.interval, 60 s by default) and the cleanup worker's reaper page through them,
# against the size of the store. A scratch cluster (the embedded PostgreSQL binaries the stack
# extracted under /tmp/embedded-pg, or PG_BIN) gets the project's migrations and CHUNKS synthetic
# completed one-chunk files spread over six nodes; each walk runs in PL/pgSQL, whose cached plans
# are generic after five executions, as a JDBC prepared statement's are, in pages of 500.
#   bench/walk-cost.sh [CHUNKS ...]        default: 25000 50000 100000
# Prints, per size, the milliseconds of one full walk:
#   joined   - each page joins chunk_locations, chunks and files (the walk before 112603c)
#   ids      - each page reads chunk ids from the (node_id, state, chunk_id) index alone (a pass
#              on a settled ring: no copy is elsewhere, so nothing more is fetched)
#   lateral  - each page fetches its chunks one by one (ChunkRepository.locationsOnNode since 112603c)
set -euo pipefail
cd "$(dirname "$0")/.."
SIZES=("$@")
[ $# -gt 0 ] || SIZES=(25000 50000 100000)
PG_BIN="${PG_BIN:-$(ls -d /tmp/embedded-pg/PG-*/bin 2>/dev/null | head -1)}"
[ -x "$PG_BIN/postgres" ] || { echo "no PostgreSQL binaries: run bin/start once, or set PG_BIN" >&2; exit 1; }
PSQL="$(command -v psql || true)"
[ -n "$PSQL" ] || { echo "psql is missing (Debian: postgresql-client)" >&2; exit 1; }
W=$(mktemp -d)
PORT=$((20000 + RANDOM % 10000))
as_owner=()
cleanup() { "${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$W/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$W"; }
trap cleanup EXIT
# initdb refuses root: as root, the scratch cluster belongs to nobody.
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u nobody --); chown nobody "$W"; fi
"${as_owner[@]}" "$PG_BIN/initdb" -D "$W/data" -U postgres -A trust >/dev/null
"${as_owner[@]}" "$PG_BIN/pg_ctl" -D "$W/data" -o "-p $PORT -k $W -c listen_addresses=127.0.0.1 -c shared_buffers=256MB" \
  -l "$W/pg.log" -w start >/dev/null
q() { "$PSQL" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qAt "$@"; }
for m in metadata/src/main/resources/db/migration/V*.sql; do q -f "$m" >/dev/null; done
q -c "INSERT INTO storage_nodes (node_id, address) SELECT 'node-' || n, '127.0.0.1:1' FROM generate_series(1, 6) n"

# One PL/pgSQL walk per page query: every node, pages of 500 after the last chunk id seen.
# The query's one column is the chunk id; NODE and CUR are the walk's variables.
walk_function() {
  q >/dev/null <<SQL
CREATE FUNCTION $1() RETURNS bigint AS \$\$
DECLARE n bigint := 0; cur text; k int; node text; last text;
BEGIN
  FOR node IN SELECT node_id FROM storage_nodes ORDER BY node_id LOOP
    cur := '';
    LOOP
      k := 0;
      FOR last IN $2 LIMIT 500 LOOP
        k := k + 1; cur := last;
      END LOOP;
      n := n + k;
      EXIT WHEN k < 500;
    END LOOP;
  END LOOP;
  RETURN n;
END \$\$ LANGUAGE plpgsql;
SQL
}
walk_function walk_joined "SELECT l.chunk_id FROM chunk_locations l JOIN chunks c ON c.chunk_id = l.chunk_id
    JOIN files f ON f.file_id = c.file_id
    WHERE l.node_id = node AND l.state = 'stored' AND l.chunk_id > cur AND f.status = 'completed' ORDER BY l.chunk_id"
walk_function walk_ids "SELECT chunk_id FROM chunk_locations WHERE node_id = node AND state = 'stored' AND chunk_id > cur
    ORDER BY chunk_id"
walk_function walk_lateral "SELECT l.chunk_id FROM chunk_locations l CROSS JOIN LATERAL (SELECT file_id, chunk_index,
    size_bytes, crc32c FROM chunks WHERE chunks.chunk_id = l.chunk_id OFFSET 0) c
    WHERE l.node_id = node AND l.state = 'stored' AND l.chunk_id > cur ORDER BY l.chunk_id"

# Milliseconds of one call of a walk function, the best of three (the first warms the caches).
best_ms() {
  local best="" t
  for _ in 1 2 3; do
    t=$(q -c '\timing on' -c "SELECT $1()" | awk '/^Time:/ { print $2 }')
    if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then best=$t; fi
  done
  printf '%.0f' "$best"
}

printf '| chunks | joined, ms | ids, ms | lateral, ms |\n|---:|---:|---:|---:|\n'
have=0
for size in "${SIZES[@]}"; do
  # Grow the store to SIZE one-chunk completed files, each chunk on one node.
  q -c "WITH f AS (INSERT INTO files (file_id, name, content_type, size_bytes, sha256, status, chunk_size, chunk_count)
          SELECT gen_random_uuid(), 'walk-' || i, 'application/octet-stream', 1024, repeat('a', 64), 'completed', 16777216, 1
          FROM generate_series($have + 1, $size) i RETURNING file_id),
        c AS (INSERT INTO chunks (file_id, chunk_index, chunk_id, size_bytes, crc32c)
          SELECT file_id, 0, replace(file_id::text, '-', '') || '-000000', 1024, '\\x00000000'::bytea FROM f RETURNING chunk_id)
        INSERT INTO chunk_locations (chunk_id, node_id, state)
          SELECT chunk_id, 'node-' || (1 + abs(hashtext(chunk_id)) % 6), 'stored' FROM c" >/dev/null
  have=$size
  q -c "VACUUM ANALYZE files" -c "VACUUM ANALYZE chunks" -c "VACUUM ANALYZE chunk_locations" >/dev/null
  printf '| %d | %s | %s | %s |\n' "$size" "$(best_ms walk_joined)" "$(best_ms walk_ids)" "$(best_ms walk_lateral)"
done
