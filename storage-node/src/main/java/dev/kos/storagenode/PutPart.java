package dev.kos.storagenode;

import dev.kos.schemas.storage.v1.PutChunkRequest;
import java.io.Closeable;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.List;

/**
 * One received PutChunk message. A data frame's bytes may still be gRPC's receive buffers
 * (see {@link PutPartMarshaller}): valid only until {@link #close()}, which hands them back, so
 * the put must consume them before it returns from {@code onNext}.
 *
 * @param header   the header, or null for a data frame
 * @param data     a data frame's bytes in order; empty for a header
 * @param retained what holds the receive buffers, or null when nothing does
 */
record PutPart(PutChunkRequest header, List<ByteBuffer> data, Closeable retained) implements AutoCloseable {
    /** A message parsed the ordinary way: its bytes belong to it and need no release. */
    static PutPart of(PutChunkRequest m) {
        return switch (m.getPartCase()) {
            case DATA -> new PutPart(null, m.getData().asReadOnlyByteBufferList(), null);
            default -> new PutPart(m, List.of(), null);
        };
    }

    boolean isData() {
        return header == null;
    }

    @Override
    public void close() {
        if (retained != null) {
            try {
                retained.close();
            } catch (IOException ignored) {
                // Releasing reference-counted buffers does no I/O.
            }
        }
    }
}
