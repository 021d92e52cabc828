package dev.kos.gateway;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * The chunk buffers of all uploads together, capped at {@code totalBytes}: an upload that finds
 * none free waits, so gateway memory stays bounded under any number of concurrent uploads.
 * Buffers are allocated lazily and reused, so an idle gateway holds only what it once needed.
 */
public final class ChunkBufferPool {
    private final int chunkSize;
    private final int capacity;
    private final Semaphore permits;
    private final ConcurrentLinkedDeque<ByteBuffer> free = new ConcurrentLinkedDeque<>();

    public ChunkBufferPool(int chunkSize, long totalBytes) {
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be > 0");
        }
        // Two buffers at least: one filling from the client while one is in flight to a node.
        this.capacity = (int) Math.max(2, Math.min(Integer.MAX_VALUE, totalBytes / chunkSize));
        this.chunkSize = chunkSize;
        this.permits = new Semaphore(capacity, true);
    }

    public int chunkSize() {
        return chunkSize;
    }

    public int capacity() {
        return capacity;
    }

    public int available() {
        return permits.availablePermits();
    }

    /** A cleared buffer of {@link #chunkSize()} bytes if one is free right now. */
    public Optional<ByteBuffer> tryAcquire() {
        return permits.tryAcquire() ? Optional.of(take()) : Optional.empty();
    }

    /** Waits up to {@code wait} for a buffer; empty when none came free. */
    public Optional<ByteBuffer> acquire(Duration wait) throws InterruptedException {
        return permits.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS) ? Optional.of(take()) : Optional.empty();
    }

    private ByteBuffer take() {
        ByteBuffer b = free.pollFirst();
        if (b == null) {
            b = ByteBuffer.allocate(chunkSize);
        }
        return b.clear();
    }

    public void release(ByteBuffer buffer) {
        if (buffer.capacity() != chunkSize) {
            throw new IllegalArgumentException("buffer does not belong to this pool");
        }
        free.addFirst(buffer);
        permits.release();
    }
}
