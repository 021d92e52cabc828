package dev.kos.events;

import dev.kos.metadata.Database;
import dev.kos.schemas.events.v1.EventEnvelope;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Logger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RecordDeserializationException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * A plain, idempotent Kafka consumer loop on one background thread.
 *
 * <p>Each event runs in one database transaction together with
 * {@link ProcessedEvents#markProcessed}: a replayed event is recognised and its effect skipped.
 * Offsets are committed only after those transactions committed (at most {@link #COMMIT_EVERY}
 * later, and on close), so a crash re-delivers (and de-duplicates) rather than loses. A failing effect is retried with backoff from that record,
 * never skipped, so one key's events are applied in order. Records that are not kos envelopes
 * and envelopes with a payload this build does not know (a newer producer) are skipped with a
 * log line, as the event contract asks.
 *
 * <p>A handler may declare the payload types it acts on ({@link Handler#actsOn}); events of
 * other types are passed over without a transaction and without a processed_events row (their
 * offsets still commit). On the files topic most events (upload started, chunk stored, sealed,
 * completed) concern no cleanup, and a transaction each cost PostgreSQL a commit with a WAL
 * flush and the table a row per event. Replays stay idempotent: a passed-over event has no
 * effect whichever time it is delivered, and an acted-on one is still de-duplicated.
 *
 * <p>Effects are background work, on no request's path: an event reaches the handler up to
 * {@link #FETCH_MAX_WAIT} after it was published, because the broker batches fetches.
 */
public final class EventConsumerLoop implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(EventConsumerLoop.class.getName());
    private static final Duration POLL = Duration.ofMillis(200);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(5);
    /** Longest time applied offsets wait before they are committed (they also commit on close). */
    static final Duration COMMIT_EVERY = Duration.ofSeconds(1);
    /** Longest time the broker holds a fetch to gather {@link #FETCH_MIN_BYTES}: an effect's added delay. */
    static final Duration FETCH_MAX_WAIT = Duration.ofMillis(500);
    static final int FETCH_MIN_BYTES = 64 * 1024;
    private static final Duration COMMIT_ON_CLOSE_TIMEOUT = Duration.ofSeconds(5);

    /** The effect of one event, run in the transaction that also marks it processed. */
    @FunctionalInterface
    public interface Handler {
        void handle(Connection c, EventEnvelope event) throws SQLException;

        /**
         * Whether events of this payload type can have an effect. False means the loop passes
         * them over without a transaction, so only answer false for types {@link #handle}
         * ignores whatever their content.
         */
        default boolean actsOn(EventEnvelope.PayloadCase type) {
            return true;
        }

        /** A handler that acts on the given payload types only. */
        static Handler onlyFor(Set<EventEnvelope.PayloadCase> types, Handler effect) {
            Set<EventEnvelope.PayloadCase> acted = Set.copyOf(types);
            if (acted.isEmpty()) {
                throw new IllegalArgumentException("a handler must act on at least one payload type");
            }
            return new Handler() {
                @Override
                public void handle(Connection c, EventEnvelope event) throws SQLException {
                    effect.handle(c, event);
                }

                @Override
                public boolean actsOn(EventEnvelope.PayloadCase type) {
                    return acted.contains(type);
                }
            };
        }
    }

    private final Database db;
    private final String name;
    private final Consumer<String, EventEnvelope> consumer;
    private final Handler handler;
    private final Thread thread;
    private final AtomicLong applied = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicLong passedOver = new AtomicLong();
    private volatile boolean running = true;

    private EventConsumerLoop(Database db, String name, Consumer<String, EventEnvelope> consumer, Handler handler) {
        this.db = db;
        this.name = name;
        this.consumer = consumer;
        this.handler = handler;
        this.thread = new Thread(this::run, "kos-consumer-" + name);
    }

    /**
     * Subscribes consumer group {@code name} to the topics and starts the loop. The name is also
     * the de-duplication key in processed_events, so keep it stable across versions.
     */
    public static EventConsumerLoop start(Database db, String bootstrapServers, String name, Collection<String> topics,
                                          Handler handler) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("a consumer loop needs a name (its consumer group)");
        }
        Map<String, Object> config = new HashMap<>();
        config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(ConsumerConfig.GROUP_ID_CONFIG, name);
        config.put(ConsumerConfig.CLIENT_ID_CONFIG, name);
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        // A new group starts from the beginning: replaying everything is safe and nothing is missed.
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 200);
        // Effects here are background work (cleanup, indexes), not on a request's path: let the
        // broker gather events for up to FETCH_MAX_WAIT instead of answering a fetch per event.
        // Under small uploads that was most of this consumer's CPU and a share of the broker's.
        config.put(ConsumerConfig.FETCH_MIN_BYTES_CONFIG, FETCH_MIN_BYTES);
        config.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, (int) FETCH_MAX_WAIT.toMillis());
        KafkaConsumer<String, EventEnvelope> consumer =
                new KafkaConsumer<>(config, new StringDeserializer(), new EventSerde().deserializer());
        consumer.subscribe(List.copyOf(topics));
        EventConsumerLoop loop = new EventConsumerLoop(db, name, consumer, handler);
        loop.thread.start();
        return loop;
    }

    /** Events whose effect ran (first deliveries; replays are not counted). */
    public long appliedCount() {
        return applied.get();
    }

    /** Events of payload types the handler does not act on, passed over without a transaction. */
    public long passedOverCount() {
        return passedOver.get();
    }

    /** Effects that failed and were retried. */
    public long failureCount() {
        return failures.get();
    }

    private void run() {
        Duration backoff = Duration.ZERO;
        Map<TopicPartition, OffsetAndMetadata> pending = new HashMap<>();
        long lastCommit = System.nanoTime();
        try {
            while (running) {
                ConsumerRecords<String, EventEnvelope> records;
                try {
                    records = consumer.poll(POLL);
                } catch (RecordDeserializationException e) {
                    LOG.warning("consumer " + name + ": skipping a record that is not a kos event at "
                            + e.topicPartition() + "@" + e.offset() + ": " + e.getMessage());
                    consumer.seek(e.topicPartition(), e.offset() + 1);
                    continue;
                }
                Map<TopicPartition, OffsetAndMetadata> done = new HashMap<>();
                try {
                    for (ConsumerRecord<String, EventEnvelope> r : records) {
                        apply(r);
                        done.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
                    }
                    backoff = Duration.ZERO;
                } catch (RuntimeException e) {
                    failures.incrementAndGet();
                    backoff = backoff.isZero() ? POLL : (backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2));
                    LOG.warning("consumer " + name + ": effect failed, retrying in " + backoff.toMillis() + " ms: " + e.getMessage());
                    rewind(records, done);
                    pause(backoff);
                }
                pending.putAll(done);
                // Every offset in pending is past an effect already committed in PostgreSQL, so
                // committing them late only means a crash re-delivers more (de-duplicated) events;
                // committing after every poll cost a broker round trip per few events.
                if (!pending.isEmpty() && System.nanoTime() - lastCommit >= COMMIT_EVERY.toNanos()) {
                    consumer.commitSync(pending);
                    pending.clear();
                    lastCommit = System.nanoTime();
                }
            }
        } catch (WakeupException e) {
            if (running) {
                throw e;
            }
        } finally {
            commitOnClose(pending);
            consumer.close();
        }
    }

    private void commitOnClose(Map<TopicPartition, OffsetAndMetadata> pending) {
        if (pending.isEmpty()) {
            return;
        }
        try {
            try {
                consumer.commitSync(pending, COMMIT_ON_CLOSE_TIMEOUT);
            } catch (WakeupException e) {
                // close()'s wakeup, not yet consumed by a poll, lands here; it is spent now.
                consumer.commitSync(pending, COMMIT_ON_CLOSE_TIMEOUT);
            }
        } catch (RuntimeException e) {
            // The effects are durable; without the commit the next owner re-delivers and de-duplicates them.
            LOG.warning("consumer " + name + ": offsets not committed on close (" + e.getMessage() + "); they will be replayed");
        }
    }

    private void apply(ConsumerRecord<String, EventEnvelope> r) {
        EventEnvelope e = r.value();
        if (e == null || e.getPayloadCase() == EventEnvelope.PayloadCase.PAYLOAD_NOT_SET) {
            LOG.fine(() -> "consumer " + name + ": skipping an event with no known payload at " + r.topic() + "-" + r.partition() + "@" + r.offset());
            return;
        }
        if (!handler.actsOn(e.getPayloadCase())) {
            passedOver.incrementAndGet();
            return;
        }
        UUID eventId;
        try {
            eventId = UUID.fromString(e.getEventId());
        } catch (IllegalArgumentException bad) {
            // Without an id it cannot be de-duplicated; retrying would block the partition forever.
            LOG.warning("consumer " + name + ": skipping an event without a valid event_id at " + r.topic() + "-"
                    + r.partition() + "@" + r.offset());
            return;
        }
        boolean first = db.inTransaction(c -> {
            if (!ProcessedEvents.markProcessed(c, name, eventId)) {
                return false;
            }
            handler.handle(c, e);
            return true;
        });
        if (first) {
            applied.incrementAndGet();
        }
    }

    /** Seeks every partition of the batch back to its first record not yet applied. */
    private void rewind(ConsumerRecords<String, EventEnvelope> records, Map<TopicPartition, OffsetAndMetadata> done) {
        for (TopicPartition tp : records.partitions()) {
            OffsetAndMetadata d = done.get(tp);
            long next = d != null ? d.offset() : records.records(tp).getFirst().offset();
            consumer.seek(tp, next);
        }
    }

    private void pause(Duration d) {
        long deadline = System.nanoTime() + d.toNanos();
        // Short steps so close() is not held up by a long backoff.
        while (running && System.nanoTime() < deadline) {
            LockSupport.parkNanos(Math.min(d.toNanos(), 50_000_000L));
        }
    }

    /** Stops the loop after the record in hand; its offsets are committed if applied. */
    @Override
    public void close() {
        running = false;
        consumer.wakeup();
        try {
            thread.join(10_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
