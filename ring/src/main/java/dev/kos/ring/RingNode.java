package dev.kos.ring;

import java.util.Objects;

/**
 * A storage node as the ring sees it: its id (the identity that places virtual nodes, so it
 * must be stable across restarts), the address to reach it, and how many virtual nodes it gets
 * (more for a bigger node).
 */
public record RingNode(String nodeId, String address, int virtualNodes) {
    public RingNode {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(address, "address");
        if (nodeId.isBlank()) {
            throw new IllegalArgumentException("a ring node needs a non-blank id");
        }
        if (virtualNodes <= 0) {
            throw new IllegalArgumentException("node " + nodeId + ": virtualNodes must be positive, was " + virtualNodes);
        }
    }

    /** A node with the default number of virtual nodes. */
    public static RingNode of(String nodeId, String address) {
        return new RingNode(nodeId, address, HashRing.DEFAULT_VIRTUAL_NODES);
    }
}
