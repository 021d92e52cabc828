package dev.kos.placement.rebalance;

import dev.kos.membership.NodeStatus;
import dev.kos.membership.StorageNode;
import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Where a chunk copy should be, for one pass: a ring snapshot and the node statuses read at the
 * pass's start. One copy per chunk on its ring owner (no replication yet; with replication the
 * wanted set becomes {@code preferenceList(chunkId, replicas)}).
 */
final class PlacementPolicy {
    /** What to do with one stored copy. */
    enum Verdict {
        /** The copy is on the chunk's owner. */
        IN_PLACE,
        /** The copy is elsewhere and its node's status allows moving it now. */
        MOVE,
        /** The copy is on a node that went silent less than the grace period ago: it may come back. */
        WAIT
    }

    private final HashRing ring;
    private final Map<String, StorageNode> nodes;
    private final Duration failedGrace;
    private final Instant now;

    PlacementPolicy(HashRing ring, Map<String, StorageNode> nodes, Duration failedGrace, Instant now) {
        this.ring = ring;
        this.nodes = Map.copyOf(nodes);
        this.failedGrace = failedGrace;
        this.now = now;
    }

    HashRing ring() {
        return ring;
    }

    Map<String, StorageNode> nodes() {
        return nodes;
    }

    /** The node the chunk belongs on; empty when the ring has no node. */
    Optional<RingNode> owner(String chunkId) {
        return ring.owner(chunkId);
    }

    Verdict verdict(String chunkId, String nodeId) {
        Optional<RingNode> owner = ring.owner(chunkId);
        if (owner.isEmpty() || owner.get().nodeId().equals(nodeId)) {
            // With no ring there is nowhere to move to; leaving the copy is the only safe choice.
            return Verdict.IN_PLACE;
        }
        StorageNode node = nodes.get(nodeId);
        if (node != null && node.status() == NodeStatus.INACTIVE
                && node.statusChangedAt().plus(failedGrace).isAfter(now)) {
            return Verdict.WAIT;
        }
        return Verdict.MOVE;
    }

    /**
     * Whether a copy on this node may serve as the source of a move. An inactive node is silent
     * (failed); a removed one is tried on a best-effort basis, as an operator may remove a node
     * that still runs, and a read that fails only costs one attempt per pass.
     */
    boolean readable(String nodeId) {
        StorageNode node = nodes.get(nodeId);
        return node != null && node.status() != NodeStatus.INACTIVE;
    }

    String address(String nodeId) {
        StorageNode node = nodes.get(nodeId);
        if (node == null) {
            throw new IllegalStateException("node " + nodeId + " was not registered when the pass started");
        }
        return node.address();
    }
}
