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
 */
public final class ChunkStreamer {
    private static final Logger LOG = Logger.getLogger(ChunkStreamer.class.getName());
    private static final int COPY_BUFFER = 64 * 1024;

    private final StorageNodeClients clients;

    public ChunkStreamer(StorageNodeClients clients) {
        this.clients = clients;
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
        byte[] copy = new byte[COPY_BUFFER];
        for (ReadableChunk readable : chunks) {
            ChunkRecord chunk = readable.chunk();
            long chunkStart = chunk.index() * chunkSize;
            long chunkEnd = chunkStart + chunk.size() - 1;
            if (chunk.size() == 0 || chunkEnd < range.first() || chunkStart > range.last()) {
                continue;
            }
            long from = Math.max(range.first(), chunkStart) - chunkStart;
            long to = Math.min(range.last(), chunkEnd) - chunkStart; // inclusive
            boolean whole = from == 0 && to == chunk.size() - 1;
            writeChunk(readable, from, to - from + 1, whole, out, copy, relocator);
        }
        out.flush();
    }

    private void writeChunk(ReadableChunk readable, long offset, long length, boolean whole, OutputStream out, byte[] copy,
                            Relocator relocator) throws IOException {
        ChunkRecord chunk = readable.chunk();
        CRC32C crc = whole ? new CRC32C() : null;
        long written = 0;
        StorageClientException last = null;
        List<ReadableChunk.Copy> tried = new ArrayList<>();
        Deque<ReadableChunk.Copy> candidates = new ArrayDeque<>(readable.copies());
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
            try (ChunkReadStream in = clients.client(location.address())
                    .openRead(chunk.chunkId(), offset + written, length - written)) {
                int n;
                while (written < length && (n = in.read(copy, 0, (int) Math.min(copy.length, length - written))) > 0) {
                    if (crc != null) {
                        crc.update(copy, 0, n);
                    }
                    out.write(copy, 0, n);
                    written += n;
                }
                if (written < length) {
                    throw new ChunkVerificationException("chunk " + chunk.chunkId() + " on " + location.nodeId()
                            + " ended after " + written + " of " + length + " bytes");
                }
                if (crc != null && (int) crc.getValue() != chunk.crc32c()) {
                    throw new ChunkVerificationException("chunk " + chunk.chunkId() + " failed CRC32C verification");
                }
                return;
            } catch (StorageClientException e) {
                last = e;
                long done = written;
                LOG.warning(() -> "chunk " + chunk.chunkId() + " from " + location.nodeId() + " failed after " + done
                        + " bytes (" + e.getMessage() + "); trying the next copy");
            }
        }
        throw new IOException("no readable copy of chunk " + chunk.chunkId() + " (" + tried.size()
                + " copies tried)", last);
    }
}
