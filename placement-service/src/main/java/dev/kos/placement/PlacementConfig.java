package dev.kos.placement;

import dev.kos.config.Settings;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Settings of the placement service.
 *
 * <table>
 *   <caption>Settings (flag / environment / default)</caption>
 *   <tr><td>--kafka-bootstrap / KOS_KAFKA_BOOTSTRAP</td><td>localhost:9092</td><td>the Kafka cluster</td></tr>
 *   <tr><td>--placement-application-id / KOS_PLACEMENT_APPLICATION_ID</td><td>kos-placement</td>
 *       <td>Kafka Streams application id (consumer group, internal topic prefix)</td></tr>
 *   <tr><td>--placement-state-dir / KOS_PLACEMENT_STATE_DIR</td><td>./data/placement</td><td>Kafka Streams state: task locks and checkpoints (the upload progress store is in memory, restored from its changelog)</td></tr>
 *   <tr><td>--placement-commit-interval / KOS_PLACEMENT_COMMIT_INTERVAL</td><td>1s</td>
 *       <td>how often offsets and state commit (exactly-once transactions). Completion does not wait
 *       for it: the finalizing PostgreSQL transaction commits (and notifies the gateway) while the
 *       event is processed. It only bounds what a crashed instance replays (idempotently). Each
 *       commit is a Kafka transaction per stream thread (add-partitions, offsets, end, markers):
 *       at 100ms they were about half of the broker's CPU under small uploads</td></tr>
 *   <tr><td>--placement-stream-threads / KOS_PLACEMENT_STREAM_THREADS</td><td>3</td>
 *       <td>stream threads; each finalizes its partitions of the files topic in order, and several
 *       overlap their PostgreSQL commits (measured: one thread queued completions behind each other's
 *       fsync under 8 concurrent uploads); more than the files topic's partitions would idle. The
 *       local stack runs one: on one machine with a local PostgreSQL three settled a file only ~1.5 ms
 *       sooner for ~0.4 CPU-ms more per upload (see LocalStack)</td></tr>
 *   <tr><td>--placement-health-port / KOS_PLACEMENT_HEALTH_PORT</td><td>8091</td>
 *       <td>GET /health: finalizer state and stream threads, outbox relay, rebalance progress; GET /metrics on the
 *       same port: those and the process, the metadata pool, in Prometheus' text format (0 picks a free port)</td></tr>
 *   <tr><td>db.* , events.*</td><td></td><td>see Database and OutboxRelay</td></tr>
 * </table>
 */
public record PlacementConfig(String bootstrapServers, String applicationId, Path stateDir, Duration commitInterval,
                              int healthPort, int streamThreads) {
    public static final int DEFAULT_STREAM_THREADS = 3;
    public static final Duration DEFAULT_COMMIT_INTERVAL = Duration.ofSeconds(1);

    public PlacementConfig {
        if (streamThreads < 1) {
            throw new IllegalArgumentException("placement.stream-threads must be >= 1, was " + streamThreads);
        }
    }

    /** Without a health endpoint port: tests that run the service in-process. */
    public PlacementConfig(String bootstrapServers, String applicationId, Path stateDir, Duration commitInterval) {
        this(bootstrapServers, applicationId, stateDir, commitInterval, 0, DEFAULT_STREAM_THREADS);
    }

    public static PlacementConfig fromSettings(Settings s) {
        return new PlacementConfig(
                s.string("kafka.bootstrap", "localhost:9092"),
                s.string("placement.application-id", "kos-placement"),
                Path.of(s.string("placement.state-dir", "./data/placement")),
                s.duration("placement.commit-interval", DEFAULT_COMMIT_INTERVAL),
                s.integer("placement.health-port", 8091),
                s.integer("placement.stream-threads", DEFAULT_STREAM_THREADS));
    }
}
