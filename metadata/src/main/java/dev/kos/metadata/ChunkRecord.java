package dev.kos.metadata;

import java.util.List;
import java.util.UUID;

/**
 * One chunk of a file with every known copy.
 *
 * @param index     0-based position in the file
 * @param chunkId   globally unique id, the ring key and the file name on the node
 * @param crc32c    CRC32C of the chunk's bytes (stored as 4 big-endian bytes)
 * @param locations copies ordered by node id; may be empty while a chunk is being re-placed
 */
public record ChunkRecord(UUID fileId, int index, String chunkId, long size, int crc32c, List<ChunkLocation> locations) {
    public ChunkRecord {
        locations = List.copyOf(locations);
    }

    /** Nodes holding a verified copy, in node-id order: where a download may read from. */
    public List<String> readableNodes() {
        return locations.stream().filter(ChunkLocation::isReadable).map(ChunkLocation::nodeId).toList();
    }
}
