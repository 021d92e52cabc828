package dev.kos.events;

import dev.kos.config.Settings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Logger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;

/**
 * The kos topics and their configuration, in one place.
 *
 * <table>
 *   <caption>Settings (flag, environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>events.files-partitions</td><td>--events-files-partitions / KOS_EVENTS_FILES_PARTITIONS</td><td>6</td>
 *       <td>partitions of {@value #FILES}; consumers scale up to this many instances</td></tr>
 *   <tr><td>events.nodes-partitions</td><td>--events-nodes-partitions / KOS_EVENTS_NODES_PARTITIONS</td><td>1</td>
 *       <td>partitions of {@value #NODES}; one keeps membership and ring events totally ordered</td></tr>
 *   <tr><td>events.replication-factor</td><td>--events-replication-factor / KOS_EVENTS_REPLICATION_FACTOR</td><td>1</td>
 *       <td>replicas per partition; use 3 on a real cluster (min ISR becomes 2)</td></tr>
 * </table>
 *
 * <p>Both topics keep every record forever (retention.ms = -1, cleanup.policy = delete). Replaying
 * from offset 0 is how a new or broken consumer rebuilds its state and how metadata is recovered,
 * so a time- or size-based retention would silently make replays incomplete. Compaction is no
 * substitute: it keeps only the last record per key, i.e. one event per file, and a replay needs
 * every chunk_stored of a file. The volume is small (tens of events per file, none per byte).
 * Partitions can be added later but that moves keys between partitions, so pick the count
 * once per cluster.
 */
public final class Topics {
    /** All file and chunk events; key = file id. */
    public static final String FILES = "kos.files.v1";
    /** Node joined / left and ring changed; key = node id, or {@link #RING_KEY}. */
    public static final String NODES = "kos.nodes.v1";
    /** The record key of ring_changed events on {@link #NODES}. */
    public static final String RING_KEY = "ring";

    private static final Logger LOG = Logger.getLogger(Topics.class.getName());

    private final int filesPartitions;
    private final int nodesPartitions;
    private final short replicationFactor;

    public Topics(int filesPartitions, int nodesPartitions, short replicationFactor) {
        if (filesPartitions < 1 || nodesPartitions < 1 || replicationFactor < 1) {
            throw new IllegalArgumentException("topic partitions and replication factor must be >= 1, got files="
                    + filesPartitions + " nodes=" + nodesPartitions + " replication=" + replicationFactor);
        }
        this.filesPartitions = filesPartitions;
        this.nodesPartitions = nodesPartitions;
        this.replicationFactor = replicationFactor;
    }

    /** 6 file partitions, 1 node partition, replication factor 1 (the embedded broker). */
    public static Topics defaults() {
        return new Topics(6, 1, (short) 1);
    }

    public static Topics fromSettings(Settings settings) {
        return new Topics(settings.integer("events.files-partitions", 6),
                settings.integer("events.nodes-partitions", 1),
                (short) settings.integer("events.replication-factor", 1));
    }

    /** The topic an event type is published to. */
    public static String topicFor(EventType type) {
        return type.subject() == EventType.Subject.FILE ? FILES : NODES;
    }

    public List<NewTopic> newTopics() {
        return List.of(topic(FILES, filesPartitions), topic(NODES, nodesPartitions));
    }

    private NewTopic topic(String name, int partitions) {
        return new NewTopic(name, partitions, replicationFactor).configs(Map.of(
                TopicConfig.RETENTION_MS_CONFIG, "-1",
                TopicConfig.RETENTION_BYTES_CONFIG, "-1",
                TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
                // With 3 replicas, an acked event survives the loss of one broker.
                TopicConfig.MIN_IN_SYNC_REPLICAS_CONFIG, replicationFactor >= 3 ? "2" : "1"));
    }

    /**
     * Creates the topics that do not exist yet; existing ones are left as they are (a changed
     * partition count is not applied, since that would move keys). Safe to call from every
     * process on every start, concurrently.
     */
    public void ensureTopics(Admin admin) {
        try {
            Set<String> existing = admin.listTopics().names().get(30, TimeUnit.SECONDS);
            List<NewTopic> missing = new ArrayList<>();
            for (NewTopic t : newTopics()) {
                if (!existing.contains(t.name())) {
                    missing.add(t);
                }
            }
            if (missing.isEmpty()) {
                return;
            }
            for (var e : admin.createTopics(missing).values().entrySet()) {
                try {
                    e.getValue().get(30, TimeUnit.SECONDS);
                    LOG.info(() -> "created topic " + e.getKey());
                } catch (ExecutionException ex) {
                    // Another process created it between our list and our create: fine.
                    if (!(ex.getCause() instanceof TopicExistsException)) {
                        throw ex;
                    }
                }
            }
        } catch (ExecutionException e) {
            throw new EventsException("cannot create kos topics: " + e.getCause().getMessage(), e.getCause());
        } catch (TimeoutException e) {
            throw new EventsException("cannot create kos topics: Kafka did not answer within 30 s", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EventsException("interrupted while creating kos topics", e);
        }
    }
}
