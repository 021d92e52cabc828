package dev.kos.infra;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.metadata.Database;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;

/**
 * The whole system on one machine, from one command (bin/start): an embedded PostgreSQL and
 * Kafka broker in this JVM, then six storage nodes, the placement service, the cleanup worker
 * and the gateway, each as its own process. Ctrl-C stops everything, services first.
 * Data lives under the home dir (.kos) and survives restarts unless --reset is given.
 */
public final class LocalStack implements AutoCloseable {
    /** Chunk buffers of the local gateway (gateway.buffer-memory); see where the gateway starts. */
    static final String GATEWAY_BUFFER_MEMORY = "128MiB";
    /** How long a service may drain after SIGTERM before it is killed. */
    static final long STOP_GRACE_SECONDS = 15;
    private final StackConfig config;
    // Read by the watcher thread while tests add or restart services.
    private final List<ChildProcess> children = new java.util.concurrent.CopyOnWriteArrayList<>();
    private Database database;
    private EmbeddedKafkaBroker kafka;
    private final Map<String, String> serviceEnv = new HashMap<>();
    private volatile boolean stopping;

    LocalStack(StackConfig config) {
        this.config = config;
    }

    /** Starts the whole stack as {@code bin/start} does; for tests and tools. */
    public static LocalStack start(Settings settings) throws Exception {
        return start(settings, Map.of());
    }

    /**
     * Starts the whole stack with extra environment for every service, e.g.
     * {@code KOS_GATEWAY_IDLE_TIMEOUT=5s} or {@code KOS_MEMBERSHIP_HEARTBEAT_INTERVAL=1s}: how
     * tests run the real services with short timeouts.
     */
    public static LocalStack start(Settings settings, Map<String, String> serviceEnvironment) throws Exception {
        StackConfig config = StackConfig.from(settings);
        if (config.reset()) {
            deleteTree(config.home());
        }
        List<String> problems = Prerequisites.problems(config);
        if (!problems.isEmpty()) {
            throw new IllegalStateException(String.join("; ", problems));
        }
        LocalStack stack = new LocalStack(config);
        stack.serviceEnv.putAll(serviceEnvironment);
        try {
            stack.start();
        } catch (Exception e) {
            stack.close();
            throw e;
        }
        return stack;
    }

    public String gatewayUrl() {
        return "http://localhost:" + config.gatewayPort();
    }

    public Database database() {
        return database;
    }

    public String kafkaBootstrap() {
        return serviceEnv.get("KOS_KAFKA_BOOTSTRAP");
    }

    public Path home() {
        return config.home();
    }

    /** Storage node i (1-based): its data dir, gRPC address and id. */
    public Path nodeDataDir(int i) {
        return config.home().resolve("node-" + i);
    }

    public String nodeAddress(int i) {
        return "localhost:" + config.nodePort(i);
    }

    public int nodeCount() {
        return config.nodes();
    }

    /** The pid of a running service ("gateway", "placement", "node-3", ...). */
    public long pid(String service) {
        return child(service).pid();
    }

    /** SIGKILL: the service gets no chance to clean up, as in a crash. */
    public void kill(String service) {
        ChildProcess c = child(service);
        c.kill();
    }

    /** SIGTERM with a grace period: a clean stop. */
    public void stop(String service) {
        ChildProcess c = child(service);
        c.signalStop();
        c.awaitStop(STOP_GRACE_SECONDS);
    }

    /** Starts a service that was killed or stopped, with the arguments it first had. */
    public void restart(String service) throws IOException {
        ChildProcess old = child(service);
        if (old.isAlive()) {
            throw new IllegalStateException(service + " is still running");
        }
        children.set(children.indexOf(old), old.startAgain());
    }

    /** Starts storage node i (beyond the initial ones: i > nodeCount()) to grow the ring. */
    public void addNode(int i) throws IOException {
        startNode(i);
    }

