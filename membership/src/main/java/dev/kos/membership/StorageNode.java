package dev.kos.membership;

import dev.kos.ring.RingNode;
import java.time.Instant;

/** A row of storage_nodes: a registered node as the database knows it. */
public record StorageNode(
        String nodeId,
        String address,
        NodeStatus status,
        long capacityBytes,
        long freeBytes,
        long chunkCount,
        int virtualNodes,
        Instant registeredAt,
        Instant lastHeartbeat,
        Instant statusChangedAt) {

    public RingNode toRingNode() {
        return new RingNode(nodeId, address, virtualNodes);
    }
}
