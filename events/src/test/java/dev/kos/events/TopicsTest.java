package dev.kos.events;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.kos.config.Logging;
import dev.kos.embeddedkafka.EmbeddedKafkaBroker;
import dev.kos.metadata.Database;
import dev.kos.schemas.events.v1.ChunkStored;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/** A relay on a fresh broker creates the kos topics with their partitions and retention. */
class TopicsTest {
    @Test
    void theRelayCreatesTheTopicsWithInfiniteRetentionBeforeItsFirstPublish() throws Exception {
        Logging.configure("test");
        try (EmbeddedKafkaBroker kafka = EmbeddedKafkaBroker.start(null, 0);
             Database db = Database.embedded(null, 4, "t");
             Admin admin = Admin.create(Map.of("bootstrap.servers", kafka.bootstrapServers()))) {
            db.migrate();
            UUID file = UUID.randomUUID();
            db.inTransaction(c -> {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO files (file_id, name, content_type, status, chunk_size) "
                        + "VALUES (?, 'f', 'text/plain', 'uploading', 1024)")) {
                    ps.setObject(1, file);
                    ps.executeUpdate();
                }
                return OutboxWriter.append(c, new Events("t").chunkStored(file, ChunkStored.getDefaultInstance()));
            });
            OutboxRelay.Options options = new OutboxRelay.Options(Duration.ofMillis(50), 10, Duration.ofMillis(500),
                    Duration.ZERO, new Topics(4, 1, (short) 1));
            try (OutboxRelay relay = OutboxRelay.start(db, kafka.bootstrapServers(), options)) {
                Poll.until(Duration.ofSeconds(30), () -> relay.publishedCount() == 1, "the first publish");
            }
            Map<String, TopicDescription> topics = admin.describeTopics(Set.of(Topics.FILES, Topics.NODES)).allTopicNames().get();
            assertEquals(4, topics.get(Topics.FILES).partitions().size());
            assertEquals(1, topics.get(Topics.NODES).partitions().size());
            ConfigResource files = new ConfigResource(ConfigResource.Type.TOPIC, Topics.FILES);
            Config config = admin.describeConfigs(List.of(files)).all().get().get(files);
            assertEquals("-1", config.get("retention.ms").value());
            assertEquals("delete", config.get("cleanup.policy").value());

            new Topics(12, 3, (short) 1).ensureTopics(admin); // existing topics are left alone
            assertEquals(4, admin.describeTopics(Set.of(Topics.FILES)).allTopicNames().get().get(Topics.FILES).partitions().size());
        }
        assertThrows(IllegalArgumentException.class, () -> new Topics(0, 1, (short) 1));
    }
}
