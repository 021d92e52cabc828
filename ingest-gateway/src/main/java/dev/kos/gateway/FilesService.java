package dev.kos.gateway;

import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileQuery;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.NewFile;
import dev.kos.metadata.Page;
import dev.kos.metadata.SortOrder;
import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.Status;
import io.helidon.webserver.http.HttpRules;
import io.helidon.webserver.http.HttpService;
import io.helidon.webserver.http.ServerRequest;
import io.helidon.webserver.http.ServerResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.logging.Logger;

/** The /files resource: upload, download (ranges, HEAD, ETag), metadata, listing, delete. */
public final class FilesService implements HttpService {
    private static final Logger LOG = Logger.getLogger(FilesService.class.getName());
    private static final HeaderName CONTENT_DISPOSITION = HeaderNames.CONTENT_DISPOSITION;
    private static final int DEFAULT_PER_PAGE = 20;
    /** The API's bound (openapi.yaml), stricter than the repository's: one JSON page stays small. */
    private static final int MAX_PER_PAGE = Math.min(100, FileQuery.MAX_PER_PAGE);

    private final Gateway gateway;
    private final UploadRequests uploads;

    public FilesService(Gateway gateway) {
        this.gateway = gateway;
        this.uploads = new UploadRequests(gateway.config().maxFileSize());
    }

    @Override
    public void routing(HttpRules rules) {
        rules.post("/", this::upload)
                .get("/", this::list)
                .get("/{id}/metadata", this::metadata)
                .get("/{id}", this::download)
                .head("/{id}", this::download)
                .delete("/{id}", this::delete);
    }

    private void upload(ServerRequest req, ServerResponse res) throws Exception {
        long began = System.nanoTime();
        IncomingFile file = uploads.open(req);
        UUID fileId = UUID.randomUUID();
        FileCatalog catalog = gateway.catalog();
        NewFile newFile = new NewFile(fileId, file.name(), file.contentType(), Optional.empty(), gateway.pipeline().chunkSize());
        // Begun (pending, with a session) only once the body fills a chunk: an upload that fits in
        // one chunk is recorded whole, in one transaction, when its chunk is stored.
        AtomicBoolean begun = new AtomicBoolean();
        AtomicLong received = new AtomicLong(); // body bytes read: an unbegun failure reports them
        List<StoredChunk> stored = new ArrayList<>();
        // The final chunk, durable but recorded only with the seal (one commit fewer per upload).
        AtomicReference<StoredChunk> lastChunk = new AtomicReference<>();
        UploadResult result;
        IdleWatchdog.Ticket ticket = gateway.watchdog().watch("upload " + fileId);
        try {
            result = gateway.pipeline().upload(fileId, file.body(), file.expectedSha256(), new UploadSink() {
                @Override
                public void spansChunks() {
                    catalog.begin(newFile, file.declaredSize());
                    begun.set(true);
                }

                @Override
                public void chunkStored(StoredChunk chunk, long bytesReceived) {
                    stored.add(chunk);
                    ticket.touch();
                    catalog.chunkStored(fileId, chunk, bytesReceived);
                }

                @Override
                public void lastChunkStored(StoredChunk chunk, long bytesReceived) {
                    stored.add(chunk);
                    ticket.touch();
                    lastChunk.set(chunk);
                }

                @Override
                public void progress(long bytesReceived) {
                    received.lazySet(bytesReceived);
                    ticket.touch();
                }

                @Override
                public void gatewayWaiting(boolean waiting) {
                    if (waiting) {
                        ticket.pause();
                    } else {
                        ticket.resume();
                    }
                }
            });
            if (file.multipart().isPresent()) {
                drainTrailingParts(file.multipart().get());
            }
        } catch (Exception e) {
            ticket.close();
            ApiException failure = asUploadFailure(e, ticket.fired());
            if (begun.get()) {
                recordDeferred(fileId, lastChunk.get(), result(stored));
            }
            abandon(newFile, file.declaredSize(), begun.get(), received.get(), failure, stored);
            throw failure;
        } finally {
            ticket.close();
        }
        // Watched before the seal commits, so its settle cannot be missed and nothing is read until it comes.
        try (SettledListener.Waiter waiter = catalog.watchSettled(fileId)) {
            try {
                if (begun.get()) {
                    catalog.seal(newFile, result, Optional.ofNullable(lastChunk.get()));
                } else {
                    catalog.recordSealed(newFile, file.declaredSize(), result);
                }
            } catch (RuntimeException e) {
                // The seal may have failed before or after its commit: the chunk is never deleted here,
                // since a committed seal may already be completing. A begun upload records it (so cleanup
                // finds it with the expired upload); otherwise it is the orphan collector's, if unrecorded.
                if (begun.get()) {
                    recordDeferred(fileId, lastChunk.get(), result.size());
                }
                throw e;
            }
            long sealedAt = System.nanoTime();
            LOG.info(() -> "upload " + fileId + " sealed: " + result.size() + " bytes, " + result.chunks().size()
                    + " chunks, sha256 " + result.sha256() + ", " + (sealedAt - began) / 1_000_000
                    + " ms after the request began");
            FileDetail settled = catalog.awaitSettled(waiter, newFile, result, gateway.config().completionWait())
                    .orElseThrow(() -> new IllegalStateException("file " + fileId + " vanished after sealing"));
            FileRecord f = settled.file();
            LOG.info(() -> "upload " + fileId + " settled: " + f.status().dbValue() + " after "
                    + (System.nanoTime() - sealedAt) / 1_000_000 + " ms waiting");
            res.header(HeaderNames.LOCATION, "/files/" + fileId + (f.status() == FileStatus.COMPLETED ? "" : "/metadata"));
            if (f.status() == FileStatus.COMPLETED) {
                res.status(Status.CREATED_201);
            } else if (f.status() == FileStatus.FAILED) {
                throw new ApiException(Status.INTERNAL_SERVER_ERROR_500, "finalization_failed",
                        "the upload was stored but could not be finalized: " + f.failureReason().orElse("unknown"));
            } else {
                res.status(Status.ACCEPTED_202);
            }
            sendJson(res, detailJson(settled));
        }
    }

