package dev.kos.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.events.EventSerde;
import dev.kos.events.Events;
import dev.kos.events.OutboxRelay;
import dev.kos.events.OutboxWriter;
import dev.kos.events.Topics;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.NewFile;
import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import dev.kos.schemas.events.v1.ChunkChecksum;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.FileCompleted;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.UploadStarted;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ListOffsetsResult;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The placement service against a real KRaft broker and a real PostgreSQL: uploads written the
 * way the gateway writes them (metadata and outbox in one transaction) are finalized; replayed,
 * duplicated and reordered events change nothing; a checksum that does not match fails the upload.
 */
class PlacementServiceTest {
    static final String APP = "placement-test";
    static EmbeddedKafkaBroker kafka;
    static Database db;
    static OutboxRelay relay;
    static PlacementService placement;
    static final FileRepository files = new FileRepository();
    static final ChunkRepository chunks = new ChunkRepository();
    static final Events events = new Events("test-gateway");

    @TempDir
    static Path stateDir;
    /** A LISTEN session on the settled channel, as the gateway keeps one. */
    static java.sql.Connection settledSession;
    static final java.util.Map<UUID, dev.kos.metadata.SettledNotice> settledNotices = new java.util.concurrent.ConcurrentHashMap<>();

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaBroker.start(null, 0);
        db = Database.embedded(null, 8, "placement-test");
        db.migrate();
        try {
            settledSession = java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
            settledSession.createStatement().execute("LISTEN " + FileRepository.SETTLED_CHANNEL);
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        db.inTransaction(c -> c.createStatement().executeUpdate(
                "INSERT INTO storage_nodes (node_id, address) VALUES ('n1', 'localhost:1')"));
        relay = OutboxRelay.start(db, kafka.bootstrapServers(),
                new OutboxRelay.Options(Duration.ofMillis(20), 500, Duration.ofSeconds(1)));
        placement = PlacementService.start(new PlacementConfig(kafka.bootstrapServers(), APP, stateDir,
                Duration.ofMillis(50)), db, Topics.defaults());
    }

    @AfterAll
    static void stop() {
        placement.close();
        relay.close();
        try {
            settledSession.close();
        } catch (java.sql.SQLException e) {
            // the database stops next anyway
        }
        db.close();
        kafka.close();
    }

    /** Writes an upload as the gateway does; chunk i's reported CRC is crcs[i] (the recorded one is i + 1000). */
    static UUID upload(int chunkCount, int... reportedCrcs) {
        UUID id = startUpload();
        for (int i = 0; i < chunkCount; i++) {
            storeChunk(id, i, reportedCrcs.length > i ? reportedCrcs[i] : i + 1000);
        }
        seal(id, chunkCount);
        return id;
    }

    static UUID startUpload() {
        NewFile nf = NewFile.of("f.bin", "application/octet-stream", Optional.empty(), 100);
        UUID id = nf.fileId();
        db.inTransaction(c -> {
            files.create(c, nf);
            files.startUpload(c, id);
            OutboxWriter.append(c, events.uploadStarted(id, UploadStarted.newBuilder()
                    .setName("f.bin").setChunkSize(100).setDeclaredSize(-1).build()));
            return null;
        });
        return id;
    }

    /** Records chunk {@code index} (its CRC32C index + 1000) and reports it stored with {@code reported}. */
    static void storeChunk(UUID id, int index, int reported) {
        String chunkId = id.toString().replace("-", "") + "-" + index;
        db.inTransaction(c -> {
            chunks.addChunk(c, id, index, chunkId, 100, index + 1000, "n1");
            OutboxWriter.append(c, events.chunkStored(id, ChunkStored.newBuilder()
                    .setChunkIndex(index).setChunkId(chunkId).setSize(100)
                    .setChecksum(ChunkChecksum.newBuilder().setAlgorithm("CRC32C")
                            .setValue(ByteString.copyFrom(ByteBuffer.allocate(4).putInt(reported).array())))
                    .addNodeIds("n1").build()));
            return null;
        });
    }

