package dev.kos.placement;

import dev.kos.events.Events;
import dev.kos.events.Topics;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.LogAndContinueExceptionHandler;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import dev.kos.metadata.Database;

/**
 * The running placement service: a Kafka Streams application that finalizes uploads.
 *
 * <p>Exactly-once processing keeps the progress store and the consumed offsets in step; the
 * database effect is idempotent on its own, so a crash between the effect and the commit only
 * repeats a harmless check. A processing error (the database down, say) replaces the stream
 * thread, which resumes from the last committed offset: the event is retried, never skipped.
 */
public final class PlacementService implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(PlacementService.class.getName());
    static final String PRODUCER = "placement-service";

    /**
     * How the finalizer's sessions plan their statements: once, generically. Every statement they
     * run finds a file or its chunks by key, so one plan serves any parameters. Left to choose,
     * PostgreSQL plans a prepared statement for its parameters five times, then uses a generic plan
     * while that one's estimated cost is below the custom plans' average (planning included). The
     * generic plan is rebuilt after each ANALYZE of its tables; one rebuilt on a transient table
     * state that costs it above that average sends the session back to planning every execution
     * for good, since the generic cost is never estimated again. Seen on fresh stacks under upload
     * load: the completing statement planned for every upload, ~0.3 PostgreSQL CPU-ms each
     * (bench/README).
     */
    static final String GENERIC_PLANS = "SET plan_cache_mode = force_generic_plan";

    private final KafkaStreams streams;
    private final Database finalizerSessions;

    private PlacementService(KafkaStreams streams, Database finalizerSessions) {
        this.streams = streams;
        this.finalizerSessions = finalizerSessions;
    }

    /** Creates the topics if needed and starts processing. */
    public static PlacementService start(PlacementConfig config, Database db, Topics topics) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers()))) {
            topics.ensureTopics(admin);
        }
        // One session per stream thread: each finalizes its partitions' uploads one at a time.
        Database finalizerSessions = db.sibling(db.poolName() + "-finalizer", config.streamThreads(), GENERIC_PLANS);
        try {
            UploadFinalizer finalizer = new MetadataFinalizer(finalizerSessions, new Events(PRODUCER));
            KafkaStreams streams = new KafkaStreams(PlacementTopology.build(finalizer), streamsConfig(config));
            streams.setUncaughtExceptionHandler(e -> {
                LOG.warning("stream thread failed, replacing it (the event will be retried): " + e);
                return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
            });
            streams.start();
            return new PlacementService(streams, finalizerSessions);
        } catch (RuntimeException e) {
            finalizerSessions.close();
            throw e;
        }
    }

    static Properties streamsConfig(PlacementConfig config) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, config.applicationId());
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
        p.put(StreamsConfig.STATE_DIR_CONFIG, config.stateDir().toAbsolutePath().toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, (int) config.commitInterval().toMillis());
        // Finalizing waits on a PostgreSQL commit; with one thread, every partition's uploads queue
        // behind it. Per-partition order (all a file's events) holds with any thread count.
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, config.streamThreads());
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
        // An undecodable record cannot be finalized by retrying it; log it and go on.
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, LogAndContinueExceptionHandler.class);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Single-broker development clusters: internal topics cannot have more replicas than brokers.
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, -1);
        return p;
    }

    /** The pool the finalizer completes uploads on (its metrics; tests read its sessions). */
    Database finalizerSessions() {
        return finalizerSessions;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    /** Stream threads running in this instance (each finalizes its own partitions). */
    public int streamThreads() {
        return streams.metadataForLocalThreads().size();
    }

    public boolean isRunning() {
        return streams.state() == KafkaStreams.State.RUNNING;
    }

    @Override
    public void close() {
        // Leave the consumer group now rather than after the session timeout: the other
        // instances take over this one's partitions at once, and an operator can reset the
        // group's offsets (a replay) as soon as every instance has stopped.
        streams.close(CloseOptions.timeout(Duration.ofSeconds(30))
                .withGroupMembershipOperation(CloseOptions.GroupMembershipOperation.LEAVE_GROUP));
        finalizerSessions.close();
    }
}
