package dev.kos.storagenode;

import java.nio.ByteBuffer;

/**
 * One put in progress. The caller feeds the bytes in order, then either {@link #finish()}es
 * (verify, make durable, make visible) or {@link #abort()}s; until finish returns, nothing is
 * visible under the chunk's name. Not thread-safe: one gRPC call drives it, one callback at a
 * time.
 */
public sealed interface ChunkPut permits TempFilePut, RedundantPut {
    ChunkId id();

    /** Bytes received so far. */
    long received();

    /** Appends {@code data} (position to limit). Fails at once on more bytes than declared. */
    void write(ByteBuffer data);

    /** Verifies length and checksum and makes the chunk durable and visible; aborts on failure. */
    PutResult finish();

    /** Drops everything this put wrote. Idempotent; safe after a failed finish. */
    void abort();
}
