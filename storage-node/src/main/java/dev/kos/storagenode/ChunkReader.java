package dev.kos.storagenode;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.zip.CRC32C;

/**
 * A verified read of a byte range of one chunk, frame by frame. Each frame reads the whole
 * blocks it overlaps and checks their CRC32C against the chunk's table before returning any
 * byte of them, so corrupted bytes are never handed out; blocks outside the range are neither
 * read nor checked.
 *
 * <p>Memory: one frame (at most 1 MiB) at a time, in one buffer that every frame of the read
 * reuses, so a frame's bytes are valid until the next call to {@link #next} or {@link #close}.
 * gRPC copies a message into its transport buffers inside {@code onNext}, so a caller that sends
 * each frame before it asks for the next never sees one overwritten. The buffer comes from a
 * small pool, as a fresh 1 MiB array per download is zeroed before the read fills it and the
 * copies into it meet cold memory. It is a heap buffer: protobuf copies a direct one into a new
 * array when it wraps it for the response.
 */
public final class ChunkReader implements Closeable {
    private static final StagingBuffers FRAME_BUFFERS = StagingBuffers.heap();

    /** {@code data} (position to limit) are the chunk's bytes starting at {@code offset}. */
    public record Frame(long offset, ByteBuffer data) {
    }

    private final FileChannel ch;
    private final ChunkFooter footer;
    private final ChunkId id;
    private final long end;
    private final int frameBlocks;
    private final int firstBlock;
    private final int[] crcs;
    private long pos;
    private boolean returnedAny;
    private ByteBuffer buf;

    ChunkReader(FileChannel ch, ChunkFooter footer, ChunkId id, long offset, long length, int frameBytes)
            throws IOException {
        this.ch = ch;
        this.footer = footer;
        this.id = id;
        this.pos = offset;
        this.end = offset + length;
        this.frameBlocks = Math.max(1, frameBytes / footer.blockSize());
        this.firstBlock = (int) (offset / footer.blockSize());
        int lastBlock = length == 0 ? firstBlock - 1 : (int) ((end - 1) / footer.blockSize());
        this.crcs = footer.readBlockCrcs(ch, firstBlock, lastBlock - firstBlock + 1);
    }

    public ChunkId id() {
        return id;
    }

    /** The chunk's full length. */
    public long chunkLength() {
        return footer.length();
    }

    /** The checksum declared when the chunk was put. */
    public ChunkChecksum checksum() {
        return footer.declared();
    }

    /**
     * The next frame, or null at the end. An empty range yields one empty frame, so a caller
     * always has a first frame to carry the chunk's length and checksum.
     */
    public Frame next() {
        if (pos >= end) {
            if (returnedAny) {
                return null;
            }
            returnedAny = true;
            return new Frame(pos, ByteBuffer.allocate(0));
        }
        int bs = footer.blockSize();
        long blockStart = pos / bs * bs;
        long lastBlockEnd = Math.min(footer.length(), ((end - 1) / bs + 1) * bs);
        long readEnd = Math.min(lastBlockEnd, blockStart + (long) frameBlocks * bs);
        int size = (int) (readEnd - blockStart);
        if (buf == null) { // no later frame is larger than the first
            buf = size <= StagingBuffers.BUFFER_BYTES ? FRAME_BUFFERS.acquire() : ByteBuffer.allocate(size);
        }
        buf.clear().limit(size);
        try {
            ChunkFooter.readFully(ch, buf, blockStart);
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot read chunk " + id + " at " + blockStart + ": " + e, e);
        }
        verify(buf, blockStart);
        long frameEnd = Math.min(end, readEnd);
        buf.limit((int) (frameEnd - blockStart)).position((int) (pos - blockStart));
        Frame f = new Frame(pos, buf);
        pos = frameEnd;
        returnedAny = true;
        return f;
    }

    @Override
    public void close() {
        if (buf != null && buf.capacity() == StagingBuffers.BUFFER_BYTES) {
            FRAME_BUFFERS.release(buf);
        }
        buf = null;
        try {
            ch.close();
        } catch (IOException ignored) {
            // Read-only: nothing to lose.
        }
    }

    private void verify(ByteBuffer buf, long blockStart) {
        int bs = footer.blockSize();
        CRC32C crc = new CRC32C();
        for (int at = 0; at < buf.limit(); at += bs) {
            int n = Math.min(bs, buf.limit() - at);
            crc.reset();
            crc.update(buf.array(), at, n); // a heap buffer, from StagingBuffers.heap()
            int block = (int) ((blockStart + at) / bs);
            if ((int) crc.getValue() != crcs[block - firstBlock]) {
                throw new ChunkStoreException.Corrupted("chunk " + id + " is corrupted: block " + block + " (bytes "
                        + (blockStart + at) + "-" + (blockStart + at + n - 1) + ") fails its CRC32C");
            }
        }
    }
}
