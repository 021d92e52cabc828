package dev.kos.cleanup;

import dev.kos.testkit.Poll;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.events.EventSerde;
import dev.kos.events.Events;
import dev.kos.events.OutboxRelay;
import dev.kos.events.OutboxWriter;
import dev.kos.events.Topics;
import dev.kos.membership.NodeIdentity;
import dev.kos.membership.NodeReport;
import dev.kos.membership.NodeRepository;
import dev.kos.metadata.ChunkLocation;
import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.metadata.NewFile;
import dev.kos.metadata.UploadSessionRepository;
import dev.kos.schemas.events.v1.AbortReason;
import dev.kos.schemas.events.v1.ChunkChecksum;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.DeleteRequested;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.FileCompleted;
import dev.kos.schemas.events.v1.UploadAborted;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.UploadStarted;
import dev.kos.storageclient.StorageNodeClients;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.zip.CRC32C;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Everything one test class needs, all real: its own embedded PostgreSQL, an outbox relay to
 * the shared broker, storage nodes over gRPC, and the metadata writes the gateway and the
 * placement service make (same repositories, same outbox events, same transactions).
 */
final class Harness implements AutoCloseable {
    private static final java.time.Duration EVENT_TIMEOUT = java.time.Duration.ofSeconds(30);
    static final Duration NEVER = Duration.ofHours(1);
    static final int CHUNK_SIZE = 64 * 1024;

    final EmbeddedKafkaBroker kafka;
    final Database db;
    final Path dir;
    final NodeRepository nodeRepository;
    final StorageNodeClients clients = new StorageNodeClients();
    final FileRepository files = new FileRepository();
    final ChunkRepository chunks = new ChunkRepository();
    final UploadSessionRepository sessions = new UploadSessionRepository();
    private final Events gateway = new Events("ingest-gateway");
    private final Events placement = new Events("placement-service");
    private final OutboxRelay relay;
    private final List<TestNode> nodes = new ArrayList<>();
    private final List<CleanupWorker> workers = new ArrayList<>();
    private final Random random = new Random(42);

    Harness(EmbeddedKafkaBroker kafka) throws Exception {
        this.kafka = kafka;
        this.dir = Files.createTempDirectory("kos-cleanup-test");
        this.db = Database.embedded(null, 8, "cleanup-test");
        db.migrate();
        this.nodeRepository = new NodeRepository(db);
        this.relay = OutboxRelay.start(db, kafka.bootstrapServers(), OutboxRelay.Options.defaults());
    }

    /** The relay publishing this harness's outbox (a worker's process runs one beside it). */
    OutboxRelay relay() {
        return relay;
    }

    /** Loops that never fire on their own: the tests drive every round. */
    CleanupConfig config(String group) {
        return CleanupConfig.defaults(kafka.bootstrapServers()).withConsumerGroup(group).withIntervals(NEVER, NEVER, NEVER);
    }

    CleanupWorker worker(CleanupConfig config, Clock clock) {
        CleanupWorker w = CleanupWorker.start(config, db, Topics.defaults(), clock);
        workers.add(w);
        return w;
    }

    TestNode node(String id) {
        TestNode n = new TestNode(id, dir.resolve(id));
        nodes.add(n);
        nodeRepository.register(NodeIdentity.of(id, n.address()), new NodeReport(1L << 30, 1L << 30, 0));
        return n;
    }

    // ---- what the gateway does -------------------------------------------------------------

    UUID beginUpload(String name) {
        UUID id = UUID.randomUUID();
        db.inTransaction(c -> {
            files.create(c, new NewFile(id, name, "application/octet-stream", Optional.empty(), CHUNK_SIZE));
            sessions.open(c, id, "gw-test", Duration.ofHours(24));
            OutboxWriter.append(c, gateway.uploadStarted(id, UploadStarted.newBuilder().setName(name)
                    .setContentType("application/octet-stream").setDeclaredSize(-1).setChunkSize(CHUNK_SIZE).build()));
            return null;
        });
        return id;
    }

    /** A chunk's bytes as a gateway cut them: id, size and CRC32C. */
    record Chunk(String chunkId, int index, long size, int crc32c) {
    }

    /** Only the put: the chunk is on the node's disk, the gateway has not committed its row yet. */
    Chunk putChunk(UUID fileId, int index, TestNode node) {
        return putChunk(fileId + "_" + index, index, node);
    }

    Chunk putChunk(String chunkId, int index, TestNode node) {
        byte[] bytes = new byte[CHUNK_SIZE - index]; // sizes differ so a mix-up would show
        random.nextBytes(bytes);
        CRC32C crc = new CRC32C();
        crc.update(bytes);
        int crc32c = (int) crc.getValue();
        clients.client(node.address()).put(chunkId, ByteBuffer.wrap(bytes), crc32c, Duration.ofSeconds(10));
        return new Chunk(chunkId, index, bytes.length, crc32c);
    }

