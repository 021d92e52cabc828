package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reused, aligned direct buffers for O_DIRECT writes and for chunk reads. Reused because fresh memory is what costs
 * on a VM (every first touch of a page is a fault the host serves) and because direct buffers
 * are only freed by a GC; at most {@link #RETAINED} are kept, so idle memory stays bounded and
 * any number of puts in flight still each get one.
 */
final class StagingBuffers {
    static final int BUFFER_BYTES = 1 << 20;
    static final int RETAINED = 16;

    private final int alignment;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

    StagingBuffers(int alignment) {
        if (alignment <= 0 || Integer.bitCount(alignment) != 1 || BUFFER_BYTES % alignment != 0) {
            throw new IllegalArgumentException("alignment " + alignment + " must be a power of two dividing "
                    + BUFFER_BYTES);
        }
        this.alignment = alignment;
    }

    int alignment() {
        return alignment;
    }

    /** A cleared buffer of {@link #BUFFER_BYTES} whose address is a multiple of the alignment. */
    ByteBuffer acquire() {
        ByteBuffer b = free.poll();
        if (b != null) {
            freeCount.decrementAndGet();
            return b.clear();
        }
        return ByteBuffer.allocateDirect(BUFFER_BYTES + alignment).alignedSlice(alignment).limit(BUFFER_BYTES).slice();
    }

    void release(ByteBuffer b) {
        if (freeCount.incrementAndGet() <= RETAINED) {
            free.offer(b);
        } else {
            freeCount.decrementAndGet();
        }
    }
}
