package dev.kos.metadata;

import com.zaxxer.hikari.HikariPoolMXBean;
import com.zaxxer.hikari.metrics.IMetricsTracker;
import dev.kos.metrics.Counter;
import dev.kos.metrics.Family;
import dev.kos.metrics.Histogram;
import dev.kos.metrics.MetricRegistry;
import java.util.List;

/**
 * A process's metadata connection pools as metrics, each labelled with its pool's name:
 * connections by state, threads waiting for one, and how long a checkout waited. The wait is what
 * a request sees when the pool is too small or PostgreSQL too slow, before any query runs.
 */
public final class PoolMetrics {
    /** A checkout waits microseconds when a connection is idle; the upper buckets are queueing. */
    private static final double[] WAIT_SECONDS = {0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10};

    private PoolMetrics() {
    }

    /** Registers the process's pools, once per registry; HikariCP takes one metrics tracker per pool. */
    public static void register(MetricRegistry registry, Database... pools) {
        List<Database> all = List.of(pools);
        registry.samples("kos_db_pool_connections", "Metadata pool connections by state.", MetricRegistry.Type.GAUGE,
                List.of("pool", "state"), s -> all.forEach(db -> {
                    HikariPoolMXBean pool = db.pool().getHikariPoolMXBean();
                    s.add(pool.getActiveConnections(), db.poolName(), "active");
                    s.add(pool.getIdleConnections(), db.poolName(), "idle");
                }));
        registry.samples("kos_db_pool_max_connections", "The metadata pool's size limit.", MetricRegistry.Type.GAUGE,
                List.of("pool"), s -> all.forEach(db -> s.add(db.pool().getMaximumPoolSize(), db.poolName())));
        registry.samples("kos_db_pool_pending_threads", "Threads waiting for a metadata connection.", MetricRegistry.Type.GAUGE,
                List.of("pool"), s -> all.forEach(db -> s.add(db.pool().getHikariPoolMXBean().getThreadsAwaitingConnection(),
                        db.poolName())));
        Family<Histogram> wait = registry.histogram("kos_db_pool_wait_seconds", "How long a metadata connection checkout waited.",
                WAIT_SECONDS, "pool");
        Family<Counter> timeouts = registry.counter("kos_db_pool_timeouts_total", "Checkouts that gave up waiting for a connection.",
                "pool");
        for (Database db : all) {
            Tracker tracker = new Tracker(wait.labels(db.poolName()), timeouts.labels(db.poolName()));
            db.pool().setMetricsTrackerFactory((poolName, stats) -> tracker);
        }
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