    /** The gateway's commit after a put: progress, the chunk row and its copy, chunk_stored. */
    void recordChunk(UUID fileId, Chunk chunk, TestNode node) {
        db.inTransaction(c -> {
            files.startUpload(c, fileId);
            if (!sessions.progress(c, fileId, (long) (chunk.index() + 1) * CHUNK_SIZE, Duration.ofHours(24))) {
                throw new IllegalStateException("session of " + fileId + " is gone");
            }
            chunks.addChunk(c, fileId, chunk.index(), chunk.chunkId(), chunk.size(), chunk.crc32c(), node.id);
            OutboxWriter.append(c, gateway.chunkStored(fileId, ChunkStored.newBuilder().setChunkIndex(chunk.index())
                    .setChunkId(chunk.chunkId()).setSize(chunk.size()).setChecksum(ChunkChecksum.newBuilder().setAlgorithm("CRC32C")
                            .setValue(ByteString.copyFrom(ByteBuffer.allocate(4).putInt(chunk.crc32c()).array())))
                    .addNodeIds(node.id).build()));
            return null;
        });
    }

    String storeChunk(UUID fileId, int index, TestNode node) {
        Chunk chunk = putChunk(fileId, index, node);
        recordChunk(fileId, chunk, node);
        return chunk.chunkId();
    }

    /** An upload in progress with its chunks spread round-robin over the nodes. */
    UUID uploading(String name, int chunkCount, TestNode... on) {
        UUID id = beginUpload(name);
        for (int i = 0; i < chunkCount; i++) {
            storeChunk(id, i, on[i % on.length]);
        }
        return id;
    }

