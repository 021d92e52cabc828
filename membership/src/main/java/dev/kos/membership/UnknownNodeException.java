package dev.kos.membership;

/** No storage node has this id. */
public final class UnknownNodeException extends MembershipException {
    private final String nodeId;

    public UnknownNodeException(String nodeId) {
        super("unknown storage node '" + nodeId + "'");
        this.nodeId = nodeId;
    }

    public String nodeId() {
        return nodeId;
    }
}
