package dev.kos.gateway;

import dev.kos.metadata.ChunkRecord;
import dev.kos.storageclient.ChunkReadStream;
import dev.kos.storageclient.StorageClientException;
import dev.kos.storageclient.StorageNodeClients;
import java.io.IOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * Writes a byte range of a file to a client, chunk by chunk in order, reading only the chunks
 * the range touches and only the bytes of them it needs. A whole chunk is verified against its
 * recorded CRC32C as it passes (the node also verifies each block before sending). A copy that
 * fails mid-chunk is resumed from the same offset on the chunk's next location.
 *
 * <p>While a chunk streams to the client the next one is already being fetched (one chunk
 * ahead, a few frames deep), and frames go to the client straight from the received messages,
 * with no copy buffer in between.
 */
public final class ChunkStreamer {
    private static final Logger LOG = Logger.getLogger(ChunkStreamer.class.getName());

    private final StorageNodeClients clients;
    private final ReadPermits permits;
    private final GatewayMetrics metrics;

    public ChunkStreamer(StorageNodeClients clients, ReadPermits permits, GatewayMetrics metrics) {
        this.clients = clients;
        this.permits = permits;
        this.metrics = metrics;
    }

    /** Thrown when a chunk's bytes do not match its recorded checksum: the response must be cut. */
    public static final class ChunkVerificationException extends IOException {
        public ChunkVerificationException(String message) {
            super(message);
        }
    }

    /**
     * Where a chunk's copies are now. A download reads the locations once; if every copy it knew
     * has gone (rebalancing moved the chunk and the cleanup worker deleted the old copy), it asks
     * once more rather than fail.
     */
    @FunctionalInterface
    public interface Relocator {
        ReadableChunk relocate(ChunkRecord chunk);
    }

    public void write(List<ReadableChunk> chunks, long chunkSize, ByteRange range, OutputStream out) throws IOException {
        write(chunks, chunkSize, range, out, chunk -> new ReadableChunk(chunk, List.of()));
    }

    public void write(List<ReadableChunk> chunks, long chunkSize, ByteRange range, OutputStream out, Relocator relocator)
            throws IOException {
        List<Piece> pieces = pieces(chunks, chunkSize, range);
        if (pieces.isEmpty()) {
            out.flush();
            return;
        }
        boolean streaming;
        try {
            streaming = permits.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new java.io.InterruptedIOException("download interrupted while waiting for a read permit");
        }
        if (!streaming) {
            throw new IOException("no chunk read came free within " + permits.waitLimit()
                    + " (gateway.read-streams are all in use); download cut");
        }
        // Chunk n+1's call is opened before chunk n is written, so its first frames (at most
        // readPrefetch of them) arrive while n drains: no round trip and no cold start between
        // chunks, and at most one chunk ahead is ever open, only while a read permit is spare.
        ChunkReadStream ahead = null;
        boolean aheadPermit = false;
        try {
            for (int i = 0; i < pieces.size(); i++) {
                Piece piece = pieces.get(i);
                ChunkReadStream first = ahead;
                ahead = null;
                if (aheadPermit) {
                    // The read opened ahead is now the current one, covered by the streaming permit.
                    permits.release();
                    aheadPermit = false;
                }
                if (first == null) {
                    first = open(piece);
                }
                if (i + 1 < pieces.size() && permits.tryAcquire()) {
                    aheadPermit = true;
                    ahead = open(pieces.get(i + 1));
                }
                writeChunk(piece, first, out, relocator);
            }
        } finally {
            if (ahead != null) {
                ahead.close(); // the client went away or a chunk failed: stop the node's work
            }
            if (aheadPermit) {
                permits.release();
            }
            permits.release();
        }
        out.flush();
    }

    /** The part of one chunk a range needs: {@code length} bytes from {@code offset}. */
    private record Piece(ReadableChunk readable, long offset, long length, boolean whole) {
        ChunkRecord chunk() {
            return readable.chunk();
        }
    }

