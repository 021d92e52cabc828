package dev.kos.gateway;

import dev.kos.metadata.ChunkRecord;
import java.util.List;

/**
 * A chunk as a download needs it: the metadata row plus where to reach each verified copy.
 * The metadata only knows node ids; the addresses come from the ring or the node table at the
 * moment of the read, because a node may have moved since it stored the chunk.
 */
public record ReadableChunk(ChunkRecord chunk, List<Copy> copies) {
    public ReadableChunk {
        copies = List.copyOf(copies);
    }

    /** One verified copy and the address its node listens on now. */
    public record Copy(String nodeId, String address) {
    }
}
