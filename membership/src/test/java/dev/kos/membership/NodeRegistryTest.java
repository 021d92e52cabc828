package dev.kos.membership;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.Database;
import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeRegistryTest {
    static final Duration POLL = Duration.ofMillis(100);
    static final Duration INACTIVE_AFTER = Duration.ofSeconds(1);
    static final NodeReport REPORT = new NodeReport(100, 50, 0);

    Database db;
    NodeRepository nodes;
    NodeRegistry gateway;
    NodeRegistry placement;

    @BeforeEach
    void start() {
        db = TestDatabase.fresh();
        nodes = new NodeRepository(db);
        nodes.register(NodeIdentity.of("n1", "h:1"), REPORT);
        nodes.register(NodeIdentity.of("n2", "h:2"), REPORT);
        // Two services, each with its own registry, as in production.
        gateway = new NodeRegistry(nodes, POLL, INACTIVE_AFTER).start();
        placement = new NodeRegistry(new NodeRepository(db), POLL, INACTIVE_AFTER).start();
    }

    @AfterEach
    void stop() {
        gateway.close();
        placement.close();
    }

    @Test
    void startLoadsTheRingAtOnce() {
        assertEquals(List.of("n1", "n2"), ids(gateway.ring()));
        assertEquals(2, gateway.ring().epoch());
    }

    @Test
    void aNewNodeJoinsEveryonesRing() {
        List<String> changes = new CopyOnWriteArrayList<>();
        gateway.addListener((prev, next) -> changes.add(ids(prev) + "->" + ids(next)));
        long epoch = nodes.register(NodeIdentity.of("n3", "h:3"), REPORT).change().orElseThrow().epoch();
        // The registry publishes its new ring, then calls its listeners: wait for both.
        Duration seen = Poll.until(Duration.ofSeconds(5), () -> bothAt(epoch) && !changes.isEmpty(), this::state);
        System.out.println("a joining node reached both registries in " + seen.toMillis() + " ms (poll " + POLL.toMillis() + " ms)");
        assertEquals(List.of("n1", "n2", "n3"), ids(gateway.ring()));
        assertEquals(List.of("[n1, n2]->[n1, n2, n3]"), changes);
    }

    @Test
    void drainedAndRemovedNodesLeaveTheRingAndActivatedOnesReturn() {
        long drained = nodes.drain("n1").orElseThrow().epoch();
        Poll.until(Duration.ofSeconds(5), () -> bothAt(drained), this::state);
        assertEquals(List.of("n2"), ids(gateway.ring()));
        long removed = nodes.remove("n2").orElseThrow().epoch();
        Poll.until(Duration.ofSeconds(5), () -> bothAt(removed), this::state);
        assertTrue(gateway.ring().isEmpty());
        assertTrue(gateway.ring().owner("chunk").isEmpty(), "no node: the gateway answers 503");
        long back = nodes.activate("n1").orElseThrow().epoch();
        Poll.until(Duration.ofSeconds(5), () -> bothAt(back), this::state);
        assertEquals(List.of("n1"), ids(placement.ring()));
    }

    @Test
    void aSilentNodeIsSweptByTheRegistriesThemselves() {
        // No heartbeater runs for n1 and n2 in this test: keep n2 alive by hand, let n1 go silent.
        TestDatabase.ageHeartbeat(db, "n1", 5);
        nodes.heartbeat("n2", REPORT);
        Poll.until(Duration.ofSeconds(5), () -> ids(gateway.ring()).equals(List.of("n2"))
                && ids(placement.ring()).equals(List.of("n2")), this::state);
        assertEquals(NodeStatus.INACTIVE, nodes.find("n1").orElseThrow().status());
        assertEquals(3, TestDatabase.epoch(db), "one sweep, one bump, though two registries raced for it");
    }

    @Test
    void twoRegistriesConvergeOnTheSameRing() {
        for (int i = 3; i <= 6; i++) {
            nodes.register(NodeIdentity.of("n" + i, "h:" + i), REPORT);
        }
        nodes.drain("n4");
        long epoch = TestDatabase.epoch(db);
        Poll.until(Duration.ofSeconds(5), () -> bothAt(epoch), this::state);
        HashRing a = gateway.ring();
        HashRing b = placement.ring();
        assertEquals(a.members(), b.members());
        for (int i = 0; i < 10_000; i++) {
            String key = UUID.nameUUIDFromBytes(("k" + i).getBytes()).toString();
            assertEquals(a.owner(key), b.owner(key));
        }
        assertEquals(List.of("n1", "n2", "n3", "n5", "n6"), ids(a));
    }

    @Test
    void refreshFollowsAChangeImmediately() {
        long epoch = nodes.drain("n2").orElseThrow().epoch();
        gateway.refresh();
        assertEquals(epoch, gateway.ring().epoch());
        assertEquals(List.of("n1"), ids(gateway.ring()));
    }

    private boolean bothAt(long epoch) {
        return gateway.ring().epoch() == epoch && placement.ring().epoch() == epoch;
    }

    private String state() {
        return "gateway " + gateway.ring() + " " + ids(gateway.ring()) + ", placement " + placement.ring() + " "
                + ids(placement.ring()) + ", db epoch " + TestDatabase.epoch(db);
    }

    static List<String> ids(HashRing ring) {
        return ring.members().stream().map(RingNode::nodeId).sorted().toList();
    }
}