    static void seal(UUID id, int chunkCount) {
        String sha = "0f".repeat(32);
        db.inTransaction(c -> {
            files.seal(c, id, chunkCount * 100L, sha, chunkCount);
            // Named, as the gateway seals: the finalizer then completes the file in one statement.
            OutboxWriter.append(c, events.uploadSealed(id, UploadSealed.newBuilder()
                    .setSize(chunkCount * 100L).setSha256(sha).setChunkCount(chunkCount)
                    .setName("f.bin").setContentType("application/octet-stream").setOwner("").build()));
            return null;
        });
    }

    static FileStatus status(UUID id) {
        return files.find(db, id).orElseThrow().status();
    }

    /** Every event on the files topic for this file, from the beginning. */
    static List<EventEnvelope> eventsOf(UUID id) {
        Map<String, Object> cfg = new HashMap<>();
        cfg.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        cfg.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        List<EventEnvelope> out = new ArrayList<>();
        try (KafkaConsumer<String, EventEnvelope> consumer = new KafkaConsumer<>(cfg, new StringDeserializer(),
                new EventSerde().deserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(Topics.FILES).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            while (parts.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
                for (ConsumerRecord<String, EventEnvelope> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.key().equals(id.toString())) {
                        out.add(r.value());
                    }
                }
            }
        }
        return out;
    }

