package dev.kos.membership;

/**
 * One committed change of the ring's membership: what the lead turns into a node joined / node
 * left / ring changed event in the same transaction. {@code previous} is null for a node seen
 * for the first time; previous and current are both ACTIVE when an active node re-registered
 * with a new address or virtual node count. {@code epoch} is the ring epoch it produced.
 */
public record MembershipChange(String nodeId, String address, NodeStatus previous, NodeStatus current, long epoch) {

    public boolean isNewNode() {
        return previous == null;
    }

    /** True when the node entered the ring with this change. */
    public boolean joinedRing() {
        return current == NodeStatus.ACTIVE && previous != NodeStatus.ACTIVE;
    }

    /** True when the node left the ring with this change. */
    public boolean leftRing() {
        return previous == NodeStatus.ACTIVE && current != NodeStatus.ACTIVE;
    }

    @Override
    public String toString() {
        return "node " + nodeId + " (" + address + "): " + (previous == null ? "new" : previous.sql()) + " -> "
                + current.sql() + ", ring epoch " + epoch;
    }
}
