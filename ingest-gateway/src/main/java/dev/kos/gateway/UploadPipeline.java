package dev.kos.gateway;

import io.helidon.http.Status;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.logging.Logger;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.zip.CRC32C;

/**
 * The upload core. Reads the body exactly once: each read updates the file's SHA-256 and the
 * current chunk's CRC32C while it fills the chunk buffer. A full chunk is handed to a virtual
 * thread that places it on the ring while the next chunk is being read, so the client and the
 * nodes work at once. At most two buffers per upload, both from the shared {@link ChunkBufferPool}.
 */
public final class UploadPipeline {
    private static final Logger LOG = Logger.getLogger(UploadPipeline.class.getName());
    private final ChunkBufferPool pool;
    private final ChunkPlacer placer;
    private final long maxFileSize;
    private final Duration bufferWait;

    public UploadPipeline(ChunkBufferPool pool, ChunkPlacer placer, long maxFileSize, Duration bufferWait) {
        this.pool = pool;
        this.placer = placer;
        this.maxFileSize = maxFileSize;
        this.bufferWait = bufferWait;
    }

    public int chunkSize() {
        return pool.chunkSize();
    }

    /**
     * Streams {@code body} into chunks of file {@code fileId}. Throws {@link ApiException} for
     * client and placement failures (413, 400 checksum mismatch, 503, 507) and IOException when
     * the client's stream broke; either way no buffer is left in use.
     */
    public UploadResult upload(UUID fileId, InputStream body, Optional<byte[]> expectedSha256, UploadSink sink)
            throws IOException, InterruptedException {
        MessageDigest sha = sha256();
        List<StoredChunk> stored = new ArrayList<>();
        InFlight inFlight = null;
        ByteBuffer filling = null;
        long total = 0;
        int index = 0;
        try {
            while (true) {
                filling = nextBuffer(inFlight, stored, sink, total);
                if (inFlight != null && inFlight.finished) {
                    // Its buffer was reused under memory pressure (see nextBuffer): nothing in flight.
                    inFlight = null;
                }
                CRC32C crc = new CRC32C();
                int filled = fill(body, filling, sha, crc, total, sink);
                total += filled;
                if (filled == 0) {
                    pool.release(filling);
                    filling = null;
                    break;
                }
                filling.flip();
                if (inFlight != null) {
                    complete(inFlight, false, false, stored, sink, total);
                    inFlight = null;
                }
                if (index >= ChunkIds.MAX_CHUNKS) {
                    throw new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "too_many_chunks",
                            "file needs more than " + ChunkIds.MAX_CHUNKS + " chunks");
                }
                if (index == 0 && filled == pool.chunkSize()) {
                    sink.spansChunks(); // before the first put; may throw, and filling is still ours to release
                }
                inFlight = InFlight.start(placer, index, ChunkIds.of(fileId, index), filling, (int) crc.getValue());
                filling = null;
                index++;
                if (inFlight.buffer.limit() < pool.chunkSize()) {
                    break; // a short chunk means the body ended
                }
            }
            if (inFlight != null) {
                complete(inFlight, false, true, stored, sink, total);
                inFlight = null;
            }
            byte[] digest = sha.digest();
            if (expectedSha256.isPresent() && !MessageDigest.isEqual(expectedSha256.get(), digest)) {
                throw ApiException.badRequest("checksum_mismatch", "X-Checksum-SHA256 does not match the body's SHA-256 "
                        + HexFormat.of().formatHex(digest));
            }
            return new UploadResult(total, HexFormat.of().formatHex(digest), stored);
        } finally {
            if (filling != null) {
                pool.release(filling);
            }
            if (inFlight != null && !inFlight.finished) {
                inFlight.abort();
                pool.release(inFlight.buffer);
                recordIfPlaced(inFlight, sink, total);
            }
        }
    }

    /**
     * A chunk whose put finished on a node while the upload was failing is recorded, so the
     * cleanup worker deletes it with the rest of the failed upload. Unrecorded, it would be an
     * orphan that only the orphan collector's grace period (an hour by default) would remove.
     */
    private static void recordIfPlaced(InFlight inFlight, UploadSink sink, long total) {
        // The idle watchdog may have interrupted this thread; JDBC refuses to work on an
        // interrupted thread, so the flag is set aside for the write and restored after.
        boolean interrupted = Thread.interrupted();
        try {
            inFlight.placed().ifPresent(chunk -> {
                try {
                    sink.chunkStored(chunk, total);
                } catch (RuntimeException e) {
                    LOG.warning("chunk " + chunk.chunkId() + " was stored while its upload failed and could not be recorded ("
                            + e.getMessage() + "); the orphan collector will remove it");
                }
            });
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /**
     * A free buffer for the next chunk. Prefers a fresh one so reading overlaps the transfer in
     * flight; when the pool is dry it waits for the in-flight chunk and reuses its buffer instead
     * of waiting on the pool while holding one (which could deadlock uploads against each other).
     */
    private ByteBuffer nextBuffer(InFlight inFlight, List<StoredChunk> stored, UploadSink sink, long total)
            throws InterruptedException {
        Optional<ByteBuffer> fresh = pool.tryAcquire();
        if (fresh.isPresent()) {
            return fresh.get();
        }
        if (inFlight != null) {
            complete(inFlight, true, false, stored, sink, total);
            return inFlight.buffer.clear();
        }
        sink.gatewayWaiting(true);
        try {
            return pool.acquire(bufferWait).orElseThrow(() -> new ApiException(Status.SERVICE_UNAVAILABLE_503,
                    "gateway_busy", "no upload buffer came free within " + bufferWait + "; retry later"));
        } finally {
            sink.gatewayWaiting(false);
        }
    }

    /**
     * Waits for the chunk in flight; its buffer goes back to the pool unless the caller keeps it.
     * {@code last}: the body has ended, this is the file's final chunk.
     */
    private void complete(InFlight inFlight, boolean keepBuffer, boolean last, List<StoredChunk> stored, UploadSink sink,
                          long total) throws InterruptedException {
        StoredChunk chunk;
        sink.gatewayWaiting(true);
        try {
            chunk = inFlight.await();
        } finally {
            sink.gatewayWaiting(false);
        }
        inFlight.finished = true;
        if (!keepBuffer) {
            pool.release(inFlight.buffer);
        }
        stored.add(chunk);
        try {
            if (last) {
                sink.lastChunkStored(chunk, total);
            } else {
                sink.chunkStored(chunk, total);
            }
        } catch (RuntimeException e) {
            if (keepBuffer) {
                pool.release(inFlight.buffer);
            }
            throw e;
        }
    }

    private int fill(InputStream body, ByteBuffer buf, MessageDigest sha, CRC32C crc, long before, UploadSink sink)
            throws IOException {
        byte[] array = buf.array();
        int start = buf.arrayOffset();
        int filled = 0;
        int capacity = buf.capacity();
        while (filled < capacity) {
            int n = body.read(array, start + filled, capacity - filled);
            if (n < 0) {
                break;
            }
            if (before + filled + n > maxFileSize) {
                throw new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "too_large",
                        "file exceeds the limit of " + maxFileSize + " bytes");
            }
            sha.update(array, start + filled, n);
            crc.update(array, start + filled, n);
            filled += n;
            sink.progress(before + filled);
        }
        buf.position(filled);
        return filled;
    }

    /**
     * The chunk as the placer sees it: its own position and limit over the same array. Not a
     * read-only view: such a buffer hides its array, and protobuf then copies every frame of the
     * put into a fresh array (JFR: a 1 MiB allocation and copy per frame).
     */
    static ByteBuffer placerView(ByteBuffer buffer) {
        return buffer.duplicate();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("JDK without SHA-256", e);
        }
    }

    /** One chunk being placed on its own virtual thread while the next one is read. */
    private static final class InFlight {
        final ByteBuffer buffer;
        final Thread thread;
        final CompletableFuture<StoredChunk> result;
        /** Placed and no longer owning its buffer (released, or handed back for reuse). */
        boolean finished;

        private InFlight(ByteBuffer buffer, Thread thread, CompletableFuture<StoredChunk> result) {
            this.buffer = buffer;
            this.thread = thread;
            this.result = result;
        }

        static InFlight start(ChunkPlacer placer, int index, String chunkId, ByteBuffer buffer, int crc) {
            CompletableFuture<StoredChunk> result = new CompletableFuture<>();
            Thread t = Thread.ofVirtual().name("put-" + chunkId).start(() -> {
                try {
                    result.complete(placer.place(index, chunkId, placerView(buffer), crc));
                } catch (Throwable e) {
                    result.completeExceptionally(e);
                }
            });
            return new InFlight(buffer, t, result);
        }

        StoredChunk await() throws InterruptedException {
            try {
                return result.get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException("chunk placement failed", e.getCause());
            }
        }

        /** The stored chunk, if the put completed (even while the upload was being aborted). */
        Optional<StoredChunk> placed() {
            return result.isDone() && !result.isCompletedExceptionally() ? Optional.of(result.join()) : Optional.empty();
        }

        /** Stops the transfer and waits for its thread, so the buffer is free to reuse after. */
        void abort() {
            thread.interrupt();
            boolean interrupted = false;
            while (true) {
                try {
                    thread.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
            result.completeExceptionally(new CancellationException("upload aborted"));
        }
    }
}
