package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static dev.kos.e2e.Checks.assertDownloads;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Heartbeats and a node that dies and comes back (1 s beats, inactive after 4 s in the test stack). */
@ExtendWith(SharedStack.class)
@Timeout(120)
class MembershipTest {
    private static final Duration HEARTBEAT = Duration.ofSeconds(1);
    private static final Duration INACTIVE_AFTER = Duration.ofSeconds(4);
    private final TestStack s = SharedStack.stack();

    private Map<String, StackDb.NodeRow> nodesById() {
        return s.db.nodes().stream().collect(Collectors.toMap(StackDb.NodeRow::nodeId, Function.identity()));
    }

    @Test
    void TestHeartbeatMechanism() {
        Map<String, StackDb.NodeRow> first = nodesById();
        assertEquals(TestStack.NODES, first.size(), () -> "registered nodes " + first.keySet());
        first.values().forEach(n -> assertEquals("active", n.status(), () -> n + " is not active"));
        Instant start = first.values().iterator().next().dbNow();

        // Five intervals later (database clock), every node must have beaten several times.
        Map<String, StackDb.NodeRow> later = Poll.until(Duration.ofSeconds(30), "5 heartbeat intervals to pass",
                this::nodesById, m -> m.values().iterator().next().dbNow().isAfter(start.plus(HEARTBEAT.multipliedBy(5))));
        for (StackDb.NodeRow n : later.values()) {
            Duration advanced = Duration.between(first.get(n.nodeId()).lastHeartbeat(), n.lastHeartbeat());
            Duration age = Duration.between(n.lastHeartbeat(), n.dbNow());
            assertTrue(advanced.compareTo(HEARTBEAT.multipliedBy(3)) >= 0,
                    () -> n.nodeId() + " heartbeat advanced only " + advanced + " over five intervals");
            assertTrue(age.compareTo(INACTIVE_AFTER.minusMillis(500)) < 0,
                    () -> n.nodeId() + " last beat is " + age + " old: behind schedule");
            assertEquals("active", n.status());
        }
        assertEquals(TestStack.NODES, s.activeNodesInRing());
    }

    @Test
    void TestStorageServerFailover() throws Exception {
        String victim = TestStack.node(3);
        s.stack.kill(victim);
        try {
            Poll.until(Duration.ofSeconds(20), victim + " marked inactive",
                    () -> s.db.node(victim).orElseThrow().status(), "inactive"::equals);
            // Marked for its silence, not before: the timeout runs from its last beat (which a loaded
            // machine may have delayed before the kill), so that is what to measure from.
            Duration silent = s.db.silenceAtStatusChange(victim);
            assertTrue(silent.compareTo(INACTIVE_AFTER) >= 0, () -> victim + " marked inactive after only " + silent
                    + " of silence");
            Poll.until(Duration.ofSeconds(10), "the gateway's ring without " + victim, s::activeNodesInRing,
                    n -> n == TestStack.NODES - 1);

            // Uploads carry on around the hole, and nothing lands on the dead node.
            SeededData data = SeededData.of(900, 6L << 20);
            UUID id = uploadCompleted(s.client, KosClient.uniqueName("failover"), data);
            List<StackDb.Location> locations = s.db.locations(id);
            assertTrue(locations.stream().noneMatch(l -> victim.equals(l.nodeId())), () -> "chunk on the dead node: " + locations);
            assertDownloads(s.client, id, data.size(), data.sha256Hex());
        } finally {
            s.restartNode(victim, TestStack.NODES);
        }
        assertEquals("active", s.db.node(victim).orElseThrow().status());
        assertEquals(TestStack.NODES, s.activeNodesInRing());
    }
}
