package dev.kos.storagenode;

import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;

/** Where a chunk's bytes go while it is being written: a temporary file. */
public interface ChunkOutput extends Closeable {
    /** Writes all of {@code src} (position to limit), or throws. */
    void write(ByteBuffer src) throws IOException;

    /**
     * Makes the written bytes durable (fsync). May run on another thread while {@link #write}
     * continues (early write-back of a large chunk).
     */
    void sync() throws IOException;
}
