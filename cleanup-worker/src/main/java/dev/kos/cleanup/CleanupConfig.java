package dev.kos.cleanup;

import dev.kos.config.Settings;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of the cleanup worker.
 *
 * <table>
 *   <caption>Settings (flag / environment / default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>kafka.bootstrap</td><td>--kafka-bootstrap / KOS_KAFKA_BOOTSTRAP</td><td>localhost:9092</td>
 *       <td>the Kafka cluster</td></tr>
 *   <tr><td>cleanup.consumer-group</td><td>--cleanup-consumer-group / KOS_CLEANUP_CONSUMER_GROUP</td><td>kos-cleanup</td>
 *       <td>consumer group of kos.files.v1, also the de-duplication key in processed_events; keep it stable</td></tr>
 *   <tr><td>cleanup.reap-interval</td><td>--cleanup-reap-interval / KOS_CLEANUP_REAP_INTERVAL</td><td>2s</td>
 *       <td>pause between rounds that delete chunk copies marked deleting and finish deleted files</td></tr>
 *   <tr><td>cleanup.expire-interval</td><td>--cleanup-expire-interval / KOS_CLEANUP_EXPIRE_INTERVAL</td><td>30s</td>
 *       <td>pause between rounds that expire upload sessions past their expires_at (the TTL itself is the
 *       gateway's cleanup.session-ttl, which progress pushes forward)</td></tr>
 *   <tr><td>cleanup.orphan-interval</td><td>--cleanup-orphan-interval / KOS_CLEANUP_ORPHAN_INTERVAL</td><td>10m</td>
 *       <td>pause between walks of every active node's inventory</td></tr>
 *   <tr><td>cleanup.orphan-grace</td><td>--cleanup-orphan-grace / KOS_CLEANUP_ORPHAN_GRACE</td><td>1h</td>
 *       <td>an unknown chunk younger than this is left alone: its upload may not have committed its chunk row yet</td></tr>
 *   <tr><td>cleanup.batch-size</td><td>--cleanup-batch-size / KOS_CLEANUP_BATCH_SIZE</td><td>500</td>
 *       <td>rows per page (locations, files, sessions) and chunk ids per orphan lookup; bounds memory</td></tr>
 *   <tr><td>cleanup.node-deadline</td><td>--cleanup-node-deadline / KOS_CLEANUP_NODE_DEADLINE</td><td>10s</td>
 *       <td>deadline of one DeleteChunk; a node that misses it is skipped for the round</td></tr>
 *   <tr><td>cleanup.processed-events-retention</td><td>--cleanup-processed-events-retention /
 *       KOS_CLEANUP_PROCESSED_EVENTS_RETENTION</td><td>30d</td>
 *       <td>processed_events rows (the consumer's de-duplication) older than this are deleted, checked every
 *       hour; 0 keeps them forever. Safe at any age: a replayed event whose row is gone runs an effect that
 *       changes nothing (docs/operations.md, "Why replays are safe"); the table would otherwise grow by a row
 *       for every deletion request and aborted upload ever acted on</td></tr>
 *   <tr><td>cleanup.metrics-port</td><td>--cleanup-metrics-port / KOS_CLEANUP_METRICS_PORT</td><td>9465</td>
 *       <td>GET /metrics (Prometheus' text format) on every interface; 0 picks a free port, -1 serves none. Read by
 *       {@link Main} ({@link #metricsPort}), not part of this record: a worker started in code has no endpoint</td></tr>
 *   <tr><td>db.*, events.*</td><td colspan="3">see Database and OutboxRelay</td></tr>
 * </table>
 */
public record CleanupConfig(String bootstrapServers, String consumerGroup, Duration reapInterval, Duration expireInterval,
                            Duration orphanInterval, Duration orphanGrace, int batchSize, Duration nodeDeadline,
                            Duration processedRetention) {
    public static final String DEFAULT_GROUP = "kos-cleanup";
    public static final int DEFAULT_METRICS_PORT = 9465;

    public CleanupConfig {
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        if (bootstrapServers.isBlank()) {
            throw new IllegalArgumentException("cleanup needs kafka.bootstrap (host:port of the Kafka cluster)");
        }
        if (consumerGroup == null || consumerGroup.isBlank()) {
            throw new IllegalArgumentException("cleanup.consumer-group must not be blank");
        }
        requirePositive("cleanup.reap-interval", reapInterval);
        requirePositive("cleanup.expire-interval", expireInterval);
        requirePositive("cleanup.orphan-interval", orphanInterval);
        requirePositive("cleanup.node-deadline", nodeDeadline);
        if (orphanGrace == null || orphanGrace.isNegative()) {
            throw new IllegalArgumentException("cleanup.orphan-grace must be >= 0, got " + orphanGrace);
        }
        if (processedRetention == null || processedRetention.isNegative()) {
            throw new IllegalArgumentException("cleanup.processed-events-retention must be >= 0 (0: keep forever), got "
                    + processedRetention);
        }
        if (batchSize < 1 || batchSize > 10_000) {
            throw new IllegalArgumentException("cleanup.batch-size must be 1..10000, got " + batchSize);
        }
    }

    public static CleanupConfig defaults(String bootstrapServers) {
        return new CleanupConfig(bootstrapServers, DEFAULT_GROUP, Duration.ofSeconds(2), Duration.ofSeconds(30),
                Duration.ofMinutes(10), Duration.ofHours(1), 500, Duration.ofSeconds(10), Duration.ofDays(30));
    }

    public static CleanupConfig fromSettings(Settings s) {
        CleanupConfig d = defaults(s.string("kafka.bootstrap", "localhost:9092"));
        return new CleanupConfig(d.bootstrapServers(),
                s.string("cleanup.consumer-group", d.consumerGroup()),
                s.duration("cleanup.reap-interval", d.reapInterval()),
                s.duration("cleanup.expire-interval", d.expireInterval()),
                s.duration("cleanup.orphan-interval", d.orphanInterval()),
                s.duration("cleanup.orphan-grace", d.orphanGrace()),
                s.integer("cleanup.batch-size", d.batchSize()),
                s.duration("cleanup.node-deadline", d.nodeDeadline()),
                s.duration("cleanup.processed-events-retention", d.processedRetention()));
    }

    /** cleanup.metrics-port: where Main serves /metrics, 0 for any free port, -1 for no endpoint. */
    public static int metricsPort(Settings s) {
        int port = s.integer("cleanup.metrics-port", DEFAULT_METRICS_PORT);
        if (port < -1 || port > 65535) {
            throw new IllegalArgumentException("cleanup.metrics-port must be 0-65535 (or -1 for none), got " + port);
        }
        return port;
    }

    /** The same settings under another consumer group (a replay through a fresh group). */
    public CleanupConfig withConsumerGroup(String group) {
        return new CleanupConfig(bootstrapServers, group, reapInterval, expireInterval, orphanInterval, orphanGrace,
                batchSize, nodeDeadline, processedRetention);
    }

    /** The same settings with other loop intervals (tests drive rounds themselves). */
    public CleanupConfig withIntervals(Duration reap, Duration expire, Duration orphan) {
        return new CleanupConfig(bootstrapServers, consumerGroup, reap, expire, orphan, orphanGrace, batchSize, nodeDeadline,
                processedRetention);
    }

    public CleanupConfig withOrphanGrace(Duration grace) {
        return new CleanupConfig(bootstrapServers, consumerGroup, reapInterval, expireInterval, orphanInterval, grace,
                batchSize, nodeDeadline, processedRetention);
    }

    private static void requirePositive(String key, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException(key + " must be > 0, got " + d);
        }
    }
}
