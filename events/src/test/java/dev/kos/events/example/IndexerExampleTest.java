package dev.kos.events.example;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.kos.config.Logging;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.events.EventSerde;
import dev.kos.events.Events;
import dev.kos.events.Topics;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.FileCompleted;
import dev.kos.schemas.events.v1.UploadStarted;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The documented consumer, run for real: it indexes each completed file once (a re-delivered
 * event is recognised by its id), skips other types, a payload from a newer schema and a
 * record that is not an envelope, and commits every offset once it is done.
 */
class IndexerExampleTest {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    static FileCompleted completed(String name, String sha) {
        return FileCompleted.newBuilder().setName(name).setContentType("text/plain").setSize(42).setSha256(sha).setChunkCount(1).build();
    }

    @Test
    void indexesEachCompletedFileOnceAndCommitsEverything() throws Exception {
        Logging.configure("test");
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(null, 0);
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            Topics.defaults().ensureTopics(admin);
            Events gateway = new Events("ingest-gateway");
            Events placement = new Events("placement-service");
            UUID a = UUID.randomUUID();
            UUID b = UUID.randomUUID();
            EventEnvelope aStarted = gateway.uploadStarted(a, UploadStarted.newBuilder().setName("a.txt").build()).setSequence(1).build();
            EventEnvelope aDone = placement.fileCompleted(a, completed("a.txt", "aa")).setSequence(2).build();
            EventEnvelope bDone = placement.fileCompleted(b, completed("b.txt", "bb")).setSequence(5).build();
            // What a newer producer might send: an envelope whose payload case this build does not know (field 99).
            ByteArrayOutputStream newer = new ByteArrayOutputStream();
            CodedOutputStream cos = CodedOutputStream.newInstance(newer);
            cos.writeBytes(99, ByteString.copyFromUtf8("from the future"));
            cos.flush();
            byte[] future = gateway.uploadStarted(b, UploadStarted.getDefaultInstance()).clearUploadStarted().setSequence(6).build()
                    .toByteString().concat(ByteString.copyFrom(newer.toByteArray())).toByteArray();

            Map<String, Object> pc = Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(), ProducerConfig.ACKS_CONFIG, "all");
            try (EventSerde serde = new EventSerde();
                 KafkaProducer<String, EventEnvelope> events = new KafkaProducer<>(pc, new StringSerializer(), serde.serializer());
                 KafkaProducer<String, byte[]> raw = new KafkaProducer<>(pc, new StringSerializer(), new ByteArraySerializer())) {
                events.send(new ProducerRecord<>(Topics.FILES, a.toString(), aStarted)).get();
                events.send(new ProducerRecord<>(Topics.FILES, a.toString(), aDone)).get();
                raw.send(new ProducerRecord<>(Topics.FILES, a.toString(), "not protobuf \u0000\u00ff".getBytes(StandardCharsets.ISO_8859_1))).get();
                events.send(new ProducerRecord<>(Topics.FILES, a.toString(), aDone)).get(); // at-least-once: delivered twice
                events.send(new ProducerRecord<>(Topics.FILES, b.toString(), bDone)).get();
                raw.send(new ProducerRecord<>(Topics.FILES, b.toString(), future)).get();
            }

            Map<String, String> index = new ConcurrentHashMap<>(); // event id -> "file id sha256"
            AtomicInteger duplicates = new AtomicInteger();
            AtomicBoolean running = new AtomicBoolean(true);
            Thread consumer = Thread.ofVirtual().start(() -> IndexerExample.run(kafka.bootstrapServers(), (eventId, fileId, file) -> {
                if (index.putIfAbsent(eventId, fileId + " " + file.getSha256()) != null) {
                    duplicates.incrementAndGet();
                    return false;
                }
                return true;
            }, running::get));

            Set<TopicPartition> parts = admin.describeTopics(List.of(Topics.FILES)).allTopicNames().get().get(Topics.FILES)
                    .partitions().stream().map(p -> new TopicPartition(Topics.FILES, p.partition())).collect(Collectors.toSet());
            Map<TopicPartition, Long> ends = admin.listOffsets(parts.stream().collect(Collectors.toMap(tp -> tp, tp -> OffsetSpec.latest())))
                    .all().get().entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
            long deadline = System.nanoTime() + TIMEOUT.toNanos();
            while (!committedUpTo(admin, ends)) {
                assertTrue(System.nanoTime() < deadline, "the indexer did not commit every offset within " + TIMEOUT);
                assertTrue(consumer.isAlive(), "the indexer stopped early");
                LockSupport.parkNanos(Duration.ofMillis(50).toNanos());
            }
            running.set(false);
            consumer.join(TIMEOUT);

            assertEquals(Map.of(aDone.getEventId(), a + " aa", bDone.getEventId(), b + " bb"), index);
            assertEquals(1, duplicates.get(), "the re-delivered file_completed was recognised by its event id");
        }
    }

    private static boolean committedUpTo(Admin admin, Map<TopicPartition, Long> ends) throws Exception {
        Map<TopicPartition, OffsetAndMetadata> c = admin.listConsumerGroupOffsets("indexer").partitionsToOffsetAndMetadata().get();
        return ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                || (c.get(e.getKey()) != null && c.get(e.getKey()).offset() == e.getValue()));
    }

    @Test
    void theDocumentQuotesTheExampleVerbatim() throws Exception {
        String source = Files.readString(Path.of("src/test/java/dev/kos/events/example/IndexerExample.java"));
        int from = source.indexOf('\n', source.indexOf("// tag::example[]")) + 1;
        int to = source.lastIndexOf('\n', source.indexOf("// end::example[]"));
        String snippet = source.substring(from, to + 1).lines().map(l -> l.startsWith("    ") ? l.substring(4) : l)
                .collect(Collectors.joining("\n"));
        String doc = Files.readString(Path.of("../docs/events.md"));
        assertTrue(doc.contains(snippet), "docs/events.md must quote IndexerExample between its tag lines, dedented by 4 spaces");
    }
}
