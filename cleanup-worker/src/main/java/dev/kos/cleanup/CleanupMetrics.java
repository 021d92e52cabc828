package dev.kos.cleanup;

import dev.kos.events.OutboxRelay;
import dev.kos.events.RelayMetrics;
import dev.kos.metadata.Database;
import dev.kos.metadata.PoolMetrics;
import dev.kos.metrics.JvmMetrics;
import dev.kos.metrics.MetricRegistry;
import java.util.List;

/**
 * The cleanup worker's metrics, served by {@link Main} on cleanup.metrics-port: the process, its
 * metadata pool and outbox relay, and what the worker did. Work is counted where each round
 * returns its result (a round cut short by a failure counts none of its work), rounds and
 * failures where the loops run them.
 */
final class CleanupMetrics {
    private CleanupMetrics() {
    }

    static MetricRegistry of(Database db, OutboxRelay relay, CleanupWorker worker) {
        MetricRegistry registry = new MetricRegistry();
        JvmMetrics.register(registry);
        PoolMetrics.register(registry, db);
        RelayMetrics.register(registry, relay);
        registry.counterOf("kos_cleanup_sessions_expired_total",
                "Abandoned upload sessions expired: their files became expired and their chunk copies marked for deletion.",
                worker::sessionsExpired);
        registry.counterOf("kos_cleanup_chunk_copies_deleted_total",
                "Chunk copies deleted from their nodes (or written off with a removed node) and forgotten.",
                worker::copiesDeleted);
        registry.counterOf("kos_cleanup_files_deleted_total",
                "Deleting, failed and expired files made tombstones once every chunk copy was gone.",
                worker::filesDeleted);
        registry.counterOf("kos_cleanup_orphans_deleted_total",
                "Chunks deleted from a node because no metadata needed them (older than cleanup.orphan-grace).",
                worker::orphansDeleted);
        registry.counterOf("kos_cleanup_processed_events_pruned_total",
                "De-duplication rows of event consumers deleted, older than cleanup.processed-events-retention.",
                worker::processedPruned);
        registry.counterOf("kos_cleanup_events_applied_total",
                "Deletion requests and aborted uploads whose effect the consumer ran (first deliveries).",
                worker::eventsApplied);
        registry.counterOf("kos_cleanup_event_failures_total",
                "Event effects that failed and were retried.",
                worker::eventFailures);
        List<Rounds.Counts> loops = worker.loopCounts();
        registry.samples("kos_cleanup_rounds_total", "Rounds the worker's loops ran, failed ones included, by loop.",
                MetricRegistry.Type.COUNTER, List.of("loop"), s -> loops.forEach(l -> s.add(l.rounds().sum(), l.loop())));
        registry.samples("kos_cleanup_round_failures_total", "Rounds that failed (the next round starts afresh), by loop.",
                MetricRegistry.Type.COUNTER, List.of("loop"), s -> loops.forEach(l -> s.add(l.failures().sum(), l.loop())));
        return registry;
    }
}
