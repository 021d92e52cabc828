package dev.kos.storagenode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node's space bookkeeping: stored chunks (count and bytes, rebuilt by the start-up scan)
 * and reservations for puts in flight.
 *
 * <p>A put reserves its full size before writing; the free-space check subtracts what other
 * puts have reserved but not yet written, so two concurrent puts cannot both pass a check that
 * only one of them fits. A reservation shrinks as its bytes reach the disk (the file system
 * then counts them itself) and is released when the put ends either way.
 */
final class SpaceAccountant {
    private final ChunkFileSystem fs;
    private final Path dir;
    private final long reserveBytes;
    private final AtomicLong chunkCount = new AtomicLong();
    private final AtomicLong chunkBytes = new AtomicLong();
    private long inFlight; // guarded by this

    SpaceAccountant(ChunkFileSystem fs, Path dir, long reserveBytes) {
        this.fs = fs;
        this.dir = dir;
        this.reserveBytes = reserveBytes;
    }

    /** Reserves room for a chunk of {@code bytes} on disk, or refuses with InsufficientSpace. */
    synchronized Reservation reserve(long bytes) {
        long free = usable();
        long room = free - reserveBytes - inFlight;
        if (room < bytes) {
            throw new ChunkStoreException.InsufficientSpace("no room for " + bytes + " bytes: " + free
                    + " free minus " + reserveBytes + " reserve minus " + inFlight + " in flight leaves "
                    + Math.max(0, room), null);
        }
        inFlight += bytes;
        return new Reservation(bytes);
    }

    void added(long length) {
        chunkCount.incrementAndGet();
        chunkBytes.addAndGet(length);
    }

    void removed(long length) {
        chunkCount.decrementAndGet();
        chunkBytes.addAndGet(-length);
    }

    NodeStats stats() {
        try {
            return new NodeStats(fs.totalSpace(dir), fs.usableSpace(dir), reserveBytes, chunkCount.get(),
                    chunkBytes.get());
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot read disk figures of " + dir + ": " + e, e);
        }
    }

    private long usable() {
        try {
            return fs.usableSpace(dir);
        } catch (IOException e) {
            throw new ChunkStoreException.StorageFailure("cannot read free space of " + dir + ": " + e, e);
        }
    }

    private synchronized void release(long bytes) {
        inFlight -= bytes;
    }

    /** Room held for one put. Not thread-safe: one put uses it from one call at a time. */
    final class Reservation implements AutoCloseable {
        private long left;

        private Reservation(long bytes) {
            this.left = bytes;
        }

        /** {@code n} more bytes are on disk and now show in the file system's free space. */
        void written(long n) {
            long k = Math.min(n, left);
            left -= k;
            release(k);
        }

        @Override
        public void close() {
            release(left);
            left = 0;
        }
    }
}
