package dev.kos.e2e;

import dev.kos.testkit.Poll;
import dev.kos.config.Settings;
import dev.kos.infra.LocalStack;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A real local stack for tests: its own home dir, free ports (so it never collides with a stack
 * a developer runs, nor with a parallel build) and short membership timings so failure tests
 * finish in seconds. Closing it stops every process and deletes its data.
 */
final class TestStack implements AutoCloseable {
    /** Nodes a test may add beyond the initial six; their ports are reserved with the others. */
    static final int SPARE_NODES = 2;
    static final int NODES = 6;

    /** Heartbeat every second, inactive after four silent seconds, rings re-read five times a second. */
    static final Map<String, String> FAST_MEMBERSHIP = Map.of(
            "KOS_MEMBERSHIP_HEARTBEAT_INTERVAL", "1s",
            "KOS_MEMBERSHIP_INACTIVE_AFTER", "4s",
            "KOS_MEMBERSHIP_POLL_INTERVAL", "200ms");

    final LocalStack stack;
    final KosClient client;
    final StackDb db;
    private final Path home;

    private TestStack(LocalStack stack, Path home) {
        this.stack = stack;
        this.home = home;
        this.client = new KosClient(stack.gatewayUrl());
        this.db = new StackDb(stack.database());
    }

    /**
     * The services of a test stack compile with C1 only. With both compilers a stack took 25.7 s
     * to start on this 2-core machine, with C1 alone 17.5 s (`bin/start`, one start each), and the
     * default suite starts four stacks and restarts services a dozen times. The code run is the
     * same; only {@link LargeDataTest}, which measures the real configuration's speed and memory,
     * starts its stack with the full JIT.
     */
    static final Map<String, String> QUICK_START_JIT = Map.of("JAVA_TOOL_OPTIONS", "-XX:TieredStopAtLevel=1");

    /** Starts a stack with the fast membership timings plus the given service environment. */
    static TestStack start(String name, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(QUICK_START_JIT);
        env.putAll(extraEnv);
        return launch(name, env);
    }

    /** As {@link #start}, with the services' JIT as in production (both compilers). */
    static TestStack startWithFullJit(String name, Map<String, String> extraEnv) {
        return launch(name, extraEnv);
    }

    private static TestStack launch(String name, Map<String, String> extraEnv) {
        Map<String, String> env = new HashMap<>(FAST_MEMBERSHIP);
        env.putAll(extraEnv);
        try {
            Path home = Files.createTempDirectory(Path.of(System.getProperty("java.io.tmpdir")), "kos-e2e-" + name + "-");
            // Gateway, placement's health (gateway + 1), Kafka, cleanup's metrics, the nodes, then
            // the nodes' metrics, all in one block below the ephemeral range: a port from the
            // ephemeral range (ServerSocket(0)) was once taken by an outgoing connection between
            // this pick and the stack's start.
            int nodePorts = NODES + SPARE_NODES;
            int base = freeConsecutivePorts(4 + 2 * nodePorts);
            String[] flags = {
                "--home=" + home,
                "--reset",
                "--gateway-port=" + base,
                "--kafka-port=" + (base + 2),
                "--cleanup-metrics-port=" + (base + 3),
                "--node-base-port=" + (base + 4),
                "--node-metrics-base-port=" + (base + 4 + nodePorts),
                "--nodes=" + NODES};
            return new TestStack(LocalStack.start(Settings.of(flags, Map.of()), env), home);
        } catch (Exception e) {
            throw new IllegalStateException("the test stack did not start: " + e.getMessage(), e);
        }
    }

    /** Storage node i's name as services and the nodes table know it. */
    static String node(int i) {
        return "node-" + i;
    }

    /** Where node i keeps a chunk on disk: {@code <data>/<first two chars>/<chunkId>}. */
    Path chunkFile(String nodeId, String chunkId) {
        int i = Integer.parseInt(nodeId.substring("node-".length()));
        return stack.nodeDataDir(i).resolve(chunkId.substring(0, 2)).resolve(chunkId);
    }

    /** Chunk files of the file on any node's disk, found by the chunk id prefix (file id, no dashes). */
    List<Path> chunkFilesOnDisk(UUID fileId) {
        String prefix = fileId.toString().replace("-", "") + "-";
        List<Path> found = new ArrayList<>();
        for (int i = 1; i <= NODES + SPARE_NODES; i++) {
            Path dir = stack.nodeDataDir(i).resolve(prefix.substring(0, 2));
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(f -> f.getFileName().toString().startsWith(prefix)).forEach(found::add);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return found;
    }

    /** Active nodes in the gateway's ring, from GET /ready. */
    long activeNodesInRing() {
        KosClient.Response r = client.get("/ready");
        Map<?, ?> checks = (Map<?, ?>) r.json().get("checks");
        Map<?, ?> detail = (Map<?, ?>) ((Map<?, ?>) checks.get("storage_nodes")).get("detail");
        return (Long) detail.get("active");
    }

    /** Restarts a killed node and waits until it is active again in the database and the gateway's ring. */
    void restartNode(String nodeId, int expectedActive) throws IOException {
        stack.restart(nodeId);
        Poll.until(java.time.Duration.ofSeconds(30), () -> db.node(nodeId).map(n -> n.status().equals("active")).orElse(false),
                nodeId + " active again");
        Poll.until(java.time.Duration.ofSeconds(30), expectedActive + " nodes in the gateway's ring",
                this::activeNodesInRing, n -> n == expectedActive);
    }

    @Override
    public void close() {
        stack.close();
        // -Dkos.e2e.keep=true keeps data and service logs (home/logs) to investigate a failure.
        if (!Boolean.getBoolean("kos.e2e.keep")) {
            deleteTree(home);
        }
    }

    /**
     * A run of free ports below the kernel's ephemeral range (32768+), where outgoing
     * connections would otherwise take them between this check and the nodes' start.
     */
    static int freeConsecutivePorts(int count) {
        for (int attempt = 0; attempt < 200; attempt++) {
            int base = ThreadLocalRandom.current().nextInt(20_000, 32_000 - count);
            boolean free = true;
            for (int p = base; p < base + count && free; p++) {
                free = isFree(p);
            }
            if (free) {
                return base;
            }
        }
        throw new IllegalStateException("no " + count + " consecutive free ports in 20000-32000");
    }

    private static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("could not delete " + root, e);
        }
    }
}