    private ChildProcess child(String service) {
        return children.stream().filter(c -> c.name().equals(service)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no service named " + service));
    }

    public static void main(String[] args) throws Exception {
        Logging.configure("local-stack");
        List<String> given = List.of(args);
        if (given.contains("--help") || given.contains("-h")) {
            System.out.print(StackConfig.USAGE);
            return;
        }
        StackConfig config;
        try {
            config = StackConfig.from(Settings.from(args));
        } catch (IllegalArgumentException e) {
            System.err.println("kos: " + e.getMessage());
            System.exit(2);
            return;
        }
        if (config.reset()) {
            deleteTree(config.home());
        }
        List<String> problems = Prerequisites.problems(config);
        if (!problems.isEmpty()) {
            problems.forEach(p -> System.err.println("kos: " + p));
            System.exit(1);
        }
        LocalStack stack = new LocalStack(config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("\nkos: stopping...");
            stack.close();
            stopped.countDown();
        }, "local-stack-shutdown"));
        try {
            stack.start();
        } catch (Exception e) {
            System.err.println("kos: the stack did not start: " + e.getMessage());
            System.exit(1);
        }
        stack.printSummary();
        stack.watch();
        stopped.await();
    }

    void start() throws Exception {
        Path home = config.home();
        Files.createDirectories(home.resolve("logs"));
        Instant t0 = Instant.now();

        Settings s = config.settings();
        if (s.optional("db.url").isPresent()) {
            database = Database.fromSettings(s, "local-stack");
        } else {
            // Stopped by close(), after the services: see Database.embedded.
            database = Database.embedded(home.resolve("postgres"), 2, "local-stack", false);
            database.migrate();
        }
        serviceEnv.put("KOS_DB_URL", database.jdbcUrl());
        serviceEnv.put("KOS_DB_USER", database.user());
        serviceEnv.put("KOS_DB_PASSWORD", database.password());

        if (config.embeddedKafka()) {
            kafka = EmbeddedKafkaBroker.start(home.resolve("kafka"), config.kafkaPort());
            serviceEnv.put("KOS_KAFKA_BOOTSTRAP", kafka.bootstrapServers());
        } else {
            serviceEnv.put("KOS_KAFKA_BOOTSTRAP", s.optional("kafka.bootstrap").orElseThrow());
        }

        writeStackEnv(home);
        for (int i = 1; i <= config.nodes(); i++) {
            startNode(i);
        }
        // One stream thread, not the service's default three. Three overlap finalizing commits that
        // wait for PostgreSQL's WAL flush; on this one-machine stack that buys little and costs CPU
        // that the uploads share. Measured first while the embedded PostgreSQL still committed without
        // waiting (e64cbca: placement 4.5-4.9 -> 3.0-3.3 CPU-ms per 1 MiB upload); measured again since
        // it commits durably, on two fresh stacks warmed alike, four alternated pairs of 12 s runs of
        // 1 MiB uploads: three threads settled a file ~1.5 ms sooner (the gateway's wait for the
        // completion, median 14-17 against 16-19 ms) for +0.4 placement CPU-ms per upload, and the
        // same uploads per second (150-174 against 150-179). bench/README.md, small uploads.
        // KOS_PLACEMENT_STREAM_THREADS set by the caller still wins.
        startService("placement", "dev.kos.placement.Main", List.of("-Xmx384m"), Map.of("KOS_PLACEMENT_STREAM_THREADS", "1"),
                "--placement-state-dir=" + home.resolve("placement"),
                "--placement-health-port=" + config.placementHealthPort());
        startService("cleanup", "dev.kos.cleanup.Main", "-Xmx256m", "--cleanup-metrics-port=" + config.cleanupMetricsPort());
        // The gateway's memory is its chunk buffers plus a working set: 128 MiB of buffers (eight
        // 16 MiB chunks: four uploads fully pipelined, more taking turns) in a 288 MiB heap, and
        // glibc held to two malloc arenas (by default each busy thread may get its own 64 MiB
        // arena, which gRPC's and the sockets' native buffers then fragment), keep its resident
        // size under 512 MiB whatever the file size. Measured after rounds of 50 concurrent
        // 20 MiB uploads and a 2 GiB round trip: 320 MiB heap and default arenas 496 -> 514 MiB
        // and still rising; 288 MiB heap and two arenas 451 -> 466 MiB, then flat (bench/README.md).
        // A fixed 64 MiB young generation leaves the old one 224 MiB: the buffers, once promoted,
        // fill 128 MiB of it for good, and the serial collector runs a young collection only while
        // the old generation has room for what it may promote. With the default third of the heap
        // (96 MiB young, 192 old) it had ~50 MiB, less than the young generation, and after the
        // buffers' own promotion inflated its estimate every collection became a full one: 1 MiB
        // uploads ran a 40-130 ms full collection every 0.8-2 s, for good.
        startService("gateway", "dev.kos.gateway.Main", List.of("-Xmx288m", "-Xmn64m"), Map.of("MALLOC_ARENA_MAX", "2"),
                "--gateway-port=" + config.gatewayPort(), "--gateway-buffer-memory=" + GATEWAY_BUFFER_MEMORY);
        awaitGateway(Duration.ofSeconds(90));
        System.out.printf("kos: started in %.1f s%n", Duration.between(t0, Instant.now()).toMillis() / 1000.0);
    }

    /** Where operator tools (bin/kos) find this stack: the database and Kafka addresses. */
    private void writeStackEnv(Path home) throws IOException {
        StringBuilder env = new StringBuilder();
        for (String key : List.of("KOS_DB_URL", "KOS_DB_USER", "KOS_DB_PASSWORD", "KOS_KAFKA_BOOTSTRAP")) {
            env.append(key).append('=').append(serviceEnv.getOrDefault(key, "")).append('\n');
        }
        Files.writeString(home.resolve("stack.env"), env.toString());
    }

    private void startNode(int i) throws IOException {
        int port = config.nodePort(i);
        startService("node-" + i, "dev.kos.storagenode.Main", "-Xmx256m",
                "--node-id=node-" + i,
                "--node-port=" + port,
                "--node-advertised-address=localhost:" + port,
                "--node-metrics-port=" + config.nodeMetricsPort(i),
                "--node-data-dir=" + config.home().resolve("node-" + i));
    }

    private void startService(String name, String mainClass, String heap, String... args) throws IOException {
        startService(name, mainClass, List.of(heap), Map.of(), args);
    }

    /** {@code extraEnv} adds to the services' environment for this one; a value set there already wins. */
    private void startService(String name, String mainClass, List<String> jvmArgs, Map<String, String> extraEnv,
                              String... args) throws IOException {
        List<String> jvm = new ArrayList<>(jvmArgs);
        jvm.add("-XX:+UseSerialGC");
        Map<String, String> env = new HashMap<>(extraEnv);
        env.keySet().removeIf(key -> System.getenv(key) != null);
        env.putAll(serviceEnv);
        ChildProcess child = ChildProcess.start(name, mainClass, jvm, List.of(args), env, config.home().resolve("logs"));
        children.add(child);
    }

    private void awaitGateway(Duration timeout) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
        URI ready = URI.create("http://localhost:" + config.gatewayPort() + "/ready");
        Instant deadline = Instant.now().plus(timeout);
        while (Instant.now().isBefore(deadline)) {
            for (ChildProcess c : children) {
                if (!c.isAlive()) {
                    throw new IllegalStateException(c.name() + " exited with " + c.exitCode() + "; see " + c.log());
                }
            }
            try {
                HttpResponse<String> r = http.send(HttpRequest.newBuilder(ready).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // the gateway is still starting
            }
            Thread.sleep(250); // a poll interval inside a deadline loop, not a wait for a condition
        }
        throw new IllegalStateException("the gateway was not ready within " + timeout.toSeconds() + " s; see "
                + config.home().resolve("logs"));
    }

    void printSummary() {
        System.out.println();
        System.out.println("kos is running. Data and logs: " + config.home());
        System.out.println("  gateway         http://localhost:" + config.gatewayPort() + "   (OpenAPI: /openapi.yaml)");
        System.out.println("  placement       http://localhost:" + config.placementHealthPort() + "/health   (finalizer, relay, rebalance progress)");
        for (String line : metricsLines()) {
            System.out.println(line);
        }
        System.out.println("  PostgreSQL      " + database.jdbcUrl());
        System.out.println("  Kafka           " + serviceEnv.get("KOS_KAFKA_BOOTSTRAP"));
        for (ChildProcess c : children) {
            System.out.printf("  %-15s pid %-7d log %s%n", c.name(), c.pid(), c.log());
        }
        System.out.println();
        System.out.println("Try:");
        System.out.println("  curl -F file=@README.md http://localhost:" + config.gatewayPort() + "/files");
        System.out.println("  curl http://localhost:" + config.gatewayPort() + "/files");
        System.out.println("Ctrl-C stops everything.");
    }

    /** Every process's /metrics, by service ("gateway", "placement", "cleanup", "node-1" ...). */
    public Map<String, URI> metricsEndpoints() {
        Map<String, URI> urls = new java.util.LinkedHashMap<>();
        urls.put("gateway", URI.create("http://localhost:" + config.gatewayPort() + "/metrics"));
        urls.put("placement", URI.create("http://localhost:" + config.placementHealthPort() + "/metrics"));
        urls.put("cleanup", URI.create("http://localhost:" + config.cleanupMetricsPort() + "/metrics"));
        for (int i = 1; i <= config.nodes(); i++) {
            urls.put("node-" + i, URI.create("http://localhost:" + config.nodeMetricsPort(i) + "/metrics"));
        }
        return urls;
    }

    /** Where each process serves /metrics, one line per service (the nodes' in one), for the summary. */
    List<String> metricsLines() {
        String nodes = "http://localhost:" + config.nodeMetricsPort(1) + "/metrics"
                + (config.nodes() == 1 ? "   (node-1)" : " ... http://localhost:" + config.nodeMetricsPort(config.nodes())
                        + "/metrics   (node-1 ... node-" + config.nodes() + ")");
        return List.of(
                "  metrics         http://localhost:" + config.gatewayPort() + "/metrics   (gateway; for Prometheus: infra/prometheus/prometheus.yml)",
                "                  http://localhost:" + config.placementHealthPort() + "/metrics   (placement)",
                "                  http://localhost:" + config.cleanupMetricsPort() + "/metrics   (cleanup)",
                "                  " + nodes);
    }

    /** Reports a service that dies while the stack runs; the operator decides what to do. */
    private void watch() {
        Thread.ofVirtual().name("child-watch").start(() -> {
            List<ChildProcess> reported = new ArrayList<>();
            while (!Thread.currentThread().isInterrupted()) {
                for (ChildProcess c : children) {
                    if (!stopping && !c.isAlive() && !reported.contains(c)) {
                        reported.add(c);
                        System.err.println("kos: " + c.name() + " exited with " + c.exitCode() + "; see " + c.log());
                    }
                }
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
    }

    @Override
    public void close() {
        stopping = true;
        // The gateway first (no new uploads), then the workers, then the nodes they talk to, then
        // Kafka and PostgreSQL. Within a stage the services stop at once: one after the other,
        // nine JVMs' shutdowns added up to most of a test stack's stop time.
        List<ChildProcess> gateway = children.stream().filter(c -> c.name().equals("gateway")).toList();
        List<ChildProcess> nodes = children.stream().filter(c -> c.name().startsWith("node-")).toList();
        List<ChildProcess> workers = children.stream().filter(c -> !gateway.contains(c) && !nodes.contains(c)).toList();
        for (List<ChildProcess> stage : List.of(gateway, workers, nodes)) {
            stage.forEach(ChildProcess::signalStop);
            stage.forEach(c -> c.awaitStop(STOP_GRACE_SECONDS));
        }
        if (kafka != null) {
            kafka.close();
        }
        if (database != null) {
            database.close();
        }
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
