package dev.kos.gateway;

import dev.kos.events.Events;
import dev.kos.membership.NodeIdentity;
import dev.kos.membership.NodeReport;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.Database;
import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import dev.kos.storageclient.StorageNodeClients;
import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
import io.helidon.webserver.WebServer;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BooleanSupplier;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;

/**
 * A real gateway for tests: embedded PostgreSQL, real storage nodes on loopback, a ring built
 * here, the real event pipeline ({@link EventPipeline}: broker, outbox relay, placement service)
 * and the Helidon server on an ephemeral port with {@link Main#routing}. One per test class.
 */
final class GatewayHarness implements AutoCloseable {
    static final int CHUNK = 1 << 20;
    static final long MAX_FILE = 40L << 20;
    private static final String BASE_NODE = "node-";

    final Database db;
    final NodeRepository nodeRepository;
    final Map<String, StorageNodeServer> nodes = new LinkedHashMap<>();
    final AtomicReference<HashRing> ring = new AtomicReference<>(HashRing.empty());
    final StorageNodeClients clients = new StorageNodeClients();
    final EventPipeline events;
    private final Admin kafkaAdmin;
    final SettledListener settled;
    private final Path dataRoot;
    volatile Gateway gateway;
    volatile WebServer server;

    GatewayHarness(Path dataRoot, int nodeCount) {
        this(dataRoot, nodeCount, config(CHUNK, 8L * CHUNK, MAX_FILE));
    }

    GatewayHarness(Path dataRoot, int nodeCount, GatewayConfig config) {
        this.dataRoot = dataRoot;
        db = Database.embedded(null, 8, "gateway-test");
        db.migrate();
        settled = SettledListener.start(() -> java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()));
        nodeRepository = new NodeRepository(db);
        for (int i = 0; i < nodeCount; i++) {
            startNode(BASE_NODE + i, 0);
        }
        resetRing();
        events = new EventPipeline(db, dataRoot.resolve("placement-state"));
        kafkaAdmin = Readiness.kafkaAdmin(events.kafka.bootstrapServers());
        startGateway(config);
    }

    /**
     * The test gateway's settings: a 2 s idle timeout so stalled-client tests are quick, and a
     * completion wait long enough that the real placement service answers before 202.
     */
    static GatewayConfig config(int chunkSize, long bufferMemory, long maxFile) {
        return config(chunkSize, bufferMemory, maxFile, Duration.ofSeconds(10));
    }

    static GatewayConfig config(int chunkSize, long bufferMemory, long maxFile, Duration completionWait) {
        return new GatewayConfig("127.0.0.1", 0, "gateway-test", maxFile, chunkSize, bufferMemory,
                Duration.ofSeconds(10), 3, Duration.ofSeconds(20), Duration.ofSeconds(2), completionWait,
                GatewayConfig.DEFAULT_READ_STREAMS);
    }

    /** (Re)starts the HTTP gateway on a new port; the stores, nodes and Kafka stay. */
    void startGateway(GatewayConfig config) {
        stopGateway();
        FileCatalog catalog = new FileCatalog(db, new Events("ingest-gateway"), config.gatewayId(), Duration.ofHours(1),
                settled, Duration.ofMillis(250));
        gateway = Main.gateway(config, catalog, nodeRepository, clients, ring::get,
                List.of(Readiness.postgres(db), Readiness.kafka(kafkaAdmin, Duration.ofSeconds(2)),
                        Readiness.outbox(events.relay(), config.completionWait()), Readiness.storageNodes(ring::get)));
        Gateway g = gateway;
        server = Main.server("127.0.0.1", 0).routing(r -> Main.routing(r, g)).build().start();
        if (!server.isRunning()) {
            throw new IllegalStateException("gateway did not start");
        }
    }

    /** Stops the HTTP side as a crash would leave it: whatever was committed stays committed. */
    void stopGateway() {
        if (server != null) {
            server.stop();
            gateway.watchdog().close();
            server = null;
        }
    }

    StorageNodeServer startNode(String id, int port) {
        return startNode(id, port, 0);
    }

    StorageNodeServer startNode(String id, int port, long reserveBytes) {
        StorageNodeConfig c = new StorageNodeConfig(id, dataRoot.resolve(id), port, null, reserveBytes, Duration.ofSeconds(2),
                "127.0.0.1", StorageNodeConfig.DEFAULT_MAX_CHUNK_BYTES);
        StorageNodeServer node = StorageNodeServer.start(c);
        nodes.put(id, node);
        nodeRepository.register(NodeIdentity.of(id, "127.0.0.1:" + node.port()), new NodeReport(1L << 40, 1L << 39, 0));
        return node;
    }

    /** The ring of the harness's own nodes (node-0, node-1, ...), whatever a test set before. */
    void resetRing() {
        List<RingNode> members = new ArrayList<>();
        nodes.forEach((id, n) -> {
            if (id.startsWith(BASE_NODE)) {
                members.add(RingNode.of(id, "127.0.0.1:" + n.port()));
            }
        });
        ring.set(HashRing.of(ring.get().epoch() + 1, members));
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    String status(UUID fileId) {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT status FROM files WHERE file_id = ?")) {
                ps.setObject(1, fileId);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? rs.getString(1) : null;
                }
            }
        });
    }

    /** The file of that name (names are unique within these tests), if any row has it. */
    Optional<UUID> fileNamed(String name) {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT file_id FROM files WHERE name = ?")) {
                ps.setString(1, name);
                try (var rs = ps.executeQuery()) {
                    return rs.next() ? Optional.of(rs.getObject(1, UUID.class)) : Optional.<UUID>empty();
                }
            }
        });
    }

    /** How many chunk rows the file has. */
    int chunkRows(UUID fileId) {
        return db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT count(*) FROM chunks WHERE file_id = ?")) {
                ps.setObject(1, fileId);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getInt(1);
                }
            }
        });
    }

    /** Event types still waiting in the outbox for this file (published ones are deleted). */
    List<String> unpublished(UUID fileId) {
        return db.withConnection(c -> {
            List<String> types = new ArrayList<>();
            try (var ps = c.prepareStatement("SELECT event_type FROM outbox WHERE record_key = ? ORDER BY id")) {
                ps.setString(1, fileId.toString());
                try (var rs = ps.executeQuery()) {
                    while (rs.next()) {
                        types.add(rs.getString(1));
                    }
                }
            }
            return types;
        });
    }

    /** Polls until the condition holds or the deadline passes. */
    static boolean await(Duration timeout, BooleanSupplier condition) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (condition.getAsBoolean()) {
                return true;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
        return condition.getAsBoolean();
    }

    @Override
    public void close() {
        stopGateway();
        events.close();
        kafkaAdmin.close();
        clients.close();
        nodes.values().forEach(StorageNodeServer::close);
        settled.close();
        db.close();
    }
}
