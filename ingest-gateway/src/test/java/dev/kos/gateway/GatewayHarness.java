package dev.kos.gateway;

import dev.kos.events.Events;
import dev.kos.membership.NodeIdentity;
import dev.kos.membership.NodeReport;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
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
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * A real gateway for tests: embedded PostgreSQL, real storage nodes on loopback, a ring built
 * here, and the Helidon server on an ephemeral port with {@link Main#routing}.
 */
final class GatewayHarness implements AutoCloseable {
    static final int CHUNK = 1 << 20;
    static final long MAX_FILE = 40L << 20;

    final Database db;
    final NodeRepository nodeRepository;
    final Map<String, StorageNodeServer> nodes = new LinkedHashMap<>();
    final AtomicReference<HashRing> ring = new AtomicReference<>(HashRing.empty());
    final StorageNodeClients clients = new StorageNodeClients();
    final Gateway gateway;
    final WebServer server;
    private final Path dataRoot;
    private final AtomicBoolean placementRunning = new AtomicBoolean();
    private Thread placement;

    GatewayHarness(Path dataRoot, int nodeCount) {
        this.dataRoot = dataRoot;
        db = Database.embedded(null, 8, "gateway-test");
        db.migrate();
        nodeRepository = new NodeRepository(db);
        for (int i = 0; i < nodeCount; i++) {
            startNode("node-" + i, 0);
        }
        publishRing();
        GatewayConfig config = new GatewayConfig("127.0.0.1", 0, "gateway-test", MAX_FILE, CHUNK, 8L * CHUNK,
                Duration.ofSeconds(10), 3, Duration.ofSeconds(20), Duration.ofSeconds(2), Duration.ofMillis(300));
        FileCatalog catalog = new FileCatalog(db, new Events("ingest-gateway"), config.gatewayId(), Duration.ofHours(1));
        gateway = Main.gateway(config, catalog, new NodeDirectory(ring::get, nodeRepository), clients, ring::get,
                List.of(Readiness.postgres(db), Readiness.storageNodes(ring::get)));
        server = WebServer.builder().host("127.0.0.1").port(0).routing(r -> Main.routing(r, gateway)).build().start();
        if (!server.isRunning()) {
            throw new IllegalStateException("gateway did not start");
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

    void publishRing() {
        List<RingNode> members = new ArrayList<>();
        nodes.forEach((id, n) -> members.add(RingNode.of(id, "127.0.0.1:" + n.port())));
        ring.set(HashRing.of(ring.get().epoch() + 1, members));
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    /**
     * Stands in for the placement service (built separately by the lead): completes sealed
     * uploads through the same guarded repository call, which refuses files whose chunks are
     * not all stored.
     */
    void startPlacementStandIn() {
        placementRunning.set(true);
        FileRepository files = new FileRepository();
        placement = Thread.ofVirtual().start(() -> {
            while (placementRunning.get()) {
                List<UUID> sealed = db.withConnection(c -> {
                    List<UUID> ids = new ArrayList<>();
                    try (var rs = c.createStatement().executeQuery(
                            "SELECT file_id FROM files WHERE status = 'uploading' AND sealed_at IS NOT NULL")) {
                        while (rs.next()) {
                            ids.add(rs.getObject(1, UUID.class));
                        }
                    }
                    return ids;
                });
                for (UUID id : sealed) {
                    db.inTransaction(c -> files.complete(c, id));
                }
                java.util.concurrent.locks.LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
            }
        });
    }

    void stopPlacementStandIn() throws InterruptedException {
        placementRunning.set(false);
        if (placement != null) {
            placement.join();
        }
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

    List<String> outboxTypes(UUID fileId) {
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
    public void close() throws Exception {
        stopPlacementStandIn();
        server.stop();
        gateway.watchdog().close();
        clients.close();
        nodes.values().forEach(StorageNodeServer::close);
        db.close();
    }
}
