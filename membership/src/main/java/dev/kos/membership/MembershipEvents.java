package dev.kos.membership;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.ring.RingNode;
import dev.kos.schemas.events.v1.LeaveReason;
import dev.kos.schemas.events.v1.NodeJoined;
import dev.kos.schemas.events.v1.NodeLeft;
import dev.kos.schemas.events.v1.RingChanged;
import dev.kos.schemas.events.v1.RingMember;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Turns committed membership changes into events, in the transaction that made them: node
 * joined or node left for each node that entered or left the ring, then one ring changed with
 * the new epoch and members. Other services can follow the ring from the nodes topic instead
 * of polling the table, and operators get an audit trail of every change.
 */
final class MembershipEvents {
    private final Events events = new Events("membership");

    void announce(Connection c, List<MembershipChange> changes, RingMembership ring, NodeRepository nodes) throws SQLException {
        for (MembershipChange change : changes) {
            if (change.joinedRing()) {
                RingNode member = ring.members().stream().filter(m -> m.nodeId().equals(change.nodeId())).findFirst()
                        .orElseThrow(() -> new IllegalStateException("joined node " + change.nodeId() + " is not in the ring"));
                OutboxWriter.append(c, events.nodeJoined(change.nodeId(), NodeJoined.newBuilder()
                        .setAddress(change.address())
                        .setCapacityBytes(nodes.find(c, change.nodeId()).map(StorageNode::capacityBytes).orElse(0L))
                        .setVirtualNodes(member.virtualNodes())
                        .build()));
            } else if (change.leftRing()) {
                OutboxWriter.append(c, events.nodeLeft(change.nodeId(), NodeLeft.newBuilder()
                        .setReason(reason(change.current()))
                        .build()));
            }
        }
        RingChanged.Builder rc = RingChanged.newBuilder().setEpoch(ring.epoch());
        for (RingNode m : ring.members()) {
            rc.addMembers(RingMember.newBuilder().setNodeId(m.nodeId()).setAddress(m.address())
                    .setVirtualNodes(m.virtualNodes()));
        }
        OutboxWriter.append(c, events.ringChanged(rc.build()));
    }

    private static LeaveReason reason(NodeStatus now) {
        return switch (now) {
            case DRAINING -> LeaveReason.DRAINED;
            case REMOVED -> LeaveReason.REMOVED;
            case INACTIVE -> LeaveReason.FAILED;
            case ACTIVE -> throw new IllegalArgumentException("an active node has not left the ring");
        };
    }
}
