package dev.kos.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kos.metadata.Database;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.LeaveReason;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Every membership change leaves its events in the outbox, in the same transaction. */
class MembershipEventsTest {
    static final NodeReport REPORT = new NodeReport(1000, 800, 3);
    Database db;
    NodeRepository nodes;

    @BeforeEach
    void clean() {
        db = TestDatabase.fresh();
        nodes = new NodeRepository(db);
    }

    List<EventEnvelope> outbox() {
        return db.withConnection(c -> {
            List<EventEnvelope> out = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT payload FROM outbox ORDER BY id");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(EventEnvelope.parseFrom(rs.getBytes(1)));
                }
            } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                throw new AssertionError(e);
            }
            return out;
        });
    }

    @Test
    void joinDrainAndFailureAreAnnouncedWithTheRingThatResults() {
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        nodes.register(NodeIdentity.of("n2", "h:2"), REPORT);
        nodes.drain("n2");
        List<EventEnvelope> es = outbox();
        assertEquals(List.of(EventEnvelope.PayloadCase.NODE_JOINED, EventEnvelope.PayloadCase.RING_CHANGED,
                EventEnvelope.PayloadCase.NODE_JOINED, EventEnvelope.PayloadCase.RING_CHANGED,
                EventEnvelope.PayloadCase.NODE_LEFT, EventEnvelope.PayloadCase.RING_CHANGED),
                es.stream().map(EventEnvelope::getPayloadCase).toList());
        assertEquals("n1", es.get(0).getNodeId());
        assertEquals(1000, es.get(0).getNodeJoined().getCapacityBytes());
        assertEquals(2, es.get(3).getRingChanged().getMembersCount());
        assertEquals(LeaveReason.DRAINED, es.get(4).getNodeLeft().getReason());
        assertEquals(List.of("n1"), es.get(5).getRingChanged().getMembersList().stream().map(m -> m.getNodeId()).toList());
        long epoch = db.inTransaction(c -> nodes.ringMembers(c).epoch());
        assertEquals(epoch, es.get(5).getRingChanged().getEpoch(), "the last ring_changed carries the current epoch");
    }

    @Test
    void aSilentNodeLeavesAsFailedAndAnUnchangedReRegistrationSaysNothing() {
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        int before = outbox().size();
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        assertEquals(before, outbox().size(), "re-registering unchanged is not a membership change");
        db.inTransaction(c -> c.createStatement().executeUpdate(
                "UPDATE storage_nodes SET last_heartbeat = now() - interval '1 hour'"));
        nodes.markInactiveSilentSince(Duration.ofSeconds(30));
        List<EventEnvelope> es = outbox();
        assertEquals(before + 2, es.size());
        assertEquals(LeaveReason.FAILED, es.get(before).getNodeLeft().getReason());
        assertEquals(0, es.get(before + 1).getRingChanged().getMembersCount());
    }
}
