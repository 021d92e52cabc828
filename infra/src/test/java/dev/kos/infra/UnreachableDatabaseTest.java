package dev.kos.infra;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every service whose metadata database cannot be reached at start-up exits non-zero and says
 * why, instead of running half-started: compose's and Kubernetes' restart policies only act on
 * a process that ended. (A storage node used to serve gRPC and never join the ring.)
 */
class UnreachableDatabaseTest {
    private static final Duration DEADLINE = Duration.ofSeconds(90);

    @TempDir
    Path dir;

    @Test
    void everyServiceExitsWhenItsDatabaseIsUnreachable() throws Exception {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0)) {
            closedPort = s.getLocalPort(); // free once closed: nothing listens there
        }
        Map<String, String> env = Map.of(
                "KOS_DB_URL", "jdbc:postgresql://127.0.0.1:" + closedPort + "/kos",
                "KOS_KAFKA_BOOTSTRAP", "127.0.0.1:" + closedPort,
                "KOS_NODE_DATA_DIR", dir.resolve("node").toString(),
                "KOS_PLACEMENT_STATE_DIR", dir.resolve("placement").toString());
        // Ports 0: any free one, so the test never collides with a running stack.
        List<ChildProcess> services = new ArrayList<>();
        services.add(ChildProcess.start("node", "dev.kos.storagenode.Main", List.of("-Xmx128m"),
                List.of("--node-port=0", "--node-metrics-port=0"), env, dir.resolve("logs")));
        services.add(ChildProcess.start("gateway", "dev.kos.gateway.Main", List.of("-Xmx288m"),
                List.of("--gateway-port=0"), env, dir.resolve("logs")));
        services.add(ChildProcess.start("placement", "dev.kos.placement.Main", List.of("-Xmx128m"),
                List.of("--placement-health-port=0"), env, dir.resolve("logs")));
        services.add(ChildProcess.start("cleanup", "dev.kos.cleanup.Main", List.of("-Xmx128m"),
                List.of("--cleanup-metrics-port=0"), env, dir.resolve("logs")));
        try {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            for (ChildProcess service : services) {
                service.awaitExit(Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
                assertFalse(service.isAlive(), service.name() + " still runs " + DEADLINE.toSeconds()
                        + " s after start with no database");
                assertNotEquals(0, service.exitCode(), service.name() + " exited 0 with no database");
                String log = Files.readString(service.log());
                assertTrue(log.contains("127.0.0.1:" + closedPort), () -> service.name()
                        + "'s output does not name the database it could not reach:\n" + log);
            }
        } finally {
            services.forEach(ChildProcess::kill);
        }
    }
}
