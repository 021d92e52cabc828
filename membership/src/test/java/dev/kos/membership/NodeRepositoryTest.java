package dev.kos.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.Database;
import dev.kos.metadata.MetadataException;
import dev.kos.ring.RingNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeRepositoryTest {
    static final NodeReport REPORT = new NodeReport(1000, 800, 3);
    Database db;
    NodeRepository nodes;

    @BeforeEach
    void clean() {
        db = TestDatabase.fresh();
        nodes = new NodeRepository(db);
    }

    @Test
    void aNewNodeRegistersActiveAndBumpsTheEpoch() {
        Registration r = nodes.register(NodeIdentity.of("n1", "10.0.0.1:7070"), REPORT);
        assertEquals(NodeStatus.ACTIVE, r.node().status());
        assertEquals(800, r.node().freeBytes());
        MembershipChange ch = r.change().orElseThrow();
        assertTrue(ch.isNewNode() && ch.joinedRing());
        assertEquals(1, ch.epoch());
        assertEquals(1, TestDatabase.epoch(db));
        assertEquals(new RingMembership(1, List.of(new RingNode("n1", "10.0.0.1:7070", 150))),
                db.withConnection(nodes::ringMembers));
    }

    @Test
    void reRegisteringUnchangedLeavesTheEpochAloneButANewAddressMovesIt() {
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        Registration again = nodes.register(NodeIdentity.of("n1", "h:1"), new NodeReport(1000, 500, 9));
        assertEquals(Optional.empty(), again.change());
        assertEquals(500, again.node().freeBytes());
        assertEquals(1, TestDatabase.epoch(db));
        MembershipChange moved = nodes.register(NodeIdentity.of("n1", "h:2"), REPORT).change().orElseThrow();
        assertEquals(NodeStatus.ACTIVE, moved.previous());
        assertEquals(2, moved.epoch());
    }

    @Test
    void anInactiveNodeThatRegistersBecomesActiveButOperatorDecisionsStick() {
        nodes.register(NodeIdentity.of("dead", "h:1"), REPORT);
        nodes.register(NodeIdentity.of("drained", "h:2"), REPORT);
        nodes.register(NodeIdentity.of("removed", "h:3"), REPORT);
        TestDatabase.ageHeartbeat(db, "dead", 60);
        assertEquals(1, nodes.markInactiveSilentSince(Duration.ofSeconds(30)).size());
        nodes.drain("drained");
        nodes.remove("removed");
        long epoch = TestDatabase.epoch(db);

        assertEquals(NodeStatus.ACTIVE, nodes.register(NodeIdentity.of("dead", "h:1"), REPORT).node().status());
        assertEquals(epoch + 1, TestDatabase.epoch(db));
        Registration drained = nodes.register(NodeIdentity.of("drained", "h:2"), REPORT);
        Registration removed = nodes.register(NodeIdentity.of("removed", "h:9"), REPORT);
        assertEquals(NodeStatus.DRAINING, drained.node().status());
        assertEquals(NodeStatus.REMOVED, removed.node().status());
        assertEquals(Optional.empty(), removed.change(), "a new address of a removed node does not touch the ring");
        assertEquals(epoch + 1, TestDatabase.epoch(db));
    }

    @Test
    void silentNodesAreSweptByDatabaseTimeWithOneEpochBump() {
        for (String id : List.of("a", "b", "c")) {
            nodes.register(NodeIdentity.of(id, id + ":1"), REPORT);
        }
        TestDatabase.ageHeartbeat(db, "a", 5);
        TestDatabase.ageHeartbeat(db, "b", 5);
        assertTrue(nodes.checkEpoch(Duration.ofSeconds(1)).silentActiveNodes());
        assertFalse(nodes.checkEpoch(Duration.ofSeconds(10)).silentActiveNodes());
        assertEquals(List.of(), nodes.markInactiveSilentSince(Duration.ofSeconds(10)));
        List<MembershipChange> swept = nodes.markInactiveSilentSince(Duration.ofSeconds(1));
        assertEquals(List.of("a", "b"), swept.stream().map(MembershipChange::nodeId).sorted().toList());
        assertTrue(swept.stream().allMatch(ch -> ch.leftRing() && ch.epoch() == 4));
        assertEquals(4, TestDatabase.epoch(db));
        assertEquals(List.of("c"), nodes.activeRingMembers(Duration.ofSeconds(1)).members().stream().map(RingNode::nodeId).toList());
        assertFalse(nodes.checkEpoch(Duration.ofSeconds(1)).silentActiveNodes());
    }

    @Test
    void heartbeatReportsStatusAndUnknownNodes() {
        assertEquals(Optional.empty(), nodes.heartbeat("ghost", REPORT));
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        TestDatabase.ageHeartbeat(db, "n1", 60);
        nodes.markInactiveSilentSince(Duration.ofSeconds(30));
        assertEquals(Optional.of(NodeStatus.INACTIVE), nodes.heartbeat("n1", new NodeReport(1000, 10, 99)));
        StorageNode after = nodes.find("n1").orElseThrow();
        assertEquals(10, after.freeBytes());
        assertEquals(99, after.chunkCount());
        assertTrue(nodes.rejoin("n1").orElseThrow().joinedRing());
        assertEquals(Optional.empty(), nodes.rejoin("n1"), "already active");
    }

    @Test
    void operatorTransitionsAreGuardedAndTyped() {
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        MembershipChange drained = nodes.drain("n1").orElseThrow();
        assertTrue(drained.leftRing());
        assertEquals(Optional.empty(), nodes.drain("n1"), "draining twice is a no-op");
        nodes.remove("n1");
        IllegalNodeTransitionException e = assertThrows(IllegalNodeTransitionException.class, () -> nodes.drain("n1"));
        assertTrue(e.getMessage().contains("removed"), e.getMessage());
        assertTrue(nodes.activate("n1").orElseThrow().joinedRing());
        assertEquals(Optional.empty(), nodes.activate("n1"));
        UnknownNodeException u = assertThrows(UnknownNodeException.class, () -> nodes.remove("nope"));
        assertEquals("nope", u.nodeId());
        assertEquals(4, TestDatabase.epoch(db), "register, drain, remove, activate: one bump each, none for no-ops");
    }

    @Test
    void aStatusChangeAndItsEpochCommitOrRollBackTogether() {
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        // The lead adds an outbox insert to the same transaction; when that fails, nothing moves.
        assertThrows(MetadataException.class, () -> db.inTransaction(c -> {
            nodes.drain(c, "n1");
            c.createStatement().executeUpdate("INSERT INTO outbox (event_id, topic, record_key, event_type, payload) "
                    + "VALUES ('not-a-uuid', 't', 'k', 'x', '')");
            return null;
        }));
        assertEquals(NodeStatus.ACTIVE, nodes.find("n1").orElseThrow().status());
        assertEquals(1, TestDatabase.epoch(db));
    }

    @Test
    void connectionMethodsRefuseAutoCommit() {
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        assertThrows(IllegalStateException.class, () -> db.withConnection(c -> nodes.drain(c, "n1")));
    }

    @Test
    void concurrentRegistersOfOneNodeMakeOneRowAndOneEpoch() throws Exception {
        int threads = 16;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Registration>> results = new ArrayList<>();
        try {
            for (int i = 0; i < threads; i++) {
                results.add(pool.submit(() -> {
                    go.await();
                    return nodes.register(NodeIdentity.of("racer", "h:1"), REPORT);
                }));
            }
            go.countDown();
            int changes = 0;
            for (Future<Registration> f : results) {
                changes += f.get().change().isPresent() ? 1 : 0;
            }
            assertEquals(1, changes, "exactly one register created the node");
        } finally {
            pool.shutdownNow();
        }
        assertEquals(1, nodes.list().size());
        assertEquals(1, TestDatabase.epoch(db));
    }

    @Test
    void badIdentitiesAreRejectedBeforeTheDatabase() {
        assertThrows(IllegalArgumentException.class, () -> NodeIdentity.of("../etc", "h:1"));
        assertThrows(IllegalArgumentException.class, () -> NodeIdentity.of("n1", " "));
        assertThrows(IllegalArgumentException.class, () -> new NodeIdentity("n1", "h:1", 0));
        assertThrows(IllegalArgumentException.class, () -> new NodeReport(-1, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> nodes.markInactiveSilentSince(Duration.ZERO));
        assertNull(new MembershipChange("n", "h:1", null, NodeStatus.ACTIVE, 1).previous());
    }
}
