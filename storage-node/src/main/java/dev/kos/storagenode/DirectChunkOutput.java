package dev.kos.storagenode;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.CompletableFuture;

/**
 * A chunk's temporary file written with O_DIRECT: bytes are gathered in an aligned buffer and
 * go from there to the disk, never through the page cache.
 *
 * <p>Why: perf on the put path showed 40 % of a node's CPU in the kernel's copy into new
 * page-cache pages ({@code copy_folio_from_iter_atomic}); on a VM every fresh page is costly,
 * ten times a copy out of a socket. With O_DIRECT the disk reads the reused buffer instead. The
 * chunk still is fsynced before it is acknowledged: O_DIRECT bypasses the cache of the kernel,
 * not the one of the device, nor the file size and allocation, which need the fsync.
 *
 * <p>An O_DIRECT write returns only when the disk has the bytes, so a full staging buffer is
 * written on a {@link BackgroundIo} thread while the caller fills a second one: the put then takes the
 * longer of its network time and its disk time, not their sum. At most one write is in flight
 * per output, so the file is written in order and a put holds at most two staging buffers. A
 * failed write is reported by the next call that needs it ({@link #write}, {@link #finish},
 * {@link #sync}).
 *
 * <p>A full buffer is handed over only when more bytes arrive for it to make room for. The last
 * one is written by {@link #finish} on the calling thread, which would only wait for a background
 * write of it: a chunk of one staging buffer (1 MiB, the small-upload case) is then written with no
 * hand-over at all, sparing the I/O thread's wake-up and the caller's (two context switches of
 * ~20 per 1 MiB put on a node).
 *
 * <p>O_DIRECT needs aligned offsets and lengths, so the last partial block (a chunk's footer
 * makes one in nearly every file) goes through a second, buffered channel on the same file,
 * opened only for it, and reaches the disk with the fsync. It was first written zero-padded and
 * the file truncated back: the truncate made ext4 read that block back from the disk (the
 * O_DIRECT write left it out of the page cache) to zero its end, a synchronous read per put, and
 * 3 % of a node's CPU under 1 MiB uploads (async-profiler, {@code ext4_setattr}).
 */
final class DirectChunkOutput implements ChunkOutput {
    /** Opens the same file without O_DIRECT, for the tail. */
    interface TailOpener {
        FileChannel open() throws IOException;
    }

    private final FileChannel ch;
    private final TailOpener tailOpener;
    private final StagingBuffers pool;
    /** The buffered channel the tail went through; null until finish wrote one. */
    private FileChannel tailChannel;
    /** The buffer being filled; null once closed. */
    private ByteBuffer staging;
    /** The buffer the background write has, or had last; null until the first hand-over. */
    private ByteBuffer writing;
    private CompletableFuture<Void> pending = CompletableFuture.completedFuture(null);
    /** Where the staging buffer's first byte goes: a multiple of the alignment until finish, then the length. */
    private long filePosition;

    DirectChunkOutput(FileChannel ch, TailOpener tailOpener, StagingBuffers pool) {
        this.ch = ch;
        this.tailOpener = tailOpener;
        this.pool = pool;
        this.staging = pool.acquire();
    }

    @Override
    public void write(ByteBuffer src) throws IOException {
        ensureOpen();
        stage(src, true);
    }

    @Override
    public void finish(ByteBuffer last) throws IOException {
        ensureOpen();
        awaitWrite();
        stage(last, false); // a full buffer here, not in the background: this thread would only wait for it
        int tail = staging.position();
        if (tail == 0) {
            return;
        }
        int aligned = tail / pool.alignment() * pool.alignment();
        staging.flip();
        if (aligned > 0) {
            writeFully(ch, staging.slice(0, aligned), filePosition);
        }
        if (aligned < tail) {
            tailChannel = tailOpener.open();
            writeFully(tailChannel, staging.slice(aligned, tail - aligned), filePosition + aligned);
        }
        staging.clear();
        filePosition += tail;
    }

    @Override
    public void sync() throws IOException {
        awaitWrite();
        // One fsync covers the inode whichever channel asks: the tail's dirty page, the size, the blocks.
        ch.force(true);
    }

    @Override
    public boolean cached() {
        return false;
    }

    @Override
    public void close() throws IOException {
        if (staging == null) {
            return;
        }
        try {
            // The channel and the buffer must outlive a write still in flight; its failure no longer matters.
            pending.exceptionally(e -> null).join();
            try {
                ch.close();
            } finally {
                if (tailChannel != null) {
                    tailChannel.close();
                }
            }
        } finally {
            pool.release(staging);
            staging = null;
            if (writing != null) {
                pool.release(writing);
                writing = null;
            }
        }
    }

    /** The full staging buffer is written in the background; filling goes on in the buffer of the previous write. */
    private void handOver() throws IOException {
        awaitWrite();
        ByteBuffer full = staging.flip();
        long at = filePosition;
        filePosition += full.remaining();
        staging = writing != null ? writing.clear() : pool.acquire();
        writing = full;
        pending = BackgroundIo.start(() -> writeFully(ch, full, at));
    }

    /**
     * Copies all of {@code src} into staging buffers. A full one is written only when more bytes
     * need its room: by the background thread, or by this one if {@code background} is false.
     */
    private void stage(ByteBuffer src, boolean background) throws IOException {
        while (src.hasRemaining()) {
            if (!staging.hasRemaining()) {
                if (background) {
                    handOver();
                } else {
                    writeStaged();
                }
            }
            int n = Math.min(src.remaining(), staging.remaining());
            staging.put(src.slice(src.position(), n));
            src.position(src.position() + n);
        }
    }

    /** Writes the full staging buffer on this thread and empties it. */
    private void writeStaged() throws IOException {
        ByteBuffer full = staging.flip();
        int n = full.remaining();
        writeFully(ch, full, filePosition);
        filePosition += n;
        staging.clear();
    }

    private void awaitWrite() throws IOException {
        BackgroundIo.await(pending, "chunk write");
    }

    private static void writeFully(FileChannel ch, ByteBuffer b, long at) throws IOException {
        long position = at;
        while (b.hasRemaining()) {
            position += ch.write(b, position);
        }
    }

    private void ensureOpen() throws IOException {
        if (staging == null) {
            throw new IOException("chunk output is closed");
        }
    }
}
