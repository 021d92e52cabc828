package dev.kos.embeddedkafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Logging;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EmbeddedKafkaBrokerTest {
    @BeforeAll
    static void quietLogs() {
        Logging.configure("test");
    }

    @Test
    void aRecordSurvivesARestartOnTheSameDataDir(@TempDir Path dir) throws Exception {
        Path data = dir.resolve("kafka");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(data, 0)) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("t1", 1, (short) 1))).all().get();
            }
            try (KafkaProducer<String, String> producer = producer(broker)) {
                producer.send(new ProducerRecord<>("t1", "k", "hello")).get();
            }
            assertEquals(List.of("k=hello"), readAll(broker, "t1", 1));
        }
        assertTrue(Files.exists(data.resolve("meta.properties")), "the data dir stays after close");

        try (EmbeddedKafkaBroker again = EmbeddedKafkaBroker.start(data, 0)) {
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", again.bootstrapServers()))) {
                assertTrue(admin.listTopics().names().get().contains("t1"));
            }
            assertEquals(List.of("k=hello"), readAll(again, "t1", 1));
        }
    }

    @Test
    void aTempBrokerDeletesItsDataOnClose() {
        Path data;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(null, 0)) {
            data = broker.dataDir();
            assertTrue(Files.isDirectory(data));
            assertTrue(broker.bootstrapServers().matches("127\\.0\\.0\\.1:\\d+"));
        }
        assertFalse(Files.exists(data));
    }

    @Test
    void aBadPortIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> EmbeddedKafkaBroker.start(null, 70000));
    }

    private static KafkaProducer<String, String> producer(EmbeddedKafkaBroker broker) {
        return new KafkaProducer<>(Map.of(
                ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ProducerConfig.ACKS_CONFIG, "all"), new StringSerializer(), new StringSerializer());
    }

    /** Reads a topic's partition 0 from the start until {@code expected} records or a deadline. */
    private static List<String> readAll(EmbeddedKafkaBroker broker, String topic, int expected) {
        List<String> got = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrapServers(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"), new StringDeserializer(), new StringDeserializer())) {
            TopicPartition tp = new TopicPartition(topic, 0);
            consumer.assign(Set.of(tp));
            consumer.seekToBeginning(Set.of(tp));
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (got.size() < expected && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    got.add(r.key() + "=" + r.value());
                }
            }
        }
        return got;
    }
}
