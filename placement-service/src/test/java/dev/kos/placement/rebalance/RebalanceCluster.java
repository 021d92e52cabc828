package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.membership.NodeIdentity;
import dev.kos.membership.NodeRegistry;
import dev.kos.membership.NodeReport;
import dev.kos.membership.NodeRepository;
import dev.kos.membership.StorageNode;
import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.LocationState;
import dev.kos.metadata.NewFile;
import dev.kos.ring.HashRing;
import dev.kos.schemas.events.v1.ChunkMoved;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.storageclient.ChunkReadStream;
import dev.kos.storageclient.StorageNodeClients;
import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.zip.CRC32C;

/**
 * Real parts for rebalancing tests: one embedded PostgreSQL for the whole test JVM (emptied per
 * test), in-process storage nodes on loopback registered through NodeRepository, a NodeRegistry
 * polling the ring, and helpers that store files the way the gateway does.
 */
final class RebalanceCluster implements AutoCloseable {
    private static Database shared;

    final Database db;
    final NodeRepository nodes;
    final NodeRegistry registry;
    final StorageNodeClients clients = new StorageNodeClients();
    final FileRepository files = new FileRepository();
    final ChunkRepository chunks = new ChunkRepository();
    private final Path root;
    private final Map<String, StorageNodeServer> servers = new LinkedHashMap<>();
    private final List<Rebalancer> rebalancers = new ArrayList<>();
    private final Random random = new Random(42);

    private RebalanceCluster(Database db, Path root) {
        this.db = db;
        this.root = root;
        this.nodes = new NodeRepository(db);
        // Nodes here do not heartbeat; a long timeout keeps them active for the test's life.
        this.registry = new NodeRegistry(nodes, Duration.ofMillis(50), Duration.ofMinutes(30)).start();
    }

    static synchronized RebalanceCluster create(Path root) {
        if (shared == null) {
            shared = Database.embedded(null, 16, "rebalance-test");
            shared.migrate();
            Database db = shared;
            Runtime.getRuntime().addShutdownHook(new Thread(db::close));
        }
        shared.inTransaction(c -> c.createStatement().executeUpdate(
                "TRUNCATE files, storage_nodes, outbox, processed_events, upload_sessions CASCADE"));
        return new RebalanceCluster(shared, root);
    }

    /** Starts a storage node and registers it (it joins the ring). */
    StorageNodeServer startNode(String nodeId) {
        StorageNodeServer s = StorageNodeServer.start(StorageNodeConfig.loopback(nodeId, root.resolve(nodeId)));
        servers.put(nodeId, s);
        nodes.register(NodeIdentity.of(nodeId, s.advertisedAddress()), new NodeReport(0, 0, 0));
        registry.refresh();
        return s;
    }

    void stopNode(String nodeId) {
        servers.remove(nodeId).close();
    }

    HashRing ring() {
        registry.refresh();
        return registry.ring();
    }

    Rebalancer rebalancer(RebalanceConfig config) {
        Rebalancer r = Rebalancer.start(config, db, registry, nodes, clients);
        rebalancers.add(r);
        return r;
    }

    /** A completed file of {@code count} chunks of {@code size} random bytes, each put on its owner in the current ring. */
    List<PlacedChunk> storeFile(int count, int size) {
        return storeFile(count, size, true);
    }

    /** Like {@link #storeFile(int, int)}; with {@code complete} false the file stays uploading (sealed). */
    List<PlacedChunk> storeFile(int count, int size, boolean complete) {
        return storeFile(count, size, complete, true);
    }

    /** With {@code retain} false the bytes are not kept (large data): reads back check the CRC32C only. */
    List<PlacedChunk> storeFile(int count, int size, boolean complete, boolean retain) {
        HashRing ring = ring();
        UUID fileId = UUID.randomUUID();
        db.inTransaction(c -> {
            files.create(c, new NewFile(fileId, "f-" + fileId, "application/octet-stream", Optional.empty(), size));
            return files.startUpload(c, fileId);
        });
        List<PlacedChunk> placed = new ArrayList<>();
        MessageDigest sha = sha256();
        for (int i = 0; i < count; i++) {
            byte[] data = new byte[size];
            random.nextBytes(data);
            sha.update(data);
            CRC32C crc = new CRC32C();
            crc.update(data);
            String chunkId = fileId.toString().replace("-", "") + "-" + String.format(Locale.ROOT, "%06d", i);
            PlacedChunk chunk = new PlacedChunk(fileId, i, chunkId, retain ? data : null, (int) crc.getValue());
            String owner = ring.owner(chunkId).orElseThrow().nodeId();
            clients.client(address(owner)).put(chunkId, ByteBuffer.wrap(data), chunk.crc32c(), Duration.ofSeconds(120));
            db.inTransaction(c -> chunks.addChunk(c, fileId, chunk.index(), chunkId, size, chunk.crc32c(), owner));
            placed.add(chunk);
        }
        String hex = HexFormat.of().formatHex(sha.digest());
        boolean sealed = db.inTransaction(c -> files.seal(c, fileId, (long) count * size, hex, count)
                && (!complete || files.complete(c, fileId)));
        assertTrue(sealed, "file " + fileId + " should seal" + (complete ? " and complete" : ""));
        return placed;
    }

