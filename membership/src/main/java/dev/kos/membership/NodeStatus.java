package dev.kos.membership;

import java.util.Locale;

/**
 * Where a storage node stands. Only {@link #ACTIVE} nodes are in the ring. INACTIVE is set by
 * the heartbeat timeout and undone by the node itself (it heartbeats again); DRAINING and
 * REMOVED are an operator's decisions and only an operator undoes them.
 */
public enum NodeStatus {
    ACTIVE, INACTIVE, DRAINING, REMOVED;

    /** The value stored in storage_nodes.status. */
    public String sql() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static NodeStatus fromSql(String value) {
        return valueOf(value.toUpperCase(Locale.ROOT));
    }
}
