package dev.kos.gateway;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The chunk reads all downloads together may hold open: each open read keeps up to
 * readPrefetch + 1 frames (about 4 MiB) in the gateway, so the count bounds download memory
 * under any number of clients, as {@link ChunkBufferPool} does for uploads. A download needs one
 * permit to stream and takes a second, only when one is free, to read its next chunk ahead;
 * downloads beyond the budget wait their turn.
 */
public final class ReadPermits {
    private final Semaphore permits;
    private final int total;
    private final Duration wait;

    public ReadPermits(int total, Duration wait) {
        if (total < 1) {
            throw new IllegalArgumentException("gateway.read-streams must be >= 1, was " + total);
        }
        this.total = total;
        this.permits = new Semaphore(total, true);
        this.wait = wait;
    }

    /** Waits up to the configured time for the permit a download streams with; false if none came. */
    boolean acquire() throws InterruptedException {
        return permits.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** A permit for reading ahead, only if one is free right now. */
    boolean tryAcquire() {
        return permits.tryAcquire();
    }

    void release() {
        permits.release();
    }

    Duration waitLimit() {
        return wait;
    }

    /** Downloads waiting for their permit now. */
    public int waiting() {
        return permits.getQueueLength();
    }

    /** Permits in use now (for health and tests). */
    public int inUse() {
        return total - permits.availablePermits();
    }
}