    String address(String nodeId) {
        return nodes.find(nodeId).map(StorageNode::address).orElseThrow();
    }

    /** Every copy of every chunk: chunk id -> node id -> state. */
    Map<String, Map<String, LocationState>> locations() {
        return db.withConnection(c -> {
            Map<String, Map<String, LocationState>> all = new TreeMap<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT chunk_id, node_id, state FROM chunk_locations");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    all.computeIfAbsent(rs.getString(1), k -> new TreeMap<>()).put(rs.getString(2), LocationState.parse(rs.getString(3)));
                }
            }
            return all;
        });
    }

    /** The nodes holding a stored copy of the chunk. */
    List<String> storedOn(String chunkId) {
        return locations().getOrDefault(chunkId, Map.of()).entrySet().stream()
                .filter(e -> e.getValue() == LocationState.STORED).map(Map.Entry::getKey).toList();
    }

    /** True when every chunk has exactly one stored copy, on its owner in the current ring. */
    boolean allOnOwners(List<PlacedChunk> placed) {
        HashRing ring = ring();
        Map<String, Map<String, LocationState>> all = locations();
        for (PlacedChunk p : placed) {
            List<String> stored = all.getOrDefault(p.chunkId(), Map.of()).entrySet().stream()
                    .filter(e -> e.getValue() == LocationState.STORED).map(Map.Entry::getKey).toList();
            if (!stored.equals(List.of(ring.owner(p.chunkId()).orElseThrow().nodeId()))) {
                return false;
            }
        }
        return true;
    }

    /** A download's read of one chunk: fresh locations, any stored copy, bytes compared. */
    void readBack(PlacedChunk p) {
        ChunkRecord record = chunks.chunksTouching(db, p.fileId(), p.index(), p.index()).getFirst();
        List<String> readable = record.readableNodes();
        assertTrue(!readable.isEmpty(), "chunk " + p.chunkId() + " has no stored copy: " + record.locations());
        AssertionError last = null;
        for (String node : readable) {
            try (ChunkReadStream in = clients.client(address(node)).openRead(p.chunkId(), 0, 0)) {
                CRC32C crc = new CRC32C();
                if (p.data() != null) {
                    byte[] got = in.readAllBytes();
                    assertArrayEquals(p.data(), got, "chunk " + p.chunkId() + " read from " + node);
                    crc.update(got);
                } else {
                    byte[] frame = new byte[1 << 16];
                    for (int n; (n = in.read(frame)) > 0; ) {
                        crc.update(frame, 0, n);
                    }
                }
                assertTrue((int) crc.getValue() == p.crc32c(), "crc32c of " + p.chunkId() + " as stored, on " + node);
                assertTrue((int) crc.getValue() == record.crc32c(), "crc32c of " + p.chunkId() + " on " + node);
                return;
            } catch (IOException | RuntimeException e) {
                last = new AssertionError("read of " + p.chunkId() + " from " + node + " failed: " + e, e);
            }
        }
        throw last;
    }

    /** The cleanup worker's reaper, as far as these tests need it: delete 'deleting' copies from their nodes. */
    int reapDeleting() {
        Map<String, Map<String, LocationState>> all = locations();
        int reaped = 0;
        for (var chunk : all.entrySet()) {
            for (var copy : chunk.getValue().entrySet()) {
                if (copy.getValue() == LocationState.DELETING) {
                    clients.client(address(copy.getKey())).delete(chunk.getKey());
                    db.withConnection(c -> chunks.removeLocation(c, chunk.getKey(), copy.getKey()));
                    reaped++;
                }
            }
        }
        return reaped;
    }

    /** Whether the node's disk holds the chunk (asked through the node's own inventory). */
    boolean nodeHas(String nodeId, String chunkId) {
        try (var listing = clients.client(address(nodeId)).list(chunkId)) {
            return listing.anyMatch(i -> i.getChunkId().equals(chunkId));
        }
    }

    /** chunk_moved events in the outbox (no relay runs in these tests, so none has left). */
    List<ChunkMoved> movedEvents() {
        return db.withConnection(c -> {
            List<ChunkMoved> moved = new ArrayList<>();
            try (PreparedStatement ps = c.prepareStatement("SELECT payload FROM outbox WHERE event_type = 'chunk_moved' ORDER BY id");
                    ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    try {
                        moved.add(EventEnvelope.parseFrom(rs.getBytes(1)).getChunkMoved());
                    } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                        throw new AssertionError("undecodable outbox payload", e);
                    }
                }
            }
            return moved;
        });
    }

    static RebalanceConfig fastConfig() {
        // A long interval: passes in tests come from ring changes or explicit requests.
        return RebalanceConfig.defaults().withInterval(Duration.ofHours(1)).withPageSize(7);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        rebalancers.forEach(Rebalancer::close);
        registry.close();
        clients.close();
        servers.values().forEach(StorageNodeServer::close);
    }
}
