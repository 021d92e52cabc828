package dev.kos.embeddedkafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) running in this JVM.
 *
 * <p>Used by tests and by the local stack, where no Docker and no Kafka install exist. The data
 * directory is formatted only the first time, so topics and records survive a restart on the
 * same directory. Every internal topic has replication factor 1 and min ISR 1, since there is
 * only one node to hold a replica.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EmbeddedKafkaBroker.class.getName());
    private static final int NODE_ID = 1;
    private static final String HOST = "127.0.0.1";
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    // A pre-picked free port can be taken by someone else before the broker binds it.
    private static final int BIND_ATTEMPTS = 5;

    private final KafkaRaftServer server;
    private final Path dataDir;
    private final boolean deleteOnClose;
    private final String bootstrapServers;
    private boolean closed;

    private EmbeddedKafkaBroker(KafkaRaftServer server, Path dataDir, boolean deleteOnClose, String bootstrapServers) {
        this.server = server;
        this.dataDir = dataDir;
        this.deleteOnClose = deleteOnClose;
        this.bootstrapServers = bootstrapServers;
    }

    /**
     * Starts a broker and waits until it serves clients.
     *
     * @param dataDir where logs and metadata live; null for a temp dir deleted on close
     * @param port the client port on 127.0.0.1; 0 picks a free one
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port) {
        return start(dataDir, port, Map.of());
    }

    /**
     * As {@link #start(Path, int)}, with broker properties that override the defaults (for
     * example {@code num.partitions} or {@code log.retention.ms}).
     */
    public static EmbeddedKafkaBroker start(Path dataDir, int port, Map<String, String> overrides) {
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("kafka port must be 0..65535, got " + port);
        }
        boolean temp = dataDir == null;
        Path dir;
        try {
            dir = temp ? Files.createTempDirectory("kos-kafka-") : Files.createDirectories(dataDir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create kafka data dir " + dataDir + ": " + e.getMessage(), e);
        }
        RuntimeException last = null;
        for (int attempt = 1; attempt <= BIND_ATTEMPTS; attempt++) {
            int clientPort = port == 0 ? freePort() : port;
            int controllerPort = freePort();
            try {
                return startOnce(dir, temp, clientPort, controllerPort, overrides);
            } catch (RuntimeException e) {
                last = e;
                // Only a lost race for a pre-picked port is worth another try.
                if (!isBindFailure(e)) {
                    break;
                }
                LOG.warning("kafka broker could not bind ports " + clientPort + "/" + controllerPort + ", retrying: " + e.getMessage());
            }
        }
        if (temp) {
            deleteRecursively(dir);
        }
        throw new EmbeddedKafkaException("kafka broker did not start in " + dir + ": " + last.getMessage(), last);
    }

    private static EmbeddedKafkaBroker startOnce(Path dir, boolean temp, int clientPort, int controllerPort,
                                                 Map<String, String> overrides) {
        Map<String, String> props = brokerProperties(dir, clientPort, controllerPort);
        props.putAll(overrides);
        Properties p = new Properties();
        p.putAll(props);
        KafkaConfig config = KafkaConfig.fromProps(p, false);
        formatIfNeeded(dir, config);
        KafkaRaftServer server = new KafkaRaftServer(config, Time.SYSTEM);
        String bootstrap = HOST + ":" + clientPort;
        try {
            server.startup();
            awaitReady(bootstrap);
        } catch (RuntimeException e) {
            stop(server);
            throw e;
        }
        LOG.info(() -> "kafka broker ready at " + bootstrap + " (data " + dir + ")");
        return new EmbeddedKafkaBroker(server, dir, temp, bootstrap);
    }

    static Map<String, String> brokerProperties(Path dir, int clientPort, int controllerPort) {
        Map<String, String> p = new HashMap<>();
        p.put("process.roles", "broker,controller");
        p.put("node.id", Integer.toString(NODE_ID));
        p.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
        p.put("listeners", "PLAINTEXT://" + HOST + ":" + clientPort + ",CONTROLLER://" + HOST + ":" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + clientPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dir.toAbsolutePath().toString());
        // One node: every internal topic can only have one replica, and must accept writes with it.
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "10");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "5");
        p.put("share.coordinator.state.topic.replication.factor", "1");
        p.put("share.coordinator.state.topic.min.isr", "1");
        p.put("default.replication.factor", "1");
        p.put("min.insync.replicas", "1");
        // Consumers in tests and in the local stack should get partitions at once, not after 3 s.
        p.put("group.initial.rebalance.delay.ms", "0");
        // The default 128 MiB compaction buffer is most of the broker's heap; a dev broker needs little.
        p.put("log.cleaner.dedupe.buffer.size", Integer.toString(16 * 1024 * 1024));
        return p;
    }

    private static void formatIfNeeded(Path dir, KafkaConfig config) {
        if (Files.exists(dir.resolve("meta.properties"))) {
            LOG.info(() -> "kafka data dir " + dir + " is already formatted; reusing it");
            return;
        }
        LOG.info(() -> "formatting kafka data dir " + dir);
        try {
            new Formatter()
                    // Its multi-line report would break one-line logging; the line above says it all.
                    .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
                    .setNodeId(NODE_ID)
                    .setClusterId(Uuid.randomUuid().toString())
                    .setControllerListenerName("CONTROLLER")
                    .setMetadataLogDirectory(config.metadataLogDir())
                    .setDirectories(List.of(dir.toAbsolutePath().toString()))
                    .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
                    .setIgnoreFormatted(true)
                    .run();
        } catch (Exception e) {
            throw new EmbeddedKafkaException("cannot format kafka data dir " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void awaitReady(String bootstrap) {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        try (Admin admin = Admin.create(Map.of(
                AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, "2000",
                AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "3000"))) {
            Exception lastError = null;
            while (System.nanoTime() < deadline) {
                try {
                    if (!admin.describeCluster().nodes().get(3, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (ExecutionException | TimeoutException e) {
                    lastError = e; // not serving yet: ask again until the deadline
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EmbeddedKafkaException("interrupted while waiting for the kafka broker", e);
                }
            }
            throw new EmbeddedKafkaException("kafka broker at " + bootstrap + " not ready after " + READY_TIMEOUT.toSeconds()
                    + " s" + (lastError == null ? "" : ": " + lastError.getMessage()), lastError);
        }
    }

    /** host:port for the bootstrap.servers setting of clients. */
    public String bootstrapServers() {
        return bootstrapServers;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Stops the broker (flushing its logs); deletes the data dir if it was a temp one. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        stop(server);
        if (deleteOnClose) {
            deleteRecursively(dataDir);
        }
        LOG.info(() -> "kafka broker at " + bootstrapServers + " stopped");
    }

    private static void stop(KafkaRaftServer server) {
        try {
            server.shutdown();
            server.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warning("kafka broker did not stop cleanly: " + e.getMessage());
        }
    }

    private static boolean isBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (t instanceof java.net.BindException || m != null && m.contains("failed to bind")) {
                return true;
            }
        }
        return false;
    }

    private static int freePort() {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on " + HOST, e);
        }
    }

    private static void deleteRecursively(Path dir) {
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.deleteIfExists(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warning("cannot delete kafka temp dir " + dir + ": " + e.getMessage());
        }
    }
}
