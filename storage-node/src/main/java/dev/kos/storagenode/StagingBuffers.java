package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Reused aligned direct buffers of {@link #BUFFER_BYTES}, for O_DIRECT writes and for reads, whose
 * frames gRPC is given as views of them. Reused because fresh memory is what costs on a VM (every
 * first touch of a page is a fault the host serves) and because direct buffers are only freed by
 * a GC; at most {@link #RETAINED} are kept per pool, so idle memory stays bounded and any number
 * of puts or reads in flight still each get one.
 */
final class StagingBuffers {
    static final int BUFFER_BYTES = 1 << 20;
    static final int RETAINED = 16;
    /** Shared by every store in the process; the alignment suits the file systems seen so far. */
    static final StagingBuffers ALIGNED = new StagingBuffers(4096);

    private final int alignment;
    private final ConcurrentLinkedQueue<ByteBuffer> free = new ConcurrentLinkedQueue<>();
    private final AtomicInteger freeCount = new AtomicInteger();

    /** Direct buffers aligned to {@code alignment} bytes. */
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
        return allocate(BUFFER_BYTES);
    }

    /** A new buffer of {@code bytes} (not pooled) at an address that is a multiple of the alignment. */
    ByteBuffer allocate(int bytes) {
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
