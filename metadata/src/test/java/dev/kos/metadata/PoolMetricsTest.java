package dev.kos.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metrics.MetricRegistry;
import dev.kos.testkit.Metrics;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The pools' metrics on real pools over the embedded PostgreSQL: a process's pool and a sibling of it. */
class PoolMetricsTest {
    static Database db;
    static Database sibling;
    static final MetricRegistry registry = new MetricRegistry();

    @BeforeAll
    static void start() {
        db = TestDb.start(4);
        sibling = db.sibling("test-sibling", 2, null);
        // After the pool started and served Flyway, as in every service: the tracker is set on a running pool.
        PoolMetrics.register(registry, db, sibling);
    }

    @AfterAll
    static void stop() {
        sibling.close();
        db.close();
    }

    @Test
    void aTransactionsCheckoutIsTimedAndTheConnectionsAreReported() {
        double waitsBefore = samples().get("kos_db_pool_wait_seconds_count{pool=\"test\"}");
        double siblingWaitsBefore = samples().get("kos_db_pool_wait_seconds_count{pool=\"test-sibling\"}");
        db.inTransaction(c -> c.isValid(1));
        db.inTransaction(c -> c.isValid(1));
        sibling.inTransaction(c -> c.isValid(1));

        Map<String, Double> s = samples();
        assertEquals(waitsBefore + 2, s.get("kos_db_pool_wait_seconds_count{pool=\"test\"}"), s::toString);
        assertEquals(siblingWaitsBefore + 1, s.get("kos_db_pool_wait_seconds_count{pool=\"test-sibling\"}"), s::toString);
        assertEquals(s.get("kos_db_pool_wait_seconds_count{pool=\"test\"}"),
                s.get("kos_db_pool_wait_seconds_bucket{pool=\"test\",le=\"+Inf\"}"), s::toString);
        assertTrue(s.get("kos_db_pool_wait_seconds_sum{pool=\"test\"}") >= 0, s::toString);
        assertEquals(0.0, s.get("kos_db_pool_connections{pool=\"test\",state=\"active\"}"),
                "both transactions returned their connection");
        assertTrue(s.get("kos_db_pool_connections{pool=\"test\",state=\"idle\"}") >= 1, s::toString);
        assertEquals(4.0, s.get("kos_db_pool_max_connections{pool=\"test\"}"));
        assertEquals(2.0, s.get("kos_db_pool_max_connections{pool=\"test-sibling\"}"));
        assertEquals(0.0, s.get("kos_db_pool_pending_threads{pool=\"test\"}"));
        assertEquals(0.0, s.get("kos_db_pool_timeouts_total{pool=\"test\"}"));
        assertEquals(0.0, s.get("kos_db_pool_timeouts_total{pool=\"test-sibling\"}"));
    }

    @Test
    void aConnectionInUseIsActive() throws Exception {
        try (var held = db.dataSource().getConnection()) {
            assertTrue(held.isValid(1));
            assertEquals(1.0, samples().get("kos_db_pool_connections{pool=\"test\",state=\"active\"}"));
            assertEquals(0.0, samples().get("kos_db_pool_connections{pool=\"test-sibling\",state=\"active\"}"));
        }
    }

    private static Map<String, Double> samples() {
        return Metrics.parse(registry.scrape());
    }
}
