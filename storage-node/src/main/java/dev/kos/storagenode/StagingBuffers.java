package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reused buffers of {@link #BUFFER_BYTES}: aligned direct ones for O_DIRECT writes, heap ones
 * for chunk reads ({@link #heap()}). Reused because fresh memory is what costs on a VM (every
 * first touch of a page is a fault the host serves, and a new array is zeroed first) and because
 * direct buffers are only freed by a GC; at most {@link #RETAINED} are kept, so idle memory stays
 * bounded and any number of puts or reads in flight still each get one.
 */
final class StagingBuffers {
    static final int BUFFER_BYTES = 1 << 20;
    static final int RETAINED = 16;

    private final int alignment;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

    /**
     * Heap buffers, for reads whose frames go to gRPC: protobuf copies a direct buffer into a
     * fresh array when it wraps one, and wraps an array-backed buffer as it is.
     */
    static StagingBuffers heap() {
        return new StagingBuffers(0);
    }

    /** Direct buffers aligned to {@code alignment} bytes, or heap buffers for 0. */
    StagingBuffers(int alignment) {
        if (alignment == 0) {
            this.alignment = 0;
            return;
        }
        if (alignment < 0 || Integer.bitCount(alignment) != 1 || BUFFER_BYTES % alignment != 0) {
            throw new IllegalArgumentException("alignment " + alignment + " must be a power of two dividing "
                    + BUFFER_BYTES);
        }
        this.alignment = alignment;
    }

    int alignment() {
        return alignment;
    }

    /** A cleared buffer of {@link #BUFFER_BYTES} whose address is a multiple of the alignment (a heap one for 0). */
    ByteBuffer acquire() {
        ByteBuffer b = free.poll();
        if (b != null) {
            freeCount.decrementAndGet();
            return b.clear();
        }
        if (alignment == 0) {
            return ByteBuffer.allocate(BUFFER_BYTES);
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