    private static long result(List<StoredChunk> stored) {
        return stored.stream().mapToLong(StoredChunk::size).sum();
    }

    /**
     * Records a final chunk that was to go in with the seal, when the seal will not happen (or
     * failed): recorded, the cleanup worker deletes it with the failed upload; otherwise it would
     * wait for the orphan collector's grace period.
     */
    private void recordDeferred(UUID fileId, StoredChunk chunk, long bytesReceived) {
        if (chunk == null) {
            return;
        }
        // The idle watchdog may have interrupted this thread, and JDBC refuses to work on an
        // interrupted thread: the flag is set aside for the write and restored after.
        boolean interrupted = Thread.interrupted();
        try {
            gateway.catalog().chunkStored(fileId, chunk, bytesReceived);
        } catch (RuntimeException e) {
            LOG.warning(() -> "upload " + fileId + ": final chunk " + chunk.chunkId() + " could not be recorded ("
                    + e.getMessage() + "); the orphan collector will remove it if the upload did not complete");
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** After the file part, trailing form fields are read and ignored, so the request ends cleanly. */
    private static void drainTrailingParts(MultipartStream multipart) throws IOException {
        while (multipart.next().isPresent()) {
            // next() skips the previous part's body
        }
    }

    private ApiException asUploadFailure(Exception e, boolean idle) {
        if (idle) {
            return new ApiException(Status.REQUEST_TIMEOUT_408, "idle_timeout",
                    "no body bytes for " + gateway.config().idleTimeout(), e);
        }
        if (e instanceof ApiException api) {
            return api;
        }
        if (e instanceof IOException || e instanceof UncheckedIOException || e instanceof InterruptedException) {
            return ApiException.badRequest("body_incomplete", "the request body ended or broke: " + e.getMessage());
        }
        return new ApiException(Status.INTERNAL_SERVER_ERROR_500, "internal_error", "upload failed: " + e, e);
    }

    /**
     * Marks the upload failed (an upload never begun is recorded failed at once, with the
     * {@code received} body bytes it read) and drops the chunks it stored: nothing of it stays
     * readable.
     */
    private void abandon(NewFile newFile, long declaredSize, boolean begun, long received, ApiException failure,
                         List<StoredChunk> stored) {
        UUID fileId = newFile.fileId();
        String reason = failure.code() + ": " + failure.getMessage();
        try {
            if (begun) {
                gateway.catalog().fail(fileId, reason);
            } else {
                gateway.catalog().recordFailed(newFile, declaredSize, reason, received);
            }
        } catch (RuntimeException e) {
            LOG.warning(() -> "upload " + fileId + ": could not mark it failed: " + e.getMessage());
        }
        LOG.warning(() -> "upload " + fileId + " failed (" + failure.status().code() + " " + failure.code() + "): "
                + failure.getMessage());
        if (!stored.isEmpty()) {
            List<StoredChunk> orphans = List.copyOf(stored);
            // Best effort and off the request thread; the cleanup worker collects what this misses.
            Thread.ofVirtual().name("drop-" + fileId).start(() -> orphans.forEach(c -> {
                try {
                    gateway.clients().client(c.nodeAddress()).delete(c.chunkId());
                } catch (RuntimeException e) {
                    LOG.fine(() -> "could not delete orphan chunk " + c.chunkId() + ": " + e.getMessage());
                }
            }));
        }
    }

    /** The file with its chunks, unless it does not exist or is deleted (404). */
    private KnownFile visibleFile(ServerRequest req) {
        UUID id = FileIds.parse(req.path().pathParameters().get("id"));
        return gateway.catalog().detail(id).filter(k -> k.detail().file().status().listedByDefault())
                .orElseThrow(() -> ApiException.notFound("file_not_found", "no file " + id));
    }

    private static FileRecord completed(FileRecord f) {
        if (f.status() != FileStatus.COMPLETED) {
            throw new ApiException(Status.CONFLICT_409, "file_not_completed",
                    "file " + f.fileId() + " is " + f.status().dbValue() + ", not completed");
        }
        return f;
    }

    private void download(ServerRequest req, ServerResponse res) throws IOException {
        FileDetail detail = visibleFile(req).detail();
        FileRecord f = completed(detail.file());
        // A completed file is sealed: size and SHA-256 are present (the completion guard ensures it).
        long size = f.sizeBytes().orElseThrow();
        String etag = "\"" + f.sha256().orElseThrow() + "\"";
        res.header(HeaderNames.ETAG, etag);
        res.header(HeaderNames.ACCEPT_RANGES, "bytes");
        res.header(HeaderNames.CACHE_CONTROL, "private, no-cache");
        if (req.headers().first(HeaderNames.IF_NONE_MATCH).filter(v -> matches(v, etag)).isPresent()) {
            res.status(Status.NOT_MODIFIED_304);
            res.send();
            return;
        }
        Optional<String> rangeHeader = req.headers().first(HeaderNames.RANGE);
        if (req.headers().first(HeaderNames.IF_RANGE).filter(v -> !v.strip().equals(etag)).isPresent()) {
            rangeHeader = Optional.empty(); // the client's copy is stale: send the whole file
        }
        Optional<ByteRange> range;
        try {
            range = ByteRange.parse(rangeHeader, size);
        } catch (ApiException e) {
            res.header(HeaderNames.CONTENT_RANGE, "bytes */" + size);
            throw e;
        }
        res.header(HeaderNames.CONTENT_TYPE, f.contentType());
        res.header(CONTENT_DISPOSITION, contentDisposition(f.name()));
        if (range.isPresent()) {
            res.status(Status.PARTIAL_CONTENT_206);
            res.header(HeaderNames.CONTENT_RANGE, "bytes " + range.get().first() + "-" + range.get().last() + "/" + size);
        }
        long length = range.map(ByteRange::length).orElse(size);
        res.contentLength(length);
        if (req.prologue().method().text().equals("HEAD") || length == 0) {
            res.send();
            return;
        }
        List<ReadableChunk> chunks = gateway.nodes().readable(detail.chunks());
        try (OutputStream out = new SmallFirstWrite(res.outputStream())) {
            gateway.streamer().write(chunks, f.chunkSize(), range.orElse(ByteRange.whole(size)), out, relocator(gateway));
        }
    }

    /** A chunk's copies as the metadata has them now (rebalancing may have moved it mid-download). */
    static ChunkStreamer.Relocator relocator(Gateway gateway) {
        return chunk -> gateway.nodes().readable(gateway.catalog().chunk(chunk.fileId(), chunk.index())
                        .map(List::of).orElse(List.of())).stream().findFirst()
                .orElse(new ReadableChunk(chunk, List.of()));
    }

    private static boolean matches(String ifNoneMatch, String etag) {
        for (String candidate : ifNoneMatch.split(",")) {
            String c = candidate.strip();
            if (c.equals("*") || c.equals(etag) || c.equals("W/" + etag)) {
                return true;
            }
        }
        return false;
    }

    static String contentDisposition(String name) {
        String ascii = name.replaceAll("[^\\x20-\\x7e]", "_").replace("\\", "_").replace("\"", "_");
        String encoded = URLEncoder.encode(name, StandardCharsets.UTF_8).replace("+", "%20");
        return "attachment; filename=\"" + ascii + "\"; filename*=UTF-8''" + encoded;
    }

    private void metadata(ServerRequest req, ServerResponse res) {
        sendJson(res, visibleFile(req).json(FilesService::detailJson));
    }

    /** The body of a metadata GET, and of an upload's answer: the file with its chunks and copies. */
    private static byte[] detailJson(FileDetail d) {
        return Json.write(FileJson.detail(d.file(), d.chunks())).getBytes(StandardCharsets.UTF_8);
    }

    private void list(ServerRequest req, ServerResponse res) {
        int page = intParam(req, "page", 1, 1, Integer.MAX_VALUE);
        int perPage = intParam(req, "per_page", DEFAULT_PER_PAGE, 1, MAX_PER_PAGE);
        Optional<FileStatus> status = req.query().first("status").asOptional().map(FilesService::status);
        if (status.isPresent() && !status.get().listedByDefault()) {
            throw ApiException.badRequest("bad_status", "deleted files are not listed");
        }
        String sort = req.query().first("sort").orElse("-created_at");
        SortOrder order = switch (sort) {
            case "created_at" -> SortOrder.ASC;
            case "-created_at" -> SortOrder.DESC;
            default -> throw ApiException.badRequest("bad_sort", "sort must be created_at or -created_at");
        };
        sendJson(res, gateway.catalog().listPage(new FileQuery(status, order, page, perPage),
                result -> listJson(result, page, perPage, status, sort)));
    }

    private static byte[] listJson(Page<FileRecord> result, int page, int perPage, Optional<FileStatus> status, String sort) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("files", result.items().stream().map(FileJson::summary).toList());
        body.put("page", page);
        body.put("per_page", perPage);
        body.put("total", result.total());
        Map<String, Object> links = new LinkedHashMap<>();
        links.put("self", listLink(page, perPage, status, sort));
        links.put("next", result.hasNext() ? listLink(page + 1, perPage, status, sort) : null);
        links.put("prev", page > 1 ? listLink(page - 1, perPage, status, sort) : null);
        body.put("links", links);
        return Json.write(body, 512 + result.items().size() * FileJson.SUMMARY_CHARS).getBytes(StandardCharsets.UTF_8);
    }

    private static String listLink(int page, int perPage, Optional<FileStatus> status, String sort) {
        return "/files?page=" + page + "&per_page=" + perPage + status.map(s -> "&status=" + s.dbValue()).orElse("")
                + "&sort=" + sort;
    }

    private static FileStatus status(String text) {
        try {
            return FileStatus.parse(text);
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("bad_status", e.getMessage());
        }
    }

    private static int intParam(ServerRequest req, String name, int defaultValue, int min, int max) {
        Optional<String> raw = req.query().first(name).asOptional();
        if (raw.isEmpty()) {
            return defaultValue;
        }
        try {
            int v = Integer.parseInt(raw.get());
            if (v >= min && v <= max) {
                return v;
            }
        } catch (NumberFormatException e) {
            // the 400 below
        }
        throw ApiException.badRequest("bad_" + name, name + " must be a whole number from " + min + " to " + max);
    }

    private void delete(ServerRequest req, ServerResponse res) {
        UUID id = FileIds.parse(req.path().pathParameters().get("id"));
        FileStatus before = gateway.catalog().requestDelete(id)
                .orElseThrow(() -> ApiException.notFound("file_not_found", "no file " + id));
        if (before == FileStatus.PENDING || before == FileStatus.UPLOADING) {
            throw new ApiException(Status.CONFLICT_409, "upload_in_progress",
                    "file " + id + " is " + before.dbValue() + "; delete it once the upload ended");
        }
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("id", id.toString());
        body.put("status", FileStatus.DELETING.dbValue());
        res.status(Status.ACCEPTED_202);
        sendJson(res, body);
    }

    static void sendJson(ServerResponse res, Object body) {
        sendJson(res, Json.write(body).getBytes(StandardCharsets.UTF_8));
    }

    /** A body already rendered (and perhaps cached) as UTF-8 JSON. */
    static void sendJson(ServerResponse res, byte[] body) {
        res.header(HeaderNames.CONTENT_TYPE, "application/json");
        res.send(body);
    }
}