    /** True once the placement service has committed offsets up to the end of the files topic. */
    static boolean caughtUp() {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers()))) {
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(APP)
                    .partitionsToOffsetAndMetadata().get();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < Topics.defaults().newTopics().get(0).numPartitions(); p++) {
                latest.put(new TopicPartition(Topics.FILES, p), OffsetSpec.latest());
            }
            Map<TopicPartition, ListOffsetsResult.ListOffsetsResultInfo> ends = admin.listOffsets(latest).all().get();
            return ends.entrySet().stream().allMatch(e -> e.getValue().offset() == 0
                    || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue().offset()));
        } catch (Exception e) {
            return false;
        }
    }

    /** Whether the settled channel carried this file's id (reads what arrived, without blocking). */
    static boolean settledNotified(UUID id) {
        try {
            org.postgresql.PGNotification[] ns = settledSession.unwrap(org.postgresql.PGConnection.class).getNotifications();
            if (ns != null) {
                for (org.postgresql.PGNotification n : ns) {
                    dev.kos.metadata.SettledNotice.parse(n.getParameter()).ifPresent(x -> settledNotices.put(x.fileId(), x));
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return settledNotices.containsKey(id);
    }

    /** A completed file's settle notice carries the completed row's own values (the gateway answers from them). */
    static void assertNoticeTellsTheCompletedRow(UUID id) {
        FileRecord row = files.find(db, id).orElseThrow();
        dev.kos.metadata.SettledNotice.Completion told = settledNotices.get(id).completion()
                .orElseThrow(() -> new AssertionError("the completion's notice carries no values: " + settledNotices.get(id)));
        assertEquals(row.eventSeq(), told.eventSeq());
        assertEquals(row.createdAt(), told.createdAt());
        assertEquals(row.sealedAt(), Optional.of(told.sealedAt()));
        assertEquals(row.updatedAt(), told.updatedAt());
        assertEquals(row.completedAt(), Optional.of(told.completedAt()));
    }

    static long count(List<EventEnvelope> es, EventEnvelope.PayloadCase type) {
        return es.stream().filter(e -> e.getPayloadCase() == type).count();
    }

    @Test
    void aSealedUploadWithEveryChunkStoredIsCompletedAndAnnounced() {
        UUID id = upload(3);
        Poll.until(Duration.ofSeconds(60), () -> status(id) == FileStatus.COMPLETED, "file completed");
        Poll.until(Duration.ofSeconds(10), () -> settledNotified(id), "kos_file_settled notified with the file id");
        assertNoticeTellsTheCompletedRow(id);
        Poll.until(Duration.ofSeconds(30), () -> count(eventsOf(id), EventEnvelope.PayloadCase.FILE_COMPLETED) == 1, "file_completed published");
        List<EventEnvelope> es = eventsOf(id);
        for (int i = 1; i < es.size(); i++) {
            assertTrue(es.get(i).getSequence() > es.get(i - 1).getSequence(), "per-file sequence must increase: " + es);
        }
    }

    @Test
    void replayedDuplicatedAndReorderedEventsChangeNothing() throws Exception {
        UUID id = upload(4);
        Poll.until(Duration.ofSeconds(60), () -> status(id) == FileStatus.COMPLETED, "file completed");
        Poll.until(Duration.ofSeconds(30), () -> count(eventsOf(id), EventEnvelope.PayloadCase.FILE_COMPLETED) == 1, "file_completed published");
        long seqBefore = files.find(db, id).orElseThrow().eventSeq();

        // Re-publish every event of the file twice, the second time in reverse order.
        List<EventEnvelope> original = eventsOf(id);
        List<EventEnvelope> replay = new ArrayList<>(original);
        List<EventEnvelope> reversed = new ArrayList<>(original);
        Collections.reverse(reversed);
        replay.addAll(reversed);
        Map<String, Object> cfg = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
        try (KafkaProducer<String, EventEnvelope> producer = new KafkaProducer<>(cfg, new StringSerializer(),
                new EventSerde().serializer())) {
            for (EventEnvelope e : replay) {
                producer.send(new ProducerRecord<>(Topics.FILES, id.toString(), e)).get();
            }
        }
        Poll.until(Duration.ofSeconds(60), PlacementServiceTest::caughtUp, "placement caught up with the replay");

        assertEquals(FileStatus.COMPLETED, status(id));
        assertEquals(seqBefore, files.find(db, id).orElseThrow().eventSeq(), "no new event was written for the file");
        assertEquals(1 + 2, count(eventsOf(id), EventEnvelope.PayloadCase.FILE_COMPLETED),
                "only the original file_completed and its two replayed copies: the service emitted none");
    }

    @Test
    void severalStreamThreadsShareThePartitions() {
        // Finalizations of different partitions overlap their database commits; order within a
        // partition (one file's events) is Kafka Streams' per-task guarantee.
        Poll.until(Duration.ofSeconds(30), () -> placement.streamThreads() == PlacementConfig.DEFAULT_STREAM_THREADS,
                "three stream threads");
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            ids.add(upload(1 + i % 3));
        }
        ids.forEach(id -> Poll.until(Duration.ofSeconds(60), () -> status(id) == FileStatus.COMPLETED, "file " + id + " completed"));
    }

    @Test
    void aChunkWhoseReportedChecksumDiffersFailsTheUpload() {
        UUID id = upload(2, 1000, 0xBAD);
        Poll.until(Duration.ofSeconds(60), () -> status(id) == FileStatus.FAILED, "file failed");
        Poll.until(Duration.ofSeconds(10), () -> settledNotified(id), "kos_file_settled notified with the file id");
        assertEquals(Optional.empty(), settledNotices.get(id).completion(), "a failure tells the file only: the gateway reads why");
        assertTrue(files.find(db, id).orElseThrow().failureReason().orElse("").contains("chunk 1"));
        Poll.until(Duration.ofSeconds(30), () -> count(eventsOf(id), EventEnvelope.PayloadCase.UPLOAD_ABORTED) == 1, "upload_aborted published");
        assertEquals(0, count(eventsOf(id), EventEnvelope.PayloadCase.FILE_COMPLETED));
    }

    @Test
    void progressReportedBeforeARestartIsRestoredFromTheChangelog(@TempDir Path freshStateDir) {
        UUID id = startUpload();
        storeChunk(id, 0, 1000);
        Poll.until(Duration.ofSeconds(60), PlacementServiceTest::caughtUp, "chunk 0's report consumed and committed");
        // A new instance with an empty state directory: chunk 0's event lies behind the committed
        // offset, so only the store's changelog can tell it that chunk 0 was stored.
        placement.close();
        placement = PlacementService.start(new PlacementConfig(kafka.bootstrapServers(), APP, freshStateDir,
                Duration.ofMillis(50)), db, Topics.defaults());
        storeChunk(id, 1, 1001);
        seal(id, 2);
        Poll.until(Duration.ofSeconds(90), () -> status(id) == FileStatus.COMPLETED, "file completed after the restart");
    }

    /** A sealed upload's rows without any event, so that only the finalizer under test acts on it. */
    static UUID sealedRows(int chunkCount) {
        return sealedRows(chunkCount, 0);
    }

    /** {@link #sealedRows(int)} with the file's event sequence at {@code sequence} (reserved, no row written). */
    static UUID sealedRows(int chunkCount, int sequence) {
        NewFile nf = NewFile.of("direct.bin", "application/octet-stream", Optional.empty(), 100);
        UUID id = nf.fileId();
        db.inTransaction(c -> {
            files.create(c, nf);
            files.startUpload(c, id);
            for (int i = 0; i < chunkCount; i++) {
                chunks.addChunk(c, id, i, id.toString().replace("-", "") + "-" + i, 100, i + 1000, "n1");
            }
            files.seal(c, id, chunkCount * 100L, "0f".repeat(32), chunkCount, sequence);
            return null;
        });
        return id;
    }

    @Test
    void theFinalizerCompletesOnlyWhatEveryCheckPassesAndSaysWhyNot() {
        MetadataFinalizer finalizer = new MetadataFinalizer(db, events);
        UploadProgress.Seal seal = new UploadProgress.Seal(200, "0f".repeat(32), 2);
        UUID ok = sealedRows(2);
        assertEquals(UploadFinalizer.Outcome.COMPLETED, finalizer.finalizeUpload(ok.toString(), seal, Map.of(0, 1000, 1, 1001)));
        assertEquals(FileStatus.COMPLETED, status(ok));
        Poll.until(Duration.ofSeconds(30), () -> count(eventsOf(ok), EventEnvelope.PayloadCase.FILE_COMPLETED) == 1,
                "file_completed written with the completion and published");
        Poll.until(Duration.ofSeconds(10), () -> settledNotified(ok), "kos_file_settled notified with the file id");
        assertNoticeTellsTheCompletedRow(ok); // the transaction's completion (no seal event given)
        long seq = files.find(db, ok).orElseThrow().eventSeq();
        assertEquals(UploadFinalizer.Outcome.ALREADY_FINAL, finalizer.finalizeUpload(ok.toString(), seal, Map.of(0, 1000, 1, 1001)));
        assertEquals(seq, files.find(db, ok).orElseThrow().eventSeq(), "a replay writes nothing");

        UUID badCrc = sealedRows(2);
        assertEquals(UploadFinalizer.Outcome.FAILED, finalizer.finalizeUpload(badCrc.toString(), seal, Map.of(0, 1000, 1, 7)));
        assertTrue(files.find(db, badCrc).orElseThrow().failureReason().orElseThrow().startsWith("chunk 1 "));

        UUID unreported = sealedRows(2);
        assertEquals(UploadFinalizer.Outcome.FAILED, finalizer.finalizeUpload(unreported.toString(), seal, Map.of(0, 1000)));
        assertTrue(files.find(db, unreported).orElseThrow().failureReason().orElseThrow().contains("missing"));

        UUID otherSeal = sealedRows(2);
        assertEquals(UploadFinalizer.Outcome.FAILED, finalizer.finalizeUpload(otherSeal.toString(),
                new UploadProgress.Seal(201, "0f".repeat(32), 2), Map.of(0, 1000, 1, 1001)));
        assertTrue(files.find(db, otherSeal).orElseThrow().failureReason().orElseThrow().contains("differs"));

        UUID impossible = sealedRows(2);
        assertEquals(UploadFinalizer.Outcome.FAILED, finalizer.finalizeUpload(impossible.toString(),
                new UploadProgress.Seal(200, "0f".repeat(32), -1), Map.of(0, 1000, 1, 1001)),
                "a seal whose chunk count cannot be fails the upload, and throws nothing at the stream thread");

        UUID empty = sealedRows(0);
        assertEquals(UploadFinalizer.Outcome.COMPLETED,
                finalizer.finalizeUpload(empty.toString(), new UploadProgress.Seal(0, "0f".repeat(32), 0), Map.of()));
    }

    @Test
    void aNamedSealCompletesWhateverHappenedSinceAndFileCompletedSaysWhatTheRowSays() {
        MetadataFinalizer finalizer = new MetadataFinalizer(db, events);
        Map<Integer, Integer> crcs = Map.of(0, 1000, 1, 1001);
        // The seal's event as the gateway writes it; then one whose sequence is behind the file's
        // (another event of the file since), and one naming the file otherwise: the one statement
        // does not apply to those two, and the transaction completes them from the row.
        UUID asSealed = sealedRows(2, 1);
        UUID eventSince = sealedRows(2, 2);
        UUID otherName = sealedRows(2, 1);
        List<UploadProgress.SealEvent> said = List.of(
                new UploadProgress.SealEvent(1, "direct.bin", "application/octet-stream", ""),
                new UploadProgress.SealEvent(1, "direct.bin", "application/octet-stream", ""),
                new UploadProgress.SealEvent(1, "renamed.bin", "application/octet-stream", ""));
        List<UUID> ids = List.of(asSealed, eventSince, otherName);
        for (int i = 0; i < ids.size(); i++) {
            UploadProgress.Seal seal = new UploadProgress.Seal(200, "0f".repeat(32), 2, Optional.of(said.get(i)));
            assertEquals(UploadFinalizer.Outcome.COMPLETED, finalizer.finalizeUpload(ids.get(i).toString(), seal, crcs));
            assertEquals(UploadFinalizer.Outcome.ALREADY_FINAL, finalizer.finalizeUpload(ids.get(i).toString(), seal, crcs),
                    "a replay");
        }
        for (UUID id : ids) {
            FileRecord f = files.find(db, id).orElseThrow();
            assertEquals(FileStatus.COMPLETED, f.status());
            Poll.until(Duration.ofSeconds(30), () -> count(eventsOf(id), EventEnvelope.PayloadCase.FILE_COMPLETED) == 1,
                    "file_completed published once");
            EventEnvelope completed = eventsOf(id).stream().filter(EventEnvelope::hasFileCompleted).findFirst().orElseThrow();
            assertEquals(f.eventSeq(), completed.getSequence(), "file_completed takes the file's next sequence");
            assertEquals(id.equals(eventSince) ? 3 : 2, completed.getSequence());
            FileCompleted payload = completed.getFileCompleted();
            assertEquals("direct.bin", payload.getName(), "the row's name");
            assertEquals("application/octet-stream", payload.getContentType());
            assertEquals(200, payload.getSize());
            assertEquals(2, payload.getChunkCount());
            Poll.until(Duration.ofSeconds(10), () -> settledNotified(id), "kos_file_settled notified with the file id");
            assertNoticeTellsTheCompletedRow(id);
        }
    }

    @Test
    void theFinalizersSessionsPlanTheCompletingStatementOnce() {
        assertEquals(List.of("force_generic_plan", "kos-placement-test-finalizer"), placement.finalizerSessions().withConnection(
                c -> List.of(setting(c, "plan_cache_mode"), setting(c, "application_name"))), "the service's finalizer sessions");
        // One session each, so the plan cache read below is the one the completions used.
        try (Database generic = db.sibling("generic", 1, PlacementService.GENERIC_PLANS);
             Database chooses = db.sibling("chooses", 1, null)) {
            assertEquals(List.of(0L, 8L), completionPlans(generic), "custom, generic plans with generic plans forced");
            // The control: left to choose, PostgreSQL plans the statement for its parameters at
            // least the first five times it runs prepared, which the count above would have shown.
            assertTrue(completionPlans(chooses).get(0) >= 5, "custom plans when PostgreSQL chooses");
        }
    }

    /**
     * Completes twelve sealed uploads as the finalizer does on {@code sessions} (one connection),
     * then reads from that session's plan cache how often the completing statement was planned for
     * its parameters and how often it ran on the generic plan: {custom, generic}. The JDBC driver
     * prepares a statement on the server at its fifth execution, so eight of the twelve count.
     */
    static List<Long> completionPlans(Database sessions) {
        MetadataFinalizer finalizer = new MetadataFinalizer(sessions, events);
        for (int i = 0; i < 12; i++) {
            UUID id = sealedRows(2, 1);
            UploadProgress.Seal seal = new UploadProgress.Seal(200, "0f".repeat(32), 2,
                    Optional.of(new UploadProgress.SealEvent(1, "direct.bin", "application/octet-stream", "")));
            assertEquals(UploadFinalizer.Outcome.COMPLETED, finalizer.finalizeUpload(id.toString(), seal, Map.of(0, 1000, 1, 1001)));
        }
        return sessions.withConnection(c -> {
            try (java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(
                    "SELECT custom_plans, generic_plans FROM pg_prepared_statements WHERE statement LIKE 'WITH done AS (UPDATE files %'")) {
                assertTrue(rs.next(), "the completing statement is prepared on the session");
                List<Long> plans = List.of(rs.getLong(1), rs.getLong(2));
                assertTrue(!rs.next(), "one completing statement");
                return plans;
            }
        });
    }

    static String setting(java.sql.Connection c, String name) throws java.sql.SQLException {
        try (java.sql.PreparedStatement ps = c.prepareStatement("SELECT current_setting(?)")) {
            ps.setString(1, name);
            try (java.sql.ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getString(1);
            }
        }
    }

    @Test
    void healthReportsTheFinalizerAndTheRelay() throws Exception {
        Poll.until(Duration.ofSeconds(60), placement::isRunning, "placement running");
        // The only test here that gives the pool a metrics tracker: HikariCP takes one per pool.
        try (HealthEndpoint health = HealthEndpoint.start(0, placement, relay, null, PlacementMetrics.of(db, placement, relay, null))) {
            java.net.http.HttpResponse<String> r = get(health, "/health");
            assertEquals(200, r.statusCode(), r.body());
            assertTrue(r.body().contains("\"finalizer\":{\"state\":\"running\",\"stream_threads\":"
                    + PlacementConfig.DEFAULT_STREAM_THREADS + "}"), r.body());
            assertTrue(r.body().contains("\"outbox_relay\":{\"active\":"), r.body());

            // The same figures on /metrics of the same port, with the pool's and the JVM's.
            db.inTransaction(c -> c.isValid(1)); // a checkout measured since the tracker was set
            Map<String, Double> m = Metrics.scrape(java.net.URI.create("http://localhost:" + health.port() + "/metrics"));
            assertTrue(m.get("kos_db_pool_wait_seconds_count{pool=\"placement-test\"}") >= 1, m::toString);
            // The finalizer's own pool beside it, named after the service's.
            assertEquals((double) PlacementConfig.DEFAULT_STREAM_THREADS, m.get("kos_db_pool_max_connections{pool=\"placement-test-finalizer\"}"), m::toString);
            assertEquals(1.0, m.get("kos_placement_finalizer_up"), m::toString);
            assertEquals((double) PlacementConfig.DEFAULT_STREAM_THREADS, m.get("kos_placement_stream_threads"), m::toString);
            assertTrue(m.containsKey("kos_outbox_published_total"), m::toString);
            assertTrue(m.containsKey("kos_outbox_lag_seconds"), m::toString);
            assertTrue(m.containsKey("kos_db_pool_connections{pool=\"placement-test\",state=\"active\"}"), m::toString);
            assertTrue(m.containsKey("kos_db_pool_connections{pool=\"placement-test-finalizer\",state=\"active\"}"), m::toString);
            assertTrue(m.get("jvm_threads_live") > 0, m::toString);
            assertTrue(m.keySet().stream().noneMatch(k -> k.startsWith("kos_placement_rebalance_")), "no rebalancer, no rebalance metrics");
        }
        assertTrue(HealthEndpoint.body(org.apache.kafka.streams.KafkaStreams.State.ERROR, 0, null, null).startsWith("{\"status\":\"down\""));
    }

    @Test
    void rebalanceMetricsAreTheFiguresHealthShows() {
        dev.kos.metrics.MetricRegistry registry = new dev.kos.metrics.MetricRegistry();
        PlacementMetrics.rebalance(registry, () -> new dev.kos.placement.rebalance.RebalanceStatus(true, 7, 12, 12_000, 30,
                30_000, 2, 1, 4, Optional.of(java.time.Duration.ofMillis(1_250))));
        Map<String, Double> m = Metrics.parse(registry.scrape());
        assertEquals(Map.of(
                "kos_placement_rebalance_running", 1.0,
                "kos_placement_rebalance_ring_epoch", 7.0,
                "kos_placement_rebalance_chunks_left", 12.0,
                "kos_placement_rebalance_bytes_left", 12_000.0,
                "kos_placement_rebalance_chunks_moved_total", 30.0,
                "kos_placement_rebalance_bytes_copied_total", 30_000.0,
                "kos_placement_rebalance_chunks_waiting", 2.0,
                "kos_placement_rebalance_chunks_stuck", 1.0,
                "kos_placement_rebalance_passes_total", 4.0,
                "kos_placement_rebalance_last_pass_seconds", 1.25), m);
    }

    private static java.net.http.HttpResponse<String> get(HealthEndpoint health, String path) throws Exception {
        try (java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient()) {
            return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create("http://localhost:" + health.port() + path)).build(),
                    java.net.http.HttpResponse.BodyHandlers.ofString());
        }
    }
}
