package dev.kos.events;

import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Logging;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.MetadataException;
import dev.kos.metadata.NewFile;
import dev.kos.metadata.OutboxRow;
import dev.kos.metrics.MetricRegistry;
import dev.kos.schemas.events.v1.ChunkChecksum;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.NodeJoined;
import dev.kos.schemas.events.v1.RingChanged;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.UploadStarted;
import com.google.protobuf.ByteString;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The outbox end to end: real PostgreSQL, a real Kafka broker, real relays. */
class OutboxRelayTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final OutboxRelay.Options FAST = new OutboxRelay.Options(Duration.ofMillis(50), 50, Duration.ofMillis(500));
    static Database db;
    static EmbeddedKafkaBroker kafka;
    static final Events EVENTS = new Events("outbox-test");

    @BeforeAll
    static void start() {
        Logging.configure("test");
        kafka = EmbeddedKafkaBroker.start(null, 0);
        db = Database.embedded(null, 8, "t");
        db.migrate();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Topics.defaults().ensureTopics(admin);
            Topics.defaults().ensureTopics(admin); // idempotent
        }
    }

    @AfterAll
    static void stop() {
        if (db != null) {
            db.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    @Test
    void eventsArriveInPerFileSequenceOrderWithKeyAndHeaders() {
        List<UUID> files = List.of(newFile(), newFile(), newFile());
        List<EventEnvelope> written = new ArrayList<>();
        // Interleave files across transactions, and put several events in one transaction.
        for (int round = 0; round < 4; round++) {
            for (UUID f : files) {
                written.add(db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f))));
            }
        }
        written.addAll(db.inTransaction(c -> List.of(
                OutboxWriter.append(c, chunkStored(files.get(0))),
                OutboxWriter.append(c, chunkStored(files.get(0))))));
        // Several events of one file in one call: consecutive sequences, in the order given.
        List<EventEnvelope> batch = db.inTransaction(c -> OutboxWriter.appendAll(c,
                List.of(chunkStored(files.get(0)), chunkStored(files.get(0)), chunkStored(files.get(0)))));
        assertEquals(List.of(7L, 8L, 9L), batch.stream().map(EventEnvelope::getSequence).toList());
        written.addAll(batch);

        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, keys(files), written.size());
            Poll.until(TIMEOUT, () -> relay.publishedCount() >= written.size(), "the relay to count its sends");
            assertEquals(Duration.ZERO, relay.lag());
            assertTrue(relay.isActive());

            Map<String, List<Long>> sequences = new HashMap<>();
            for (ConsumerRecord<String, EventEnvelope> r : got) {
                EventEnvelope e = r.value();
                assertEquals(e.getFileId(), r.key());
                assertEquals("chunk_stored", EventSerde.header(r.headers(), EventSerde.HEADER_EVENT_TYPE));
                assertEquals(e.getEventId(), EventSerde.header(r.headers(), EventSerde.HEADER_EVENT_ID));
                assertEquals("1", EventSerde.header(r.headers(), EventSerde.HEADER_SCHEMA));
                assertEquals("node-a", e.getNodeId());
                sequences.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(e.getSequence());
            }
            assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L, 7L, 8L, 9L), sequences.get(files.get(0).toString()));
            assertEquals(List.of(1L, 2L, 3L, 4L), sequences.get(files.get(1).toString()));
            assertEquals(List.of(1L, 2L, 3L, 4L), sequences.get(files.get(2).toString()));
            assertEquals(written.stream().map(EventEnvelope::getEventId).collect(Collectors.toSet()),
                    got.stream().map(r -> r.value().getEventId()).collect(Collectors.toSet()));
            assertEquals(0, outboxRows());
        }
    }

    @Test
    void relayMetricsAreWhatTheRelayCounts() {
        UUID file = newFile();
        for (int i = 0; i < 3; i++) {
            db.inTransaction(c -> OutboxWriter.append(c, chunkStored(file)));
        }
        MetricRegistry registry = new MetricRegistry();
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            RelayMetrics.register(registry, relay);
            Poll.until(TIMEOUT, () -> relay.isActive() && outboxRows() == 0 && relay.publishedCount() >= 3,
                    "the relay to publish the three events");
            Map<String, Double> s = Metrics.parse(registry.scrape());
            assertEquals((double) relay.publishedCount(), s.get("kos_outbox_published_total"), s::toString);
            assertEquals((double) relay.roundCount(), s.get("kos_outbox_rounds_total"), s::toString);
            assertTrue(s.get("kos_outbox_rounds_total") >= 1, s::toString);
            assertEquals(0.0, s.get("kos_outbox_failures_total"), s::toString);
            assertEquals(1.0, s.get("kos_outbox_relay_active"), s::toString);
            assertEquals(0.0, s.get("kos_outbox_lag_seconds"), "an empty outbox lags nothing");
        }
    }

    @Test
    void aRolledBackTransactionPublishesNothing() {
        UUID ghost = UUID.randomUUID();
        assertThrows(MetadataException.class, () -> db.inTransaction(c -> {
            insertFile(c, ghost);
            OutboxWriter.append(c, EVENTS.uploadStarted(ghost, UploadStarted.newBuilder().setName("ghost").build()));
            throw new SQLException("the state change failed after the event was appended");
        }));
        UUID real = newFile();
        EventEnvelope marker = db.inTransaction(c -> OutboxWriter.append(c, chunkStored(real)));
        assertEquals(1, marker.getSequence());
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, Set.of(real.toString(), ghost.toString()), 1);
            assertEquals(marker.getEventId(), got.getFirst().value().getEventId());
            Poll.until(TIMEOUT, () -> outboxRows() == 0, "the outbox to drain");
        }
        // Everything committed before the marker is on the topic by now; the ghost never was.
        assertTrue(read(Topics.FILES, Set.of(ghost.toString()), 0).isEmpty());
    }

    @Test
    void commitsMadeWhileTheRelayLingersGoOutInOneRound() {
        // A linger far longer than the five commits below take, so they all land inside it.
        OutboxRelay.Options lingering = new OutboxRelay.Options(Duration.ofSeconds(3), 50, Duration.ofSeconds(5),
                Duration.ofSeconds(3), Topics.defaults());
        UUID file = newFile();
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), lingering)) {
            List<EventEnvelope> written = new ArrayList<>();
            written.add(db.inTransaction(c -> OutboxWriter.append(c, chunkStored(file))));
            Poll.until(TIMEOUT, () -> relay.publishedCount() == 1, "the first event, alone in its round");
            assertEquals(1, relay.roundCount());
            // Five commits, five NOTIFYs, while the relay lingers after that round.
            for (int i = 0; i < 5; i++) {
                written.add(db.inTransaction(c -> OutboxWriter.append(c, chunkStored(file))));
            }
            Poll.until(TIMEOUT, () -> relay.publishedCount() == 6, "the five after the linger");
            assertEquals(2, relay.roundCount(), "the five commits went out in one round");
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, Set.of(file.toString()), 6);
            assertEquals(written.stream().map(EventEnvelope::getEventId).toList(),
                    got.stream().map(r -> r.value().getEventId()).toList());
            assertEquals(0, outboxRows());
        }
    }

    @Test
    void twoRelaysAtOncePublishEachEventOnceAndInOrder() throws Exception {
        int writers = 4;
        int perFile = 25;
        List<UUID> files = new ArrayList<>();
        for (int i = 0; i < writers; i++) {
            files.add(newFile());
        }
        try (OutboxRelay a = OutboxRelay.start(db, kafka.bootstrapServers(), FAST);
             OutboxRelay b = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (UUID f : files) {
                    done.add(pool.submit(() -> {
                        for (int i = 0; i < perFile; i++) {
                            db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f)));
                        }
                    }));
                }
                for (Future<?> f : done) {
                    f.get();
                }
            } finally {
                pool.shutdown();
            }
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, keys(files), writers * perFile);
            Poll.until(TIMEOUT, () -> outboxRows() == 0, "the outbox to drain");
            assertEquals(writers * perFile, got.size(), "no event published twice");
            assertEquals(writers * perFile, got.stream().map(r -> r.value().getEventId()).distinct().count());
            Map<String, List<Long>> sequences = new HashMap<>();
            got.forEach(r -> sequences.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value().getSequence()));
            List<Long> expected = new ArrayList<>();
            for (long s = 1; s <= perFile; s++) {
                expected.add(s);
            }
            for (UUID f : files) {
                assertEquals(expected, sequences.get(f.toString()), "file " + f + " in sequence order");
            }
            assertNotEquals(a.isActive(), b.isActive(), "exactly one relay holds the lock");
            assertEquals(writers * perFile, a.publishedCount() + b.publishedCount());
        }
    }

    @Test
    void aRelayThatCannotPublishLosesNothingAndTheNextOneDeliversAll() {
        UUID f = newFile();
        List<EventEnvelope> written = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            written.add(db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f))));
        }
        // (No "relay closed right after start" step: such a relay may legitimately publish everything
        // before it stops, which would leave the broken relay below nothing to fail on.)
        // A relay whose Kafka is unreachable: it holds the lock, fails, retries, deletes nothing.
        Map<String, Object> dead = new HashMap<>(OutboxRelay.producerConfig("127.0.0.1:1"));
        dead.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 200);
        try (OutboxRelay broken = OutboxRelay.start(
                () -> java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password()), db.dataSource(),
                () -> new KafkaProducer<>(dead, new StringSerializer(), new ByteArraySerializer()), FAST)) {
            Poll.until(TIMEOUT, () -> broken.failureCount() >= 2, "the broken relay to fail and retry");
            assertEquals(0, broken.publishedCount());
            assertTrue(broken.isActive());
            assertTrue(outboxRows() >= written.size(), "nothing deleted without an ack");
            assertFalse(broken.lag().isZero());
        }
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, Set.of(f.toString()), written.size());
            assertEquals(written.stream().map(EventEnvelope::getEventId).toList(),
                    got.stream().map(r -> r.value().getEventId()).toList());
            Poll.until(TIMEOUT, () -> outboxRows() == 0, "the outbox to drain");
        }
    }

    @Test
    void onlyTheRelaysOwnSessionCommitsWithoutWaitingForTheWalFlush() throws SQLException {
        try (Connection relaySession = java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
             Connection writer = db.dataSource().getConnection()) {
            assertEquals("on", synchronousCommit(relaySession), "the server's default: every commit waits for its flush");
            OutboxRelay.configureSession(relaySession);
            assertEquals("off", synchronousCommit(relaySession));
            assertEquals("on", synchronousCommit(writer), "a writer's events must survive a crash once committed");
        }
    }

    private static String synchronousCommit(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SHOW synchronous_commit"); ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getString(1);
        }
    }

    @Test
    void nodeAndRingEventsTakeTheirOwnSequenceAndKey() {
        String node = "node-" + UUID.randomUUID().toString().substring(0, 8);
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO storage_nodes (node_id, address) VALUES (?, 'h:1')")) {
                ps.setString(1, node);
                ps.executeUpdate();
            }
            return null;
        });
        EventEnvelope joined = db.inTransaction(c -> OutboxWriter.append(c, EVENTS.nodeJoined(node, NodeJoined.newBuilder().setAddress("h:1").build())));
        EventEnvelope again = db.inTransaction(c -> OutboxWriter.append(c, EVENTS.nodeJoined(node, NodeJoined.newBuilder().setAddress("h:1").build())));
        EventEnvelope ring = db.inTransaction(c -> OutboxWriter.append(c, EVENTS.ringChanged(RingChanged.newBuilder().setEpoch(7).build())));
        assertEquals(List.of(1L, 2L, 7L), List.of(joined.getSequence(), again.getSequence(), ring.getSequence()));
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.NODES, Set.of(node, Topics.RING_KEY), 3);
            assertEquals(List.of(joined, again, ring), got.stream().map(ConsumerRecord::value).toList());
            assertEquals(List.of(node, node, Topics.RING_KEY), got.stream().map(ConsumerRecord::key).toList());
            assertEquals("ring_changed", EventSerde.header(got.get(2).headers(), EventSerde.HEADER_EVENT_TYPE));
        }
    }

    /**
     * A caller whose own update of the file's row advanced event_seq (FileRepository.seal and
     * friends) hands the result to appendReserved: its events carry those sequences, the next
     * append continues after them, and the relay publishes them in that order.
     */
    @Test
    void reservedSequencesComeFromTheCallersOwnUpdate() {
        UUID f = newFile();
        List<EventEnvelope> reserved = db.inTransaction(c -> {
            long last;
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE files SET updated_at = now(), event_seq = event_seq + 2 WHERE file_id = ? RETURNING event_seq")) {
                ps.setObject(1, f);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    last = rs.getLong(1);
                }
            }
            return OutboxWriter.appendReserved(c, List.of(chunkStored(f), chunkStored(f)), last);
        });
        assertEquals(List.of(1L, 2L), reserved.stream().map(EventEnvelope::getSequence).toList());
        EventEnvelope next = db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f)));
        assertEquals(3L, next.getSequence());
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, Set.of(f.toString()), 3);
            assertEquals(List.of(1L, 2L, 3L), got.stream().map(r -> r.value().getSequence()).toList());
        }
        assertThrows(IllegalArgumentException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.appendReserved(c, List.of(chunkStored(f), chunkStored(f)), 1))), "2 events cannot end at 1");
        assertThrows(IllegalArgumentException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.appendReserved(c, List.of(EVENTS.ringChanged(RingChanged.newBuilder().setEpoch(9).build())), 9))),
                "ring events take their epochs");
    }

    /**
     * A statement that reserves the sequences and inserts the rows itself
     * (FileRepository.createSealed, the gateway's one-chunk upload) takes them from reservedRows:
     * the rows carry sequences 1 to n in the order given, the relay publishes them so, and the
     * next append continues after them.
     */
    @Test
    void reservedRowsGoInWithTheStatementThatReservesThem() {
        NewFile nf = NewFile.of("one-statement.bin", "application/octet-stream", Optional.empty(), 1 << 20);
        UUID f = nf.fileId();
        List<EventEnvelope.Builder> events = List.of(
                EVENTS.uploadStarted(f, UploadStarted.newBuilder().setName(nf.name()).build()),
                EVENTS.uploadSealed(f, UploadSealed.newBuilder().setSha256("0".repeat(64)).build()));
        List<OutboxRow> rows = OutboxWriter.reservedRows(events, 2);
        assertEquals(List.of("upload_started", "upload_sealed"), rows.stream().map(OutboxRow::eventType).toList());
        assertEquals(Set.of(f.toString()), rows.stream().map(OutboxRow::recordKey).collect(Collectors.toSet()));
        db.withConnection(c -> new FileRepository().createSealed(c, nf, 0, "0".repeat(64), Optional.empty(), rows));
        EventEnvelope next = db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f)));
        assertEquals(3L, next.getSequence());
        try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), FAST)) {
            List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, Set.of(f.toString()), 3);
            assertEquals(List.of(1L, 2L, 3L), got.stream().map(r -> r.value().getSequence()).toList());
            assertEquals(List.of(rows.get(0).eventId().toString(), rows.get(1).eventId().toString(), next.getEventId()),
                    got.stream().map(r -> r.value().getEventId()).toList());
            assertEquals(nf.name(), got.get(0).value().getUploadStarted().getName());
        }
        assertThrows(IllegalArgumentException.class, () -> OutboxWriter.reservedRows(events, 1), "2 events cannot end at 1");
        assertThrows(IllegalArgumentException.class, () -> OutboxWriter.reservedRows(
                List.of(chunkStored(f), chunkStored(UUID.randomUUID())), 2), "one subject per statement");
        assertThrows(IllegalArgumentException.class, () -> OutboxWriter.reservedRows(
                List.of(EVENTS.ringChanged(RingChanged.newBuilder().setEpoch(9).build())), 9), "ring events take their epochs");
    }

    @Test
    void badEventsAreRejectedWithATypedError() {
        assertThrows(UnknownSubjectException.class,
                () -> unwrap(() -> db.inTransaction(c -> OutboxWriter.append(c, chunkStored(UUID.randomUUID())))));
        assertThrows(UnknownSubjectException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.append(c, EVENTS.nodeJoined("no-such-node", NodeJoined.getDefaultInstance())))));
        assertThrows(InvalidEventException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.append(c, EventEnvelope.newBuilder().setFileId(UUID.randomUUID().toString())))));
        assertThrows(InvalidEventException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.append(c, chunkStored(UUID.randomUUID()).setFileId("../etc")))));
        assertThrows(InvalidEventException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.append(c, EVENTS.ringChanged(RingChanged.getDefaultInstance())))));
        assertThrows(IllegalStateException.class, () -> db.withConnection(c -> OutboxWriter.append(c, chunkStored(newFile()))));
        assertThrows(IllegalArgumentException.class, () -> unwrap(() -> db.inTransaction(c ->
                OutboxWriter.appendAll(c, List.of(chunkStored(newFile()), chunkStored(newFile()))))));
        assertThrows(IllegalArgumentException.class, () -> unwrap(() -> db.inTransaction(c -> OutboxWriter.appendAll(c, List.of()))));
    }

    /**
     * A relay that stands by does not listen: commits that write events wake only the publisher.
     * (A listening standby tried the lock once per such commit, three times per upload.) It still
     * takes over within a poll once the publisher is gone.
     */
    @Test
    void aStandbyRelayIsNotWokenByEachCommitAndTakesOverWhenThePublisherStops() {
        OutboxRelay.Options slowPoll = new OutboxRelay.Options(Duration.ofSeconds(1), 50, Duration.ofSeconds(2));
        java.util.concurrent.atomic.AtomicInteger lockTries = new java.util.concurrent.atomic.AtomicInteger();
        OutboxRelay.ConnectionSource counting = () -> {
            Connection real = java.sql.DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
            return (Connection) java.lang.reflect.Proxy.newProxyInstance(Connection.class.getClassLoader(),
                    new Class<?>[] {Connection.class}, (proxy, method, args) -> {
                        if (method.getName().equals("prepareStatement") && String.valueOf(args[0]).contains("pg_try_advisory_lock")) {
                            lockTries.incrementAndGet();
                        }
                        try {
                            return method.invoke(real, args);
                        } catch (java.lang.reflect.InvocationTargetException e) {
                            throw e.getCause();
                        }
                    });
        };
        UUID f = newFile();
        OutboxRelay publisher = OutboxRelay.start(db, kafka.bootstrapServers(), FAST);
        try {
            Poll.until(TIMEOUT, publisher::isActive, "the first relay to hold the lock");
            try (OutboxRelay standby = OutboxRelay.start(counting, db.dataSource(), () -> new KafkaProducer<>(
                    OutboxRelay.producerConfig(kafka.bootstrapServers()), new StringSerializer(), new ByteArraySerializer()), slowPoll)) {
                Poll.until(TIMEOUT, () -> lockTries.get() >= 1, "the standby's first lock attempt");
                long started = System.nanoTime();
                int commits = 30;
                for (int i = 0; i < commits; i++) {
                    db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f)));
                }
                Poll.until(TIMEOUT, () -> outboxRows() == 0, "the publisher to drain the outbox");
                long polls = Duration.ofNanos(System.nanoTime() - started).toMillis() / slowPoll.poll().toMillis();
                assertFalse(standby.isActive());
                assertTrue(lockTries.get() <= polls + 2,
                        () -> lockTries.get() + " lock attempts by the standby over " + commits + " commits and " + polls + " polls");

                publisher.close();
                EventEnvelope after = db.inTransaction(c -> OutboxWriter.append(c, chunkStored(f)));
                Poll.until(TIMEOUT, standby::isActive, "the standby to take over");
                List<ConsumerRecord<String, EventEnvelope>> got = read(Topics.FILES, Set.of(f.toString()), commits + 1);
                assertEquals(after.getEventId(), got.getLast().value().getEventId());
                Poll.until(TIMEOUT, () -> outboxRows() == 0, "the new publisher to drain the outbox");
            }
        } finally {
            publisher.close();
        }
    }

    @Test
    void markProcessedIsTrueOnceThenFalse() {
        UUID event = UUID.randomUUID();
        boolean first = db.inTransaction(c -> ProcessedEvents.markProcessed(c, "cleanup-worker", event));
        boolean replay = db.inTransaction(c -> ProcessedEvents.markProcessed(c, "cleanup-worker", event));
        boolean otherConsumer = db.inTransaction(c -> ProcessedEvents.markProcessed(c, "indexer", event));
        assertTrue(first);
        assertFalse(replay);
        assertTrue(otherConsumer, "de-duplication is per consumer");
        // Rolled back with its effect, the mark is gone too: the replay runs the effect again.
        UUID rolledBack = UUID.randomUUID();
        assertThrows(MetadataException.class, () -> db.inTransaction(c -> {
            ProcessedEvents.markProcessed(c, "cleanup-worker", rolledBack);
            throw new SQLException("effect failed");
        }));
        boolean afterRollback = db.inTransaction(c -> ProcessedEvents.markProcessed(c, "cleanup-worker", rolledBack));
        assertTrue(afterRollback);
    }

    // --- helpers ---

    private static EventEnvelope.Builder chunkStored(UUID file) {
        return EVENTS.chunkStored(file, ChunkStored.newBuilder().setChunkId("c-" + UUID.randomUUID()).setSize(10)
                .setChecksum(ChunkChecksum.newBuilder().setAlgorithm("CRC32C").setValue(ByteString.copyFrom(new byte[4])))
                .addNodeIds("node-a").build());
    }

    private static UUID newFile() {
        UUID id = UUID.randomUUID();
        db.inTransaction(c -> {
            insertFile(c, id);
            return null;
        });
        return id;
    }

    private static void insertFile(Connection c, UUID id) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO files (file_id, name, content_type, status, chunk_size) VALUES (?, 'f', 'application/octet-stream', 'uploading', 1048576)")) {
            ps.setObject(1, id);
            ps.executeUpdate();
        }
    }

    private static long outboxRows() {
        return db.withConnection(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM outbox")) {
                rs.next();
                return rs.getLong(1);
            }
        });
    }

    private static Set<String> keys(List<UUID> ids) {
        return ids.stream().map(UUID::toString).collect(Collectors.toSet());
    }

    /**
     * Reads a whole topic from the beginning, keeping records with the given keys, until
     * {@code expected} are found (then a little longer, to catch duplicates) or the deadline.
     * With expected = 0 it reads up to the end offsets seen at the start.
     */
    private static List<ConsumerRecord<String, EventEnvelope>> read(String topic, Set<String> keys, int expected) {
        List<ConsumerRecord<String, EventEnvelope>> got = new ArrayList<>();
        try (EventSerde serde = new EventSerde();
             KafkaConsumer<String, EventEnvelope> consumer = new KafkaConsumer<>(Map.of(
                     ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), serde.deserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            for (PartitionInfo p : consumer.partitionsFor(topic)) {
                parts.add(new TopicPartition(topic, p.partition()));
            }
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (System.nanoTime() < deadline) {
                for (ConsumerRecord<String, EventEnvelope> r : consumer.poll(Duration.ofMillis(100))) {
                    if (keys.contains(r.key())) {
                        got.add(r);
                    }
                }
                boolean atEnd = parts.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
                if (expected == 0 ? atEnd : got.size() >= expected && caughtUp(consumer, parts)) {
                    break;
                }
            }
        }
        if (got.size() < expected) {
            throw new AssertionError("expected " + expected + " records on " + topic + ", got " + got.size());
        }
        return got;
    }

    /** True once the consumer has read everything on the topic right now (so duplicates show). */
    private static boolean caughtUp(KafkaConsumer<String, EventEnvelope> consumer, List<TopicPartition> parts) {
        Map<TopicPartition, Long> end = consumer.endOffsets(parts);
        return parts.stream().allMatch(tp -> consumer.position(tp) >= end.get(tp));
    }

    /** db.inTransaction wraps only SQL errors; ours are runtime exceptions that pass through. */
    private static void unwrap(Runnable r) {
        r.run();
    }

    @SuppressWarnings("unused")
    private static Set<String> ids(List<EventEnvelope> es) {
        return es.stream().map(EventEnvelope::getEventId).collect(Collectors.toCollection(HashSet::new));
    }
}
