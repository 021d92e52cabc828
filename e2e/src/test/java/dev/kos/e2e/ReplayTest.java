package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.events.ReplayCommand;
import dev.kos.events.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The operator's replay (docs/operations.md) on a real stack: after uploads, a failed upload and
 * deletes have settled, both consumers of the files topic (the placement service and the cleanup
 * worker) are stopped, their groups are reset to the beginning with ReplayCommand, and they are
 * started again. Once they have consumed everything a second time, metadata is the same row for
 * row, every node holds the same chunks, and no new event was produced.
 */
@Timeout(300)
class ReplayTest {
    private static final long MIB = 1L << 20;
    private static final List<String> GROUPS = List.of("kos-placement", "kos-cleanup");
    private static TestStack s;
    private static Admin admin;

    @BeforeAll
    static void start() {
        s = TestStack.start("replay", Map.of(
                "KOS_GATEWAY_CHUNK_SIZE", String.valueOf(MIB),
                "KOS_CLEANUP_REAP_INTERVAL", "1s"));
        admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, s.stack.kafkaBootstrap()));
    }

    @AfterAll
    static void stop() {
        if (admin != null) {
            admin.close();
        }
        if (s != null) {
            s.close();
        }
    }

    @Test
    void replayingTheFilesTopicThroughPlacementAndCleanupChangesNothing() throws Exception {
        List<UUID> kept = new ArrayList<>();
        List<UUID> deleted = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            KosClient.Response r = s.client.upload(KosClient.uniqueName("replay-" + i), SeededData.of(700 + i, 3 * MIB + i));
            assertEquals(201, r.status(), r::toString);
            (i % 3 == 0 ? deleted : kept).add(KosClient.id(r));
        }
        for (UUID id : deleted) {
            assertEquals(202, s.client.delete(id).status());
        }
        for (UUID id : deleted) {
            Poll.until(Duration.ofSeconds(60), () -> s.db.fileStatus(id).orElse("").equals("deleted") && s.chunkFilesOnDisk(id).isEmpty(),
                    "file " + id + " deleted with its chunks");
        }
        Poll.until(Duration.ofSeconds(60), ReplayTest::settled, "outbox drained and both groups caught up");

        Map<String, List<String>> metadataBefore = metadata();
        Map<String, Long> inventoryBefore = inventory();
        Map<TopicPartition, Long> endsBefore = endOffsets();
        assertTrue(inventoryBefore.size() >= kept.size() * 3, "the kept files' chunks are on disk: " + inventoryBefore.size());

        // The procedure of docs/operations.md: stop the consumers, reset their groups, start them.
        s.stack.stop("placement");
        s.stack.stop("cleanup");
        for (String group : GROUPS) {
            // A stopped Kafka Streams member may linger until its session times out: ReplayCommand
            // refuses a group with members, so retry until it is empty.
            Poll.until(Duration.ofSeconds(90), () -> {
                try {
                    ReplayCommand.Plan plan = ReplayCommand.plan(admin, new ReplayCommand.Request(group, Topics.FILES,
                            new ReplayCommand.Beginning(), Set.of(), false));
                    ReplayCommand.apply(admin, plan);
                    return true;
                } catch (ReplayCommand.GroupActiveException stillActive) {
                    return false;
                }
            }, "group " + group + " reset to the beginning");
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get();
            assertTrue(committed.values().stream().allMatch(o -> o.offset() == 0), group + " not at the beginning: " + committed);
        }
        s.stack.restart("placement");
        s.stack.restart("cleanup");
        Poll.until(Duration.ofSeconds(120), ReplayTest::settled, "both groups consumed the whole topic again");

        assertEquals(endsBefore, endOffsets(), "the replay produced new events");
        assertEquals(metadataBefore, metadata(), "metadata changed under replay");
        assertEquals(inventoryBefore, inventory(), "chunks on the nodes' disks changed under replay");
        for (UUID id : kept) {
            assertEquals(200, s.client.download(id).status());
        }
    }

    /** Nothing waits in the outbox and both groups have committed the end of the files topic. */
    private static boolean settled() {
        long outbox = s.stack.database().withConnection(c -> {
            try (ResultSet rs = c.createStatement().executeQuery("SELECT count(*) FROM outbox")) {
                rs.next();
                return rs.getLong(1);
            }
        });
        if (outbox > 0) {
            return false;
        }
        Map<TopicPartition, Long> ends = endOffsets();
        for (String group : GROUPS) {
            try {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                        .partitionsToOffsetAndMetadata().get();
                for (Map.Entry<TopicPartition, Long> end : ends.entrySet()) {
                    OffsetAndMetadata c = committed.get(end.getKey());
                    if (end.getValue() > 0 && (c == null || c.offset() < end.getValue())) {
                        return false;
                    }
                }
            } catch (Exception e) {
                return false;
            }
        }
        return true;
    }

    private static Map<TopicPartition, Long> endOffsets() {
        try {
            int partitions = admin.describeTopics(List.of(Topics.FILES)).allTopicNames().get().get(Topics.FILES)
                    .partitions().size();
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                latest.put(new TopicPartition(Topics.FILES, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
            return ends;
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the files topic's end offsets", e);
        }
    }

    /** Every row of the tables the consumers write, each as one string, in a stable order. */
    private static Map<String, List<String>> metadata() {
        Map<String, List<String>> tables = new TreeMap<>();
        for (String q : List.of(
                "SELECT * FROM files ORDER BY file_id",
                "SELECT * FROM chunks ORDER BY chunk_id",
                "SELECT * FROM chunk_locations ORDER BY chunk_id, node_id",
                "SELECT * FROM upload_sessions ORDER BY file_id",
                "SELECT consumer, count(*) FROM processed_events GROUP BY consumer ORDER BY consumer")) {
            tables.put(q, s.stack.database().withConnection(c -> {
                List<String> rows = new ArrayList<>();
                try (PreparedStatement ps = c.prepareStatement(q); ResultSet rs = ps.executeQuery()) {
                    ResultSetMetaData md = rs.getMetaData();
                    while (rs.next()) {
                        StringBuilder row = new StringBuilder();
                        for (int i = 1; i <= md.getColumnCount(); i++) {
                            row.append(md.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
                        }
                        rows.add(row.toString());
                    }
                }
                return rows;
            }));
        }
        return tables;
    }

    /** Every chunk file on every node's disk, with its size: chunk for chunk. */
    private static Map<String, Long> inventory() {
        Map<String, Long> chunks = new TreeMap<>();
        for (int i = 1; i <= TestStack.NODES; i++) {
            Path data = s.stack.nodeDataDir(i);
            try (Stream<Path> files = Files.walk(data)) {
                for (Path f : files.filter(Files::isRegularFile).toList()) {
                    String rel = data.relativize(f).toString();
                    // Only chunk files, <2 chars>/<chunk id>: not the lock file or temp files.
                    if (rel.matches("[A-Za-z0-9_-]{2}/[A-Za-z0-9_-]+")) {
                        chunks.put("node-" + i + "/" + rel, Files.size(f));
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return chunks;
    }
}
