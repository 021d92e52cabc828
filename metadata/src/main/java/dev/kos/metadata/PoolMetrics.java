package dev.kos.metadata;

import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import dev.kos.metrics.Counter;
import dev.kos.metrics.Histogram;
import dev.kos.metrics.MetricRegistry;

/**
 * A process's metadata connection pool as metrics: connections by state, threads waiting for
 * one, and how long a checkout waited. The wait is what a request sees when the pool is too small
 * or PostgreSQL too slow, before any query runs.
 */
public final class PoolMetrics {
    /** A checkout waits microseconds when a connection is idle; the upper buckets are queueing. */
    private static final double[] WAIT_SECONDS = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

    private PoolMetrics() {
    }

    public static void register(MetricRegistry registry, Database db) {
        HikariPoolMXBean pool = db.pool().getHikariPoolMXBean();
        registry.samples("kos_db_pool_connections", "Metadata pool connections by state.", MetricRegistry.Type.GAUGE,
                java.util.List.of("state"), s -> {
                    s.add(pool.getActiveConnections(), "active");
                    s.add(pool.getIdleConnections(), "idle");
                });
        registry.gauge("kos_db_pool_max_connections", "The metadata pool's size limit.", () -> db.pool().getMaximumPoolSize());
        registry.gauge("kos_db_pool_pending_threads", "Threads waiting for a metadata connection.", pool::getThreadsAwaitingConnection);
        Histogram wait = registry.histogram("kos_db_pool_wait_seconds", "How long a metadata connection checkout waited.", WAIT_SECONDS);
        Counter timeouts = registry.counter("kos_db_pool_timeouts_total", "Checkouts that gave up waiting for a connection.");
        db.pool().setMetricsTrackerFactory((poolName, stats) -> new Tracker(wait, timeouts));
    }

    private record Tracker(Histogram waits, Counter timeouts) implements IMetricsTracker {
        @Override
        public void recordConnectionAcquiredNanos(long elapsedAcquiredNanos) {
            waits.observeNanos(elapsedAcquiredNanos);
        }

        @Override
        public void recordConnectionTimeout() {
            timeouts.inc();
        }
    }
}
