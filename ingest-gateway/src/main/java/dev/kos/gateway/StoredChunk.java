package dev.kos.gateway;

/** A chunk a storage node verified and made visible during an upload. */
public record StoredChunk(int index, String chunkId, long size, int crc32c, String nodeId, String nodeAddress,
                          boolean alreadyPresent) {
}
