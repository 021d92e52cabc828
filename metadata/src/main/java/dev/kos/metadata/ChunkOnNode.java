package dev.kos.metadata;

import java.util.UUID;

/**
 * A chunk copy seen from a storage node's side: what cleanup and rebalancing walk through.
 * {@code chunkId} is also the keyset cursor for the next page.
 */
public record ChunkOnNode(String chunkId, String nodeId, LocationState state, UUID fileId, int index, long size, int crc32c) {
}
