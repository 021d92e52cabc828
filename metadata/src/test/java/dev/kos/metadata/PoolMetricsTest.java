package dev.kos.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metrics.MetricRegistry;
import dev.kos.testkit.Metrics;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pool's metrics on a real pool over the embedded PostgreSQL. */
class PoolMetricsTest {
    static Database db;
    static final MetricRegistry registry = new MetricRegistry();

    @BeforeAll
    static void start() {
        db = TestDb.start(4);
        // After the pool started and served Flyway, as in every service: the tracker is set on a running pool.
        PoolMetrics.register(registry, db);
    }

    @AfterAll
    static void stop() {
        db.close();
    }

    @Test
    void aTransactionsCheckoutIsTimedAndTheConnectionsAreReported() {
        double waitsBefore = samples().get("kos_db_pool_wait_seconds_count");
        db.inTransaction(c -> c.isValid(1));
        db.inTransaction(c -> c.isValid(1));

        Map<String, Double> s = samples();
        assertEquals(waitsBefore + 2, s.get("kos_db_pool_wait_seconds_count"), s::toString);
        assertEquals(s.get("kos_db_pool_wait_seconds_count"), s.get("kos_db_pool_wait_seconds_bucket{le=\"+Inf\"}"));
        assertTrue(s.get("kos_db_pool_wait_seconds_sum") >= 0, s::toString);
        assertEquals(0.0, s.get("kos_db_pool_connections{state=\"active\"}"), "both transactions returned their connection");
        assertTrue(s.get("kos_db_pool_connections{state=\"idle\"}") >= 1, s::toString);
        assertEquals(4.0, s.get("kos_db_pool_max_connections"));
        assertEquals(0.0, s.get("kos_db_pool_pending_threads"));
        assertEquals(0.0, s.get("kos_db_pool_timeouts_total"));
    }

    @Test
    void aConnectionInUseIsActive() throws Exception {
        try (var held = db.dataSource().getConnection()) {
            assertTrue(held.isValid(1));
            assertEquals(1.0, samples().get("kos_db_pool_connections{state=\"active\"}"));
        }
    }

    private static Map<String, Double> samples() {
        return Metrics.parse(registry.scrape());
    }
}
