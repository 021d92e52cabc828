package dev.kos.metadata;

import java.util.Objects;

/** One copy of a chunk: the node that holds it and the copy's state. */
public record ChunkLocation(String nodeId, LocationState state) {
    public ChunkLocation {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(state, "state");
    }

    public boolean isReadable() {
        return state == LocationState.STORED;
    }
}