    /** A completed file: uploaded, sealed (gateway), then completed (placement service). */
    UUID completed(String name, int chunkCount, TestNode... on) throws Exception {
        UUID id = uploading(name, chunkCount, on);
        long size = chunks.chunksOf(db, id).stream().mapToLong(ChunkRecord::size).sum();
        String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(id.toString().getBytes()));
        db.inTransaction(c -> {
            if (!files.seal(c, id, size, sha, chunkCount)) {
                throw new IllegalStateException("seal refused");
            }
            sessions.close(c, id);
            OutboxWriter.append(c, gateway.uploadSealed(id, UploadSealed.newBuilder().setSize(size).setSha256(sha)
                    .setChunkCount(chunkCount).build()));
            return null;
        });
        db.inTransaction(c -> {
            if (!files.complete(c, id)) {
                throw new IllegalStateException("complete refused");
            }
            OutboxWriter.append(c, placement.fileCompleted(id, FileCompleted.newBuilder().setName(name).setSize(size)
                    .setSha256(sha).setChunkCount(chunkCount).build()));
            return null;
        });
        return id;
    }

    /** DELETE /files/{id}: deleting, with delete_requested, in one transaction. */
    void requestDelete(UUID fileId) {
        db.inTransaction(c -> {
            files.lockForUpdate(c, fileId);
            if (!files.markDeleting(c, fileId)) {
                throw new IllegalStateException("delete refused for " + fileId);
            }
            OutboxWriter.append(c, gateway.deleteRequested(fileId, DeleteRequested.getDefaultInstance()));
            return null;
        });
    }

    /** A failed upload: failed, session closed, upload_aborted, in one transaction. */
    void failUpload(UUID fileId) {
        db.inTransaction(c -> {
            if (!files.fail(c, fileId, "idle_timeout: the client stalled")) {
                throw new IllegalStateException("fail refused for " + fileId);
            }
            sessions.close(c, fileId);
            OutboxWriter.append(c, gateway.uploadAborted(fileId, UploadAborted.newBuilder().setReason(AbortReason.CLIENT_GONE)
                    .setMessage("idle_timeout").build()));
            return null;
        });
    }

    /** Ages a session as if its upload started {@code startedAgo} ago and expires at now + {@code expiresIn}. */
    void ageSession(UUID fileId, Duration startedAgo, Duration lastProgressAgo, Duration expiresIn) {
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE upload_sessions SET started_at = now() - ? * interval '1 ms', "
                    + "last_progress_at = now() - ? * interval '1 ms', expires_at = now() + ? * interval '1 ms' WHERE file_id = ?")) {
                ps.setLong(1, startedAgo.toMillis());
                ps.setLong(2, lastProgressAgo.toMillis());
                ps.setLong(3, expiresIn.toMillis());
                ps.setObject(4, fileId);
                if (ps.executeUpdate() != 1) {
                    throw new IllegalStateException("no session for " + fileId);
                }
            }
            return null;
        });
    }

    // ---- what tests look at ----------------------------------------------------------------

    FileStatus status(UUID fileId) {
        return files.find(db, fileId).orElseThrow().status();
    }

    List<ChunkLocation> locations(UUID fileId) {
        return chunks.chunksOf(db, fileId).stream().flatMap(c -> c.locations().stream()).toList();
    }

    boolean allLocationsIn(UUID fileId, LocationState state) {
        List<ChunkLocation> l = locations(fileId);
        return !l.isEmpty() && l.stream().allMatch(x -> x.state() == state);
    }

    List<String> chunkIds(UUID fileId) {
        return chunks.chunksOf(db, fileId).stream().map(ChunkRecord::chunkId).toList();
    }

    /** The chunk ids the node reports over gRPC (ListChunks). */
    List<String> listed(TestNode node) {
        try (var s = clients.client(node.address()).list("")) {
            return s.map(c -> c.getChunkId()).sorted().toList();
        }
    }

    /** The file's events from the topic, from the beginning, once {@code complete} holds for them. */
    List<EventEnvelope> eventsOf(UUID fileId, Predicate<List<EventEnvelope>> complete) {
        try (EventSerde serde = new EventSerde();
             KafkaConsumer<String, EventEnvelope> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), serde.deserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.FILES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            List<EventEnvelope> seen = new ArrayList<>();
            long deadline = System.nanoTime() + EVENT_TIMEOUT.toNanos();
            while (!complete.test(seen)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("events of " + fileId + " incomplete within " + EVENT_TIMEOUT + ": "
                            + seen.stream().map(e -> e.getPayloadCase().toString()).toList());
                }
                for (ConsumerRecord<String, EventEnvelope> r : consumer.poll(Duration.ofMillis(200))) {
                    if (fileId.toString().equals(r.key())) {
                        seen.add(r.value());
                    }
                }
            }
            return seen;
        }
    }

    static Predicate<List<EventEnvelope>> has(EventEnvelope.PayloadCase type, int count) {
        return events -> events.stream().filter(e -> e.getPayloadCase() == type).count() >= count;
    }

    /** Blocks until the relay published everything and {@code group} consumed all of it. */
    void awaitConsumed(String group) throws Exception {
        Poll.until(() -> db.withConnection(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM outbox")) {
                rs.next();
                return rs.getLong(1) == 0;
            }
        }), "the outbox is published");
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            List<TopicPartition> partitions = admin.describeTopics(List.of(Topics.FILES)).allTopicNames().get().get(Topics.FILES)
                    .partitions().stream().map(p -> new TopicPartition(Topics.FILES, p.partition())).toList();
            Map<TopicPartition, Long> ends = admin.listOffsets(partitions.stream()
                    .collect(Collectors.toMap(p -> p, p -> OffsetSpec.latest()))).all().get().entrySet().stream()
                    .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            Poll.until(() -> {
                try {
                    Map<TopicPartition, OffsetAndMetadata> committed =
                            admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                    return ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                            || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, "group " + group + " consumed " + Topics.FILES + " to its end " + ends);
        }
    }

    /** Every row of the tables cleanup touches, as text, in a stable order: to compare "row for row". */
    /** A processed_events row of {@code consumer} for a new event id, written {@code age} ago; returns the id. */
    UUID processedAgo(String consumer, Duration age) {
        UUID id = UUID.randomUUID();
        db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement(
                    "INSERT INTO processed_events (consumer, event_id, processed_at) VALUES (?, ?, now() - make_interval(secs => ?))")) {
                ps.setString(1, consumer);
                ps.setObject(2, id);
                ps.setDouble(3, age.toSeconds());
                return ps.executeUpdate();
            }
        });
        return id;
    }

    String snapshot() {
        StringBuilder out = new StringBuilder();
        for (String table : List.of("files ORDER BY file_id", "chunks ORDER BY chunk_id", "chunk_locations ORDER BY chunk_id, node_id",
                "upload_sessions ORDER BY file_id")) {
            db.withConnection(c -> {
                try (ResultSet rs = c.createStatement().executeQuery("SELECT * FROM " + table)) {
                    ResultSetMetaData md = rs.getMetaData();
                    out.append("## ").append(table).append('\n');
                    while (rs.next()) {
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            Object v = rs.getObject(i);
                            out.append(md.getColumnName(i)).append('=')
                                    .append(v instanceof byte[] b ? HexFormat.of().formatHex(b) : String.valueOf(v)).append(' ');
                        }
                        out.append('\n');
                    }
                }
                return null;
            });
        }
        return out.toString();
    }

    @Override
    public void close() {
        workers.forEach(CleanupWorker::close);
        relay.close();
        clients.close();
        nodes.forEach(TestNode::close);
        db.close();
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            // A temp dir left behind is harmless.
        }
    }
}
