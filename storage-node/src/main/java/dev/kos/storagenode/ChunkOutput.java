package dev.kos.storagenode;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Where a chunk's bytes go while it is being written: a temporary file. */
public interface ChunkOutput extends Closeable {
    /** Writes all of {@code src} (position to limit), or throws. May hold back a partial block until {@link #finish()}. */
    void write(ByteBuffer src) throws IOException;

    /**
     * Writes {@code last} (a chunk's table and trailer), then whatever is held back: the file is
     * complete once this returns, short of a {@link #sync}. One call for both so that an output
     * holding a full buffer back can write it on the calling thread, which would wait for it
     * anyway. Abstract on purpose: an output that wraps another must pass this on, or the file
     * would lack its tail.
     */
    void finish(ByteBuffer last) throws IOException;

    /**
     * Makes the written bytes durable (fsync). May run on another thread while {@link #write}
     * continues (early write-back of a large chunk).
     */
    void sync() throws IOException;

    /**
     * Whether written bytes wait in the page cache until a sync; only then does an early
     * background write-back pay.
     */
    default boolean cached() {
        return true;
    }
}
