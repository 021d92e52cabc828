package dev.kos.membership;

import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Who a storage node is: a stable id (it places the node's virtual nodes, so it must survive
 * restarts), the host:port others reach its gRPC server at, and its virtual node count.
 */
public record NodeIdentity(String nodeId, String address, int virtualNodes) {
    // Same rule as the storage_nodes CHECK, so bad input fails here with a clear message
    // instead of as a constraint violation deep in a transaction.
    private static final Pattern ID = Pattern.compile("^[A-Za-z0-9_.-]{1,64}$");
    static final int MAX_VIRTUAL_NODES = 10_000;

    public NodeIdentity {
        Objects.requireNonNull(nodeId, "nodeId");
        Objects.requireNonNull(address, "address");
        if (!ID.matcher(nodeId).matches()) {
            throw new IllegalArgumentException("node id '" + nodeId + "' must be 1-64 characters of A-Z a-z 0-9 _ . -");
        }
        if (address.isBlank() || address.length() > 255 || address.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("node " + nodeId + ": address '" + address + "' must be a host:port without spaces");
        }
        if (virtualNodes <= 0 || virtualNodes > MAX_VIRTUAL_NODES) {
            throw new IllegalArgumentException("node " + nodeId + ": virtual nodes must be 1.." + MAX_VIRTUAL_NODES + ", was " + virtualNodes);
        }
    }

    public static NodeIdentity of(String nodeId, String address) {
        return new NodeIdentity(nodeId, address, HashRing.DEFAULT_VIRTUAL_NODES);
    }

    public RingNode toRingNode() {
        return new RingNode(nodeId, address, virtualNodes);
    }
}