    private static List<Piece> pieces(List<ReadableChunk> chunks, long chunkSize, ByteRange range) {
        List<Piece> pieces = new ArrayList<>();
        for (ReadableChunk readable : chunks) {
            ChunkRecord chunk = readable.chunk();
            long chunkStart = chunk.index() * chunkSize;
            long chunkEnd = chunkStart + chunk.size() - 1;
            if (chunk.size() == 0 || chunkEnd < range.first() || chunkStart > range.last()) {
                continue;
            }
            long from = Math.max(range.first(), chunkStart) - chunkStart;
            long to = Math.min(range.last(), chunkEnd) - chunkStart; // inclusive
            pieces.add(new Piece(readable, from, to - from + 1, from == 0 && to == chunk.size() - 1));
        }
        return pieces;
    }

    /** The read of a piece from its first known copy, or null when it has none (the retry loop decides). */
    private ChunkReadStream open(Piece piece) {
        List<ReadableChunk.Copy> copies = piece.readable().copies();
        if (copies.isEmpty()) {
            return null;
        }
        try {
            return clients.client(copies.get(0).address()).openRead(piece.chunk().chunkId(), piece.offset(), piece.length());
        } catch (RuntimeException e) {
            return null; // the retry loop opens it again and reports the failure
        }
    }

    /**
     * Writes one piece, starting with {@code first} (already open on the piece's first copy, or
     * null) and resuming from the same offset on the next copy, then on relocated copies, when a
     * copy fails mid-way. Closes every stream it was given or opened.
     */
    private void writeChunk(Piece piece, ChunkReadStream first, OutputStream out, Relocator relocator)
            throws IOException {
        ChunkRecord chunk = piece.chunk();
        long offset = piece.offset();
        long length = piece.length();
        CRC32C crc = piece.whole() ? new CRC32C() : null;
        long written = 0;
        StorageClientException last = null;
        List<ReadableChunk.Copy> tried = new ArrayList<>();
        Deque<ReadableChunk.Copy> candidates = new ArrayDeque<>(piece.readable().copies());
        ChunkReadStream opened = first;
        boolean relocated = false;
        while (true) {
            if (candidates.isEmpty()) {
                if (relocated) {
                    break;
                }
                relocated = true;
                relocator.relocate(chunk).copies().stream().filter(c -> !tried.contains(c)).forEach(candidates::add);
                if (candidates.isEmpty()) {
                    break;
                }
            }
            ReadableChunk.Copy location = candidates.poll();
            tried.add(location);
            ChunkReadStream given = opened;
            opened = null;
            try (ChunkReadStream in = given != null ? given
                    : clients.client(location.address()).openRead(chunk.chunkId(), offset + written, length - written)) {
                int n;
                while (written < length && (n = in.transferFrame(out, (int) Math.min(Integer.MAX_VALUE, length - written),
                        crc)) > 0) {
                    written += n;
                    metrics.served(n);
                }
                if (written < length) {
                    metrics.checksumFailure();
                    throw new ChunkVerificationException("chunk " + chunk.chunkId() + " on " + location.nodeId()
                            + " ended after " + written + " of " + length + " bytes");
                }
                if (crc != null && (int) crc.getValue() != chunk.crc32c()) {
                    metrics.checksumFailure();
                    throw new ChunkVerificationException("chunk " + chunk.chunkId() + " failed CRC32C verification");
                }
                endQuietly(in);
                return;
            } catch (StorageClientException e) {
                metrics.readFailover();
                last = e;
                long done = written;
                LOG.warning(() -> "chunk " + chunk.chunkId() + " from " + location.nodeId() + " failed after " + done
                        + " bytes (" + e.getMessage() + "); trying the next copy");
            }
        }
        throw new IOException("no readable copy of chunk " + chunk.chunkId() + " (" + tried.size()
                + " copies tried)", last);
    }

    /**
     * Lets the node end the call (see {@link ChunkReadStream#awaitEnd}) instead of cancelling it
     * on close. Every byte asked for has come and passed its checks by then, so a failure the node
     * reports after them changes nothing the client gets, and is not a reason to try another copy.
     */
    private static void endQuietly(ChunkReadStream in) {
        try {
            in.awaitEnd();
        } catch (StorageClientException e) {
            LOG.fine(() -> "read ended with " + e.getMessage() + " after its last byte");
        }
    }
}
