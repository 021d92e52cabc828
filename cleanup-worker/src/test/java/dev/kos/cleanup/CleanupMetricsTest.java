package dev.kos.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Settings;
import dev.kos.metrics.MetricsServer;
import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The worker's metrics served over HTTP as Main serves them, after real rounds on a real node. */
class CleanupMetricsTest {
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static TestClock clock = new TestClock();
    static CleanupWorker worker;
    static MetricsServer server;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("metrics-a");
        worker = h.worker(h.config("cleanup-metrics"), clock);
        server = MetricsServer.start("127.0.0.1", 0, CleanupMetrics.of(h.db, h.relay(), worker));
    }

    @AfterAll
    static void stop() {
        if (server != null) {
            server.close();
        }
        if (h != null) {
            h.close();
        }
    }

    @Test
    void whatTheWorkerDidIsCounted() throws Exception {
        Map<String, Double> before = scrape();
        assertEquals(0.0, before.get("kos_cleanup_sessions_expired_total"));
        for (String loop : new String[] {"reap", "expire", "orphan", "prune"}) {
            assertEquals(0.0, before.get("kos_cleanup_rounds_total{loop=\"" + loop + "\"}"), "the loops wait an hour here");
            assertEquals(0.0, before.get("kos_cleanup_round_failures_total{loop=\"" + loop + "\"}"));
        }

        String orphan = h.putChunk("metrics-orphan", 0, a).chunkId();
        UUID abandoned = h.uploading("abandoned.bin", 3, a);
        h.ageSession(abandoned, Duration.ofHours(26), Duration.ofHours(25), Duration.ofHours(-1));
        assertEquals(1, worker.expireOnce());
        CleanupWorker.ReapRound round = worker.reapOnce();
        assertEquals(3, round.copiesRemoved(), round.toString());
        clock.set(Instant.now().plus(Duration.ofHours(2))); // the orphan is past its grace
        assertEquals(1, worker.collectOrphansOnce());
        assertFalse(h.listed(a).contains(orphan));
        h.processedAgo("cleanup-metrics-old", CleanupConfig.defaults("unused:1").processedRetention().plusDays(1));
        assertEquals(1, worker.pruneProcessedOnce());

        Map<String, Double> s = scrape();
        assertEquals(1.0, s.get("kos_cleanup_sessions_expired_total"));
        assertEquals(3.0, s.get("kos_cleanup_chunk_copies_deleted_total"));
        assertEquals(1.0, s.get("kos_cleanup_files_deleted_total"));
        assertEquals(1.0, s.get("kos_cleanup_orphans_deleted_total"));
        assertEquals(1.0, s.get("kos_cleanup_processed_events_pruned_total"));
        assertTrue(s.get("kos_db_pool_wait_seconds_count{pool=\"cleanup-test\"}") > 0, "the pool's checkouts were timed");
        assertTrue(s.containsKey("kos_db_pool_connections{pool=\"cleanup-test\",state=\"idle\"}"), s::toString);
        assertTrue(s.get("jvm_threads_live") > 0);
        // The upload's own events go through the relay to the worker's consumer (passed over, no effect).
        h.awaitConsumed("cleanup-metrics");
        Map<String, Double> published = Poll.until(Duration.ofSeconds(30), "the relay's sends counted", CleanupMetricsTest::scrape,
                m -> m.get("kos_outbox_published_total") > 0);
        assertEquals(0.0, published.get("kos_outbox_lag_seconds"), published::toString);
        assertEquals(0.0, published.get("kos_cleanup_event_failures_total"));
    }

    /** The loops' rounds and failures, counted where the loops run them. */
    @Test
    void roundsAndFailuresAreCountedPerLoop() {
        AtomicInteger runs = new AtomicInteger();
        try (Rounds rounds = new Rounds(2)) {
            rounds.every("fine", Duration.ofMillis(5), runs::incrementAndGet);
            rounds.every("broken", Duration.ofMillis(5), () -> {
                throw new IllegalStateException("the database is down");
            });
            Poll.until(Duration.ofSeconds(10), () -> runs.get() >= 3 && rounds.counts().get(1).failures().sum() >= 3,
                    "both loops ran a few rounds");
            Rounds.Counts fine = rounds.counts().get(0);
            Rounds.Counts broken = rounds.counts().get(1);
            assertEquals("fine", fine.loop());
            assertEquals(0, fine.failures().sum());
            assertTrue(fine.rounds().sum() >= 3);
            assertEquals("broken", broken.loop());
            assertTrue(broken.rounds().sum() >= broken.failures().sum());
        }
    }

    @Test
    void theMetricsPortSetting() {
        assertEquals(9465, CleanupConfig.metricsPort(Settings.of(new String[0], Map.of())));
        assertEquals(0, CleanupConfig.metricsPort(Settings.of(new String[] {"--cleanup-metrics-port=0"}, Map.of())));
        assertEquals(-1, CleanupConfig.metricsPort(Settings.of(new String[0], Map.of("KOS_CLEANUP_METRICS_PORT", "-1"))));
        assertThrows(IllegalArgumentException.class,
                () -> CleanupConfig.metricsPort(Settings.of(new String[] {"--cleanup-metrics-port=70000"}, Map.of())));
    }

    private static Map<String, Double> scrape() {
        return Metrics.scrape(URI.create("http://127.0.0.1:" + server.port() + "/metrics"));
    }
}
