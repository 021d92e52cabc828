package dev.kos.events.example;

import dev.kos.events.EventSerde;
import dev.kos.events.Topics;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.FileCompleted;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The minimal downstream consumer that docs/events.md quotes (between the tag lines, verbatim;
 * IndexerExampleTest keeps the two identical). Only public kos API: a plain KafkaConsumer with
 * EventSerde, as an indexer, scanner or audit service outside kos would write it.
 */
public final class IndexerExample {
    private IndexerExample() {
    }

    // tag::example[]
    /** Your side effect. Store it and the event id in one transaction; false = seen before. */
    public interface Index {
        boolean addIfNew(String eventId, String fileId, FileCompleted file);
    }

    public static void run(String bootstrap, Index index, BooleanSupplier running) {
        Map<String, Object> config = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, "indexer",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,     // commit after the effect, never before
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"); // a new consumer sees every file
        try (EventSerde serde = new EventSerde();
             KafkaConsumer<String, EventEnvelope> consumer =
                     new KafkaConsumer<>(config, new StringDeserializer(), serde.deserializer())) {
            consumer.subscribe(List.of(Topics.FILES));
            while (running.getAsBoolean()) {
                try {
                    for (ConsumerRecord<String, EventEnvelope> r : consumer.poll(Duration.ofMillis(500))) {
                        // Newer payload types arrive as PAYLOAD_NOT_SET here: skip what you do not know.
                        if (r.value().getPayloadCase() == EventEnvelope.PayloadCase.FILE_COMPLETED) {
                            index.addIfNew(r.value().getEventId(), r.key(), r.value().getFileCompleted());
                        }
                    }
                    consumer.commitSync();
                } catch (RecordDeserializationException e) { // not a kos envelope: skip that one record
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                }
            }
        }
    }
    // end::example[]
}
