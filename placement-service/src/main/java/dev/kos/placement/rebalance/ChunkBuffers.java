package dev.kos.placement.rebalance;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.concurrent.Semaphore;

/**
 * The buffers moves copy chunks through: at most {@code slots} at once, each at most
 * {@code maxBytes}, so rebalancing memory is bounded by slots x max chunk size whatever the
 * data. A chunk is held whole because PutChunk needs its length and checksum up front and the
 * copy is verified before it is offered; 64 MiB x parallelism is an acceptable bound. Buffers
 * are reused while chunks are no larger than the last one.
 */
final class ChunkBuffers {
    private final Semaphore free;
    private final long maxBytes;
    private final ArrayDeque<ByteBuffer> idle = new ArrayDeque<>();

    ChunkBuffers(int slots, long maxBytes) {
        this.free = new Semaphore(slots);
        this.maxBytes = maxBytes;
    }

    /** A buffer with position 0 and limit {@code size}; waits for a free slot. */
    ByteBuffer take(long size) throws InterruptedException {
        if (size < 0 || size > maxBytes) {
            throw new IllegalArgumentException("chunk of " + size + " bytes exceeds rebalance.max-chunk-bytes (" + maxBytes + ")");
        }
        free.acquire();
        ByteBuffer b;
        synchronized (idle) {
            b = idle.poll();
        }
        if (b == null || b.capacity() < size) {
            b = ByteBuffer.allocate((int) size); // the one it replaces is garbage now
        }
        return b.clear().limit((int) size);
    }

    void give(ByteBuffer b) {
        synchronized (idle) {
            idle.push(b);
        }
        free.release();
    }
}
