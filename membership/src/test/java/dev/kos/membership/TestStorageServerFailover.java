package dev.kos.membership;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.Database;
import dev.kos.ring.RingNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A storage node that dies for real (SIGKILL of its JVM, no shutdown hook, no goodbye) is
 * marked inactive after the timeout and leaves everyone's ring; started again, it rejoins.
 */
class TestStorageServerFailover {
    static final Duration HEARTBEAT = Duration.ofMillis(200);
    static final Duration INACTIVE_AFTER = Duration.ofSeconds(1);
    static final Duration POLL = Duration.ofMillis(200);

    Database db;
    NodeRepository nodes;
    NodeRegistry registry;
    final List<Process> processes = new ArrayList<>();

    @BeforeEach
    void start() {
        db = TestDatabase.fresh();
        nodes = new NodeRepository(db);
        registry = new NodeRegistry(nodes, POLL, INACTIVE_AFTER).start();
    }

    @AfterEach
    void stop() {
        registry.close();
        processes.forEach(Process::destroyForcibly);
    }

    @Test
    void aKilledNodeProcessLeavesTheRingAndRejoinsWhenRestarted() throws Exception {
        nodes.register(NodeIdentity.of("steady", "127.0.0.1:7100"), new NodeReport(1, 1, 0));
        try (NodeHeartbeater steady = new NodeHeartbeater(nodes, NodeIdentity.of("steady", "127.0.0.1:7100"),
                () -> new NodeReport(1, 1, 0), HEARTBEAT).start()) {
            Process node = startNode("victim");
            Poll.until(Duration.ofSeconds(15), () -> ringIds().contains("victim"), () -> "ring " + ringIds());
            assertEquals(List.of("steady", "victim"), ringIds());

            node.destroyForcibly(); // SIGKILL
            assertTrue(node.waitFor(10, TimeUnit.SECONDS));
            long killedAt = System.nanoTime();
            Duration gone = Poll.until(Duration.ofSeconds(10), () -> !ringIds().contains("victim"),
                    () -> "still in the ring: " + ringIds());
            assertEquals(NodeStatus.INACTIVE, nodes.find("victim").orElseThrow().status());
            assertEquals(List.of("steady", "victim"), nodes.list().stream().map(StorageNode::nodeId).toList(),
                    "the row stays: its chunks are still recorded there");
            assertEquals(List.of("steady"), ringIds());
            System.out.printf("killed node left the ring %d ms after SIGKILL (heartbeat %d ms, timeout %d ms, poll %d ms)%n",
                    Duration.ofNanos(System.nanoTime() - killedAt).toMillis(), HEARTBEAT.toMillis(),
                    INACTIVE_AFTER.toMillis(), POLL.toMillis());
            // The rule, in database time: inactive only once its silence exceeded the timeout.
            // (Measured from the kill it can look shorter: a loaded machine delays heartbeats.)
            StorageNode victim = nodes.find("victim").orElseThrow();
            Duration silence = Duration.between(victim.lastHeartbeat(), victim.statusChangedAt());
            assertTrue(silence.compareTo(INACTIVE_AFTER) >= 0, "marked inactive after only " + silence + " of silence");
            assertTrue(gone.compareTo(Duration.ofSeconds(10)) < 0, "left the ring " + gone + " after SIGKILL");

            startNode("victim");
            Duration back = Poll.until(Duration.ofSeconds(15), () -> ringIds().contains("victim"),
                    () -> "did not rejoin: " + ringIds());
            System.out.println("restarted node rejoined the ring after " + back.toMillis() + " ms (JVM start included)");
            assertEquals(NodeStatus.ACTIVE, nodes.find("victim").orElseThrow().status());
            assertFalse(steady.consecutiveFailures() > 0);
        }
    }

    private List<String> ringIds() {
        return registry.ring().members().stream().map(RingNode::nodeId).sorted().toList();
    }

    private Process startNode(String nodeId) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                HeartbeatingNodeMain.class.getName(),
                "--db-url=" + db.jdbcUrl(), "--db-user=" + db.user(), "--db-password=" + db.password(),
                "--node-id=" + nodeId, "--node-address=127.0.0.1:7200",
                "--membership-heartbeat-interval=" + HEARTBEAT.toMillis() + "ms",
                "--membership-inactive-after=" + INACTIVE_AFTER.toMillis() + "ms")
                .redirectErrorStream(true)
                .start();
        processes.add(p);
        // Echo the child's log into this test's output, prefixed, for diagnosis.
        CompletableFuture.runAsync(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    System.out.println("[" + nodeId + " pid " + p.pid() + "] " + line);
                }
            } catch (IOException e) {
                // the process is gone; nothing more to echo
            }
        });
        return p;
    }
}
