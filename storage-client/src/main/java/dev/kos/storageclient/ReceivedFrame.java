package dev.kos.storageclient;

import dev.kos.schemas.storage.v1.GetChunkResponse;

/**
 * A GetChunk frame as received: the message, whose data aliases {@code array} (from the {@link
 * FramePool}), or null when the message owns its bytes. The array goes back to the pool once the
 * frame is consumed, so the message must not be kept past that.
 */
record ReceivedFrame(GetChunkResponse message, byte[] array) {
}
