package dev.kos.membership;

/** The node exists but cannot go to the asked status from its current one. */
public final class IllegalNodeTransitionException extends MembershipException {
    public IllegalNodeTransitionException(String nodeId, NodeStatus from, NodeStatus to, String hint) {
        super("storage node '" + nodeId + "' is " + from.sql() + " and cannot become " + to.sql() + ": " + hint);
    }
}
