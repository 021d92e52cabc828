package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reused buffers of {@link #BUFFER_BYTES}: aligned direct ones for O_DIRECT writes and reads
 * ({@link #ALIGNED}), heap ones for the frames a read hands to gRPC ({@link #HEAP}). Reused
 * because fresh memory is what costs on a VM (every first touch of a page is a fault the host
 * serves, and a new array is zeroed first) and because direct buffers are only freed by a GC; at
 * most {@link #RETAINED} are kept per pool, so idle memory stays bounded and any number of puts
 * or reads in flight still each get one.
 */
final class StagingBuffers {
    static final int BUFFER_BYTES = 1 << 20;
    static final int RETAINED = 16;
    /** Shared by every store in the process; the alignment suits the file systems seen so far. */
    static final StagingBuffers ALIGNED = new StagingBuffers(4096);
    /**
     * Heap buffers, for frames that go to gRPC: protobuf wraps an array-backed buffer as it is,
     * and copies a direct one into a fresh array (zeroed first: 4 % of the nodes' CPU on a GET when
     * the O_DIRECT buffers went to it as they were).
     */
    static final StagingBuffers HEAP = new StagingBuffers(0);

    private final int alignment;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

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
        return allocate(BUFFER_BYTES);
    }

    /** A new buffer of {@code bytes} (not pooled) at an address that is a multiple of the alignment (heap for 0). */
    ByteBuffer allocate(int bytes) {
        if (alignment == 0) {
            return ByteBuffer.allocate(bytes);
        }
        return ByteBuffer.allocateDirect(bytes + alignment).alignedSlice(alignment).limit(bytes).slice();
    }

    void release(ByteBuffer b) {
        if (freeCount.incrementAndGet() <= RETAINED) {
            free.offer(b);
        } else {
            freeCount.decrementAndGet();
        }
    }
}
