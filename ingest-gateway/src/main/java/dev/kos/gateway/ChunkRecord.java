package dev.kos.gateway;

import java.util.List;

/** One chunk of a file and the nodes holding a verified copy, preferred copy first. */
public record ChunkRecord(int index, String chunkId, long size, int crc32c, List<Location> locations) {
    public ChunkRecord {
        locations = List.copyOf(locations);
    }

    public record Location(String nodeId, String address) {
    }
}
