package dev.kos.events;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.util.JsonFormat;
import dev.kos.config.Logging;
import dev.kos.config.Settings;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.metadata.Database;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.DeleteRequested;
import dev.kos.schemas.events.v1.FileCompleted;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Consumers against a real broker and PostgreSQL: the loop (retried effects, replays skipped) and the tail. */
class EventConsumerLoopTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    // Its own topic, so the loop sees only its own events whatever order the tests run in.
    static final String LOOP_TOPIC = "loop-test.v1";
    static Database db;
    static EmbeddedKafkaBroker kafka;

    @BeforeAll
    static void start() throws Exception {
        Logging.configure("test");
        kafka = EmbeddedKafkaBroker.start(null, 0);
        db = Database.embedded(null, 4, "t");
        db.migrate();
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Topics.defaults().ensureTopics(admin);
            admin.createTopics(List.of(new NewTopic(LOOP_TOPIC, 2, (short) 1))).all().get();
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
    void effectsRunOnceInOrderThroughAFailureAndAReplay() throws Exception {
        UUID file = UUID.randomUUID();
        db.inTransaction(c -> {
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO files (file_id, name, content_type, status, chunk_size) "
                    + "VALUES (?, 'f', 'text/plain', 'uploading', 1024)")) {
                ps.setObject(1, file);
                ps.executeUpdate();
            }
            return null;
        });
        Events events = new Events("loop-test");
        List<EventEnvelope> sent = new ArrayList<>();
        for (int i = 1; i <= 3; i++) {
            sent.add(events.chunkStored(file, ChunkStored.newBuilder().setChunkIndex(i - 1).build()).setSequence(i).build());
        }
        List<Long> appliedSequences = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean failOnce = new AtomicBoolean(true);
        EventConsumerLoop.Handler countChunks = (c, e) -> {
            if (e.getSequence() == 2 && failOnce.getAndSet(false)) {
                throw new IllegalStateException("simulated failure of the effect");
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "UPDATE files SET chunk_count = coalesce(chunk_count, 0) + 1 WHERE file_id = ?")) {
                ps.setObject(1, UUID.fromString(e.getFileId()));
                ps.executeUpdate();
            }
            appliedSequences.add(e.getSequence());
        };

        try (EventConsumerLoop loop = EventConsumerLoop.start(db, kafka.bootstrapServers(), "loop-test", List.of(LOOP_TOPIC), countChunks)) {
            publish(LOOP_TOPIC, sent);
            Poll.until(TIMEOUT, () -> chunkCount(file) == 3 && loop.appliedCount() >= 3, "three effects");
            assertEquals(List.of(1L, 2L, 3L), appliedSequences);
            assertEquals(3, loop.appliedCount());
            assertTrue(loop.failureCount() >= 1);
        }

        // A relay re-publishing after a crash: the same three again, then one new event.
        EventEnvelope fourth = events.chunkStored(file, ChunkStored.newBuilder().setChunkIndex(3).build()).setSequence(4).build();
        List<EventEnvelope> again = new ArrayList<>(sent);
        again.add(fourth);
        try (EventConsumerLoop loop = EventConsumerLoop.start(db, kafka.bootstrapServers(), "loop-test", List.of(LOOP_TOPIC), countChunks)) {
            publish(LOOP_TOPIC, again);
            // The count rises just after the transaction commits: wait for both, then check nothing more ran.
            Poll.until(TIMEOUT, () -> chunkCount(file) == 4 && loop.appliedCount() >= 1, "the fourth effect");
            assertEquals(1, loop.appliedCount(), "duplicates were skipped");
            assertEquals(List.of(1L, 2L, 3L, 4L), appliedSequences);
        }
    }

    @Test
    void eventsTheHandlerDoesNotActOnArePassedOverWithoutATransactionAndStillCommitted() throws Exception {
        String topic = "loop-filter-test.v1";
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            admin.createTopics(List.of(new NewTopic(topic, 1, (short) 1))).all().get();
        }
        UUID file = UUID.randomUUID();
        Events events = new Events("filter-test");
        EventEnvelope delete = events.deleteRequested(file, DeleteRequested.getDefaultInstance()).setSequence(3).build();
        List<EventEnvelope> sent = List.of(
                events.chunkStored(file, ChunkStored.getDefaultInstance()).setSequence(1).build(),
                events.uploadSealed(file, UploadSealed.getDefaultInstance()).setSequence(2).build(),
                delete);
        List<Long> handled = Collections.synchronizedList(new ArrayList<>());
        EventConsumerLoop.Handler deletesOnly = EventConsumerLoop.Handler.onlyFor(
                Set.of(EventEnvelope.PayloadCase.DELETE_REQUESTED), (c, e) -> handled.add(e.getSequence()));
        String group = "loop-filter-test";

        try (EventConsumerLoop loop = EventConsumerLoop.start(db, kafka.bootstrapServers(), group, List.of(topic), deletesOnly)) {
            publish(topic, sent);
            Poll.until(TIMEOUT, () -> loop.appliedCount() == 1 && loop.passedOverCount() == 2, "one effect, two passed over");
            assertEquals(List.of(3L), handled);
        }
        assertEquals(1, processedRows(group), "only the acted-on event has a processed_events row");

        // The passed-over offsets were committed: a restarted loop sees only the new events, and a
        // re-published delete (a relay's retry) is de-duplicated as before.
        EventEnvelope late = events.fileCompleted(file, FileCompleted.getDefaultInstance()).setSequence(4).build();
        try (EventConsumerLoop loop = EventConsumerLoop.start(db, kafka.bootstrapServers(), group, List.of(topic), deletesOnly)) {
            publish(topic, List.of(late, delete));
            Poll.until(TIMEOUT, () -> loop.passedOverCount() == 1 && handled.size() == 1 && offsetCommitted(group, topic) == 5,
                    "the new events consumed and committed");
            assertEquals(0, loop.appliedCount(), "the replayed delete was de-duplicated");
        }
        assertEquals(1, processedRows(group));
        assertThrows(IllegalArgumentException.class, () -> EventConsumerLoop.Handler.onlyFor(Set.of(), (c, e) -> { }));
    }

    private static long offsetCommitted(String group, String topic) {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            var offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
            var o = offsets.get(new org.apache.kafka.common.TopicPartition(topic, 0));
            return o == null ? -1 : o.offset();
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the group's offsets", e);
        }
    }

    private static long processedRows(String consumer) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM processed_events WHERE consumer = ?")) {
                ps.setString(1, consumer);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }

    @Test
    void theTailPrintsOneJsonLinePerEventFromTheBeginning() throws Exception {
        UUID file = UUID.randomUUID();
        Events events = new Events("tail-test");
        List<EventEnvelope> sent = List.of(
                events.chunkStored(file, ChunkStored.newBuilder().setChunkId("a\"b").build()).setSequence(1).build(),
                events.chunkStored(file, ChunkStored.newBuilder().setChunkId("c").build()).setSequence(2).build());
        publish(Topics.FILES, sent);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TailCommand tail = new TailCommand(Settings.of(new String[] {
                "--kafka-bootstrap=" + kafka.bootstrapServers(), "--tail-from=beginning", "--tail-key=" + file, "--tail-max=2"}, Map.of()));
        assertEquals(2, tail.run(new PrintStream(out, true, StandardCharsets.UTF_8), System.err));
        List<String> lines = out.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(2, lines.size());
        for (int i = 0; i < 2; i++) {
            String line = lines.get(i);
            assertTrue(line.startsWith("{\"topic\":\"kos.files.v1\""), line);
            assertTrue(line.contains("\"key\":\"" + file + "\",\"type\":\"chunk_stored\""), line);
            String event = line.substring(line.indexOf("\"event\":") + 8, line.length() - 1);
            EventEnvelope.Builder parsed = EventEnvelope.newBuilder();
            JsonFormat.parser().merge(event, parsed);
            assertEquals(sent.get(i), parsed.build());
        }
        assertThrows(IllegalArgumentException.class,
                () -> new TailCommand(Settings.of(new String[] {"--tail-from=yesterday"}, Map.of())));
    }

    private static void publish(String topic, List<EventEnvelope> events) throws Exception {
        try (EventSerde serde = new EventSerde();
             KafkaProducer<String, EventEnvelope> p = new KafkaProducer<>(Map.of(
                     ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                     ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), serde.serializer())) {
            for (EventEnvelope e : events) {
                p.send(new ProducerRecord<>(topic, e.getFileId(), e)).get();
            }
        }
    }

    private static long chunkCount(UUID file) {
        return db.withConnection(c -> {
            try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(chunk_count, 0) FROM files WHERE file_id = ?")) {
                ps.setObject(1, file);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    return rs.getLong(1);
                }
            }
        });
    }
}
