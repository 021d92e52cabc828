package dev.kos.events;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
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

/**
 * ReplayCommand on a real broker: a group that consumed a topic is rewound to the beginning,
 * an offset or a time, and really re-reads; a dry run changes nothing; an active group is
 * refused and keeps its offsets.
 */
class ReplayCommandTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);
    static final String TOPIC = "replay-test.v1";
    static final int PER_PARTITION = 10;
    /** Record i of each partition has timestamp T0 + i seconds, so times map to known offsets. */
    static final Instant T0 = Instant.parse("2026-11-02T10:00:00Z");
    static EmbeddedKafkaBroker kafka;
    static Admin admin;

    @BeforeAll
    static void start() throws Exception {
        Logging.configure("test");
        kafka = EmbeddedKafkaBroker.start(null, 0);
        admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()));
        admin.createTopics(List.of(new NewTopic(TOPIC, 2, (short) 1))).all().get();
        try (KafkaProducer<String, String> p = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG,
                kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer())) {
            for (int partition = 0; partition < 2; partition++) {
                for (int i = 0; i < PER_PARTITION; i++) {
                    p.send(new ProducerRecord<>(TOPIC, partition, T0.plusSeconds(i).toEpochMilli(), "k" + i, "v" + partition + "-" + i)).get();
                }
            }
        }
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    static KafkaConsumer<String, String> consumer(String group) {
        KafkaConsumer<String, String> c = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.GROUP_ID_CONFIG, group,
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer());
        c.subscribe(List.of(TOPIC));
        return c;
    }

    /** Consumes (and commits) until {@code expected} records arrived; returns them. */
    static List<ConsumerRecord<String, String>> consume(String group, int expected) {
        List<ConsumerRecord<String, String>> got = new ArrayList<>();
        try (KafkaConsumer<String, String> c = consumer(group)) {
            Poll.until(TIMEOUT, () -> {
                c.poll(Duration.ofMillis(100)).forEach(got::add);
                c.commitSync();
                return got.size() >= expected;
            }, expected + " records for group " + group);
        }
        return got;
    }

    static Map<Integer, Long> committed(String group) throws Exception {
        Map<Integer, Long> out = new HashMap<>();
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e
                : admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get().entrySet()) {
            out.put(e.getKey().partition(), e.getValue().offset());
        }
        return out;
    }

    static ReplayCommand.Plan replay(String out[], String... flags) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        String[] args = Stream.concat(Stream.of("--kafka-bootstrap=" + kafka.bootstrapServers(), "--replay-topic=" + TOPIC),
                Stream.of(flags)).toArray(String[]::new);
        ReplayCommand.Plan plan = new ReplayCommand(Settings.of(args, Map.of())).run(new PrintStream(buf, true, StandardCharsets.UTF_8));
        if (out != null) {
            out[0] = buf.toString(StandardCharsets.UTF_8);
        }
        return plan;
    }

    @Test
    void dryRunPrintsThePlanThenTheReplayRereadsEverything() throws Exception {
        String group = "replay-all";
        assertEquals(2 * PER_PARTITION, consume(group, 2 * PER_PARTITION).size());
        assertEquals(Map.of(0, 10L, 1, 10L), committed(group));

        String[] out = new String[1];
        ReplayCommand.Plan dry = replay(out, "--replay-group=" + group, "--replay-to=beginning", "--dry-run");
        assertEquals(List.of(10L, 10L), dry.moves().stream().map(ReplayCommand.PartitionMove::replayed).toList());
        assertTrue(out[0].contains("replay plan: group replay-all on replay-test.v1"), out[0]);
        assertTrue(out[0].contains("dry run: no offsets changed"), out[0]);
        assertEquals(Map.of(0, 10L, 1, 10L), committed(group), "a dry run changes nothing");

        replay(out, "--replay-group=" + group, "--replay-to=beginning");
        assertEquals(Map.of(0, 0L, 1, 0L), committed(group));
        List<ConsumerRecord<String, String>> again = consume(group, 2 * PER_PARTITION);
        assertEquals(2 * PER_PARTITION, again.size(), "the group re-read every record, once");
        assertEquals("v0-0", again.stream().filter(r -> r.partition() == 0).findFirst().orElseThrow().value());
    }

    @Test
    void toAnOffsetMovesOnlyTheChosenPartitionsAndClampsToTheLog() throws Exception {
        String group = "replay-offset";
        consume(group, 2 * PER_PARTITION);
        replay(null, "--replay-group=" + group, "--replay-to=offset:4", "--replay-partitions=1");
        assertEquals(Map.of(0, 10L, 1, 4L), committed(group));
        List<ConsumerRecord<String, String>> again = consume(group, PER_PARTITION - 4);
        assertEquals(List.of("v1-4", "v1-5", "v1-6", "v1-7", "v1-8", "v1-9"), again.stream().map(ConsumerRecord::value).toList());

        ReplayCommand.Plan clamped = replay(null, "--replay-group=" + group, "--replay-to=offset:999");
        assertEquals(List.of(10L, 10L), clamped.moves().stream().map(ReplayCommand.PartitionMove::target).toList());
    }

    @Test
    void toATimeResumesAtTheFirstRecordAtOrAfterIt() throws Exception {
        String group = "replay-time";
        consume(group, 2 * PER_PARTITION);
        replay(null, "--replay-group=" + group, "--replay-to=" + T0.plusMillis(5_500));
        assertEquals(Map.of(0, 6L, 1, 6L), committed(group));
        replay(null, "--replay-group=" + group, "--replay-to=" + T0.plusSeconds(3_600));
        assertEquals(Map.of(0, 10L, 1, 10L), committed(group), "after the last record: the end");
        replay(null, "--replay-group=" + group, "--replay-to=" + T0.minusSeconds(60));
        assertEquals(Map.of(0, 0L, 1, 0L), committed(group));
    }

    @Test
    void aGroupWithActiveMembersIsRefusedAndKeepsItsOffsets() throws Exception {
        String group = "replay-active";
        consume(group, 2 * PER_PARTITION);
        try (KafkaConsumer<String, String> running = consumer(group)) {
            Poll.until(TIMEOUT, () -> {
                running.poll(Duration.ofMillis(100));
                return !running.assignment().isEmpty();
            }, "the running consumer's assignment");
            ReplayCommand.GroupActiveException e = assertThrows(ReplayCommand.GroupActiveException.class,
                    () -> replay(null, "--replay-group=" + group, "--replay-to=beginning"));
            assertTrue(e.getMessage().contains("1 active member(s)") && e.getMessage().contains("stop its consumers"), e.getMessage());
            assertThrows(ReplayCommand.GroupActiveException.class,
                    () -> replay(null, "--replay-group=" + group, "--replay-to=beginning", "--dry-run"));
        }
        assertEquals(Map.of(0, 10L, 1, 10L), committed(group));
        replay(null, "--replay-group=" + group, "--replay-to=beginning"); // stopped: now it may
        assertEquals(Map.of(0, 0L, 1, 0L), committed(group));
    }

    @Test
    void aNewGroupCanBePreparedToStartAtATime() throws Exception {
        String group = "replay-new";
        ReplayCommand.Plan plan = replay(null, "--replay-group=" + group, "--replay-to=" + T0.plusSeconds(8));
        assertTrue(plan.moves().stream().allMatch(m -> m.committed().isEmpty()));
        assertEquals(Map.of(0, 8L, 1, 8L), committed(group));
        assertEquals(4, consume(group, 4).size());
    }

    @Test
    void badInputIsAClearError() {
        EventsException noTopic = assertThrows(EventsException.class, () -> new ReplayCommand(Settings.of(new String[] {
                "--kafka-bootstrap=" + kafka.bootstrapServers(), "--replay-topic=no-such-topic", "--replay-group=g",
                "--replay-to=beginning"}, Map.of())).run(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)));
        assertTrue(noTopic.getMessage().contains("topic no-such-topic does not exist"), noTopic.getMessage());
        EventsException noPartition = assertThrows(EventsException.class,
                () -> replay(null, "--replay-group=g", "--replay-to=beginning", "--replay-partitions=7"));
        assertTrue(noPartition.getMessage().contains("has no partition 7"), noPartition.getMessage());

        assertThrows(IllegalArgumentException.class, () -> new ReplayCommand(Settings.of(new String[] {"--replay-to=beginning"}, Map.of())));
        IllegalArgumentException badTo = assertThrows(IllegalArgumentException.class,
                () -> new ReplayCommand(Settings.of(new String[] {"--replay-group=g", "--replay-to=yesterday"}, Map.of())));
        assertTrue(badTo.getMessage().contains("expected beginning, end, offset:<n>"), badTo.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> new ReplayCommand(Settings.of(new String[] {"--replay-group=g", "--replay-to=offset:-3"}, Map.of())));
        assertInstanceOf(ReplayCommand.Time.class, ReplayCommand.Target.parse("2026-11-02T10:00:00Z"));
        assertEquals(new ReplayCommand.Offset(12), ReplayCommand.Target.parse("offset:12"));
    }
}
