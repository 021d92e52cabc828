package dev.kos.placement.rebalance;

import java.util.function.LongSupplier;

/**
 * Bandwidth budget shared by every move: {@code rate} bytes per second with a burst of one
 * second's worth. Callers take bytes after they read them; a take larger than what is left puts
 * the bucket in debt and the taker waits the debt off, so a whole chunk read at once still
 * averages out to the rate instead of being refused.
 */
final class TokenBucket {
    /** Waits; injected so unit tests run on a fake clock. */
    @FunctionalInterface
    interface Sleeper {
        void sleepNanos(long nanos) throws InterruptedException;
    }

    private final long ratePerSecond;
    private final long burst;
    private final LongSupplier nanoTime;
    private final Sleeper sleeper;
    private double tokens;
    private long lastRefill;

    TokenBucket(long ratePerSecond, LongSupplier nanoTime, Sleeper sleeper) {
        if (ratePerSecond < 1) {
            throw new IllegalArgumentException("rate must be positive, was " + ratePerSecond);
        }
        this.ratePerSecond = ratePerSecond;
        this.burst = ratePerSecond;
        this.nanoTime = nanoTime;
        this.sleeper = sleeper;
        this.lastRefill = nanoTime.getAsLong();
        this.tokens = burst;
    }

    static TokenBucket perSecond(long ratePerSecond) {
        return new TokenBucket(ratePerSecond, System::nanoTime, nanos -> Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000)));
    }

    long ratePerSecond() {
        return ratePerSecond;
    }

    long burst() {
        return burst;
    }

    /** Takes {@code bytes} and waits until the bucket is out of debt. */
    void take(long bytes) throws InterruptedException {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        long wait;
        synchronized (this) {
            refill();
            tokens -= bytes;
            wait = tokens >= 0 ? 0 : (long) Math.ceil(-tokens * 1e9 / ratePerSecond);
        }
        // Sleep outside the lock: every taker in debt waits its own share, in parallel.
        if (wait > 0) {
            sleeper.sleepNanos(wait);
        }
    }

    private void refill() {
        long now = nanoTime.getAsLong();
        long elapsed = now - lastRefill;
        if (elapsed > 0) {
            tokens = Math.min(burst, tokens + elapsed * (double) ratePerSecond / 1e9);
            lastRefill = now;
        }
    }
}
