package dev.kos.gateway;

import com.google.protobuf.InvalidProtocolBufferException;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.events.EventSerde;
import dev.kos.events.OutboxRelay;
import dev.kos.events.Topics;
import dev.kos.metadata.Database;
import dev.kos.placement.PlacementConfig;
import dev.kos.placement.PlacementService;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The event side of the product, for real: a KRaft broker, the outbox relay and the placement
 * service (which completes sealed uploads), plus a consumer that records every file event as a
 * downstream consumer would see it. Start one per test class: the broker takes seconds.
 */
final class EventPipeline implements AutoCloseable {
    final EmbeddedKafkaBroker kafka;
    private final Database db;
    private final PlacementService placement;
    private final Map<String, List<String>> seen = new ConcurrentHashMap<>();
    private final Map<String, List<EventEnvelope>> envelopes = new ConcurrentHashMap<>();
    private final KafkaConsumer<String, byte[]> consumer;
    private final Thread reader;
    private volatile boolean reading = true;
    private volatile OutboxRelay relay;

    EventPipeline(Database db, Path stateDir) {
        this.db = db;
        kafka = EmbeddedKafkaBroker.start(null, 0);
        // The placement service creates the kos topics before it starts its stream.
        placement = PlacementService.start(new PlacementConfig(kafka.bootstrapServers(), "gateway-test-placement", stateDir,
                Duration.ofMillis(50)), db, Topics.defaults());
        if (!GatewayHarness.await(Duration.ofSeconds(60), placement::isRunning)) {
            throw new IllegalStateException("placement service not running: " + placement.state());
        }
        startRelay();
        consumer = new KafkaConsumer<>(Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed"), new StringDeserializer(), new ByteArrayDeserializer());
        List<TopicPartition> partitions = new ArrayList<>();
        consumer.partitionsFor(Topics.FILES).forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
        consumer.assign(partitions);
        consumer.seekToBeginning(partitions);
        reader = Thread.ofPlatform().name("test-event-reader").start(this::read);
    }

    private void read() {
        try {
            while (reading) {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                    envelopes.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>()).add(EventEnvelope.parseFrom(r.value()));
                    seen.computeIfAbsent(r.key(), k -> new CopyOnWriteArrayList<>())
                            .add(EventSerde.header(r.headers(), EventSerde.HEADER_EVENT_TYPE));
                }
            }
        } catch (WakeupException e) {
            // close() ends the loop
        } catch (InvalidProtocolBufferException e) {
            throw new IllegalStateException("an event on the files topic that is no envelope", e);
        } finally {
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(2)));
        }
    }

    /** The file's event types in the order Kafka delivered them so far. */
    List<String> published(UUID fileId) {
        return List.copyOf(seen.getOrDefault(fileId.toString(), List.of()));
    }

    /** The file's events as Kafka delivered them so far. */
    List<EventEnvelope> envelopes(UUID fileId) {
        return List.copyOf(envelopes.getOrDefault(fileId.toString(), List.of()));
    }

    /** Waits until the file's events on Kafka end with {@code lastType}, and returns them all. */
    List<String> awaitPublished(UUID fileId, String lastType) {
        GatewayHarness.await(Duration.ofSeconds(20), () -> {
            List<String> types = published(fileId);
            return !types.isEmpty() && types.getLast().equals(lastType);
        });
        return published(fileId);
    }

    OutboxRelay relay() {
        return relay;
    }

    void startRelay() {
        relay = OutboxRelay.start(db, kafka.bootstrapServers(), new OutboxRelay.Options(Duration.ofMillis(20), 500, Duration.ofSeconds(1)));
    }

    /** Stops publishing: committed events stay in the outbox, as after a crash before the publish. */
    void stopRelay() {
        relay.close();
    }

    @Override
    public void close() {
        reading = false;
        consumer.wakeup();
        try {
            reader.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        placement.close();
        relay.close();
        kafka.close();
    }
}
