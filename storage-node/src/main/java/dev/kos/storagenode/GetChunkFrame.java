package dev.kos.storagenode;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import java.nio.ByteBuffer;

/**
 * A GetChunk response as the node sends it: the frame's bytes as the reader checked them (a view
 * of its buffer, not copied into a message) and, on the first frame only, the chunk's length and
 * checksum. On the wire it is exactly the {@link GetChunkResponse} with these fields
 * ({@link GetChunkFrameMarshaller}).
 *
 * @param head the chunk_length and checksum fields, or null after the first frame
 */
record GetChunkFrame(long offset, ByteBuffer data, GetChunkResponse head) {

    /** The same frame as a message, its bytes copied: for a caller of the plain generated binding. */
    GetChunkResponse toResponse() {
        GetChunkResponse.Builder b = head == null ? GetChunkResponse.newBuilder() : head.toBuilder();
        return b.setOffset(offset).setData(ByteString.copyFrom(data.duplicate())).build();
    }
}
