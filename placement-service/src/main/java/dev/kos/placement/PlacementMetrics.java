package dev.kos.placement;

import dev.kos.events.OutboxRelay;
import dev.kos.events.RelayMetrics;
import dev.kos.metadata.Database;
import dev.kos.metadata.PoolMetrics;
import dev.kos.metrics.JvmMetrics;
import dev.kos.metrics.MetricRegistry;
import dev.kos.placement.rebalance.RebalanceStatus;
import dev.kos.placement.rebalance.Rebalancer;
import java.util.function.Supplier;

/**
 * The placement service's metrics, served on /metrics next to /health: the process, its metadata
 * pool and outbox relay, the finalizer, and the same rebalance figures /health shows. Every value
 * is read at scrape time from what the service already keeps.
 */
final class PlacementMetrics {
    private PlacementMetrics() {
    }

    /** {@code relay} and {@code rebalancer} may be null (not run by this process): their metrics are left out. */
    static MetricRegistry of(Database db, PlacementService service, OutboxRelay relay, Rebalancer rebalancer) {
        MetricRegistry registry = new MetricRegistry();
        JvmMetrics.register(registry);
        PoolMetrics.register(registry, db, service.finalizerSessions());
        if (relay != null) {
            RelayMetrics.register(registry, relay);
        }
        registry.gauge("kos_placement_finalizer_up",
                "1 while the finalizer's Kafka Streams runs (running or rebalancing its tasks), as /health's status; else 0.",
                () -> HealthEndpoint.isUp(service.state()) ? 1 : 0);
        registry.gauge("kos_placement_stream_threads",
                "The finalizer's running stream threads (fewer than placement.stream-threads when some died).",
                service::streamThreads);
        if (rebalancer != null) {
            rebalance(registry, rebalancer::status);
        }
        return registry;
    }

    /** The rebalancer's progress; see {@link RebalanceStatus} for what each figure means. */
    static void rebalance(MetricRegistry registry, Supplier<RebalanceStatus> status) {
        registry.gauge("kos_placement_rebalance_running", "1 while a rebalance pass runs.",
                () -> status.get().running() ? 1 : 0);
        registry.gauge("kos_placement_rebalance_ring_epoch", "Ring epoch of the current or last pass (-1 before the first).",
                () -> status.get().ringEpoch());
        registry.gauge("kos_placement_rebalance_chunks_left", "Misplaced chunk copies the pass has not moved yet.",
                () -> status.get().chunksLeft());
        registry.gauge("kos_placement_rebalance_bytes_left", "Bytes of the misplaced copies not moved yet.",
                () -> status.get().bytesLeft());
        registry.counterOf("kos_placement_rebalance_chunks_moved_total", "Chunk copies moved (or retired) since this process started.",
                () -> status.get().chunksDone());
        registry.counterOf("kos_placement_rebalance_bytes_copied_total", "Bytes copied between nodes since this process started.",
                () -> status.get().bytesDone());
        registry.gauge("kos_placement_rebalance_chunks_waiting",
                "Copies on nodes that went silent within their grace period: moved if the node stays away.",
                () -> status.get().chunksWaiting());
        registry.gauge("kos_placement_rebalance_chunks_stuck",
                "Copies the last finished pass could not move (no readable source, node unreachable, failed); retried by the next.",
                () -> status.get().chunksStuck());
        registry.counterOf("kos_placement_rebalance_passes_total", "Rebalance passes finished.",
                () -> status.get().passes());
        registry.gauge("kos_placement_rebalance_last_pass_seconds",
                "How long the last finished pass took, its walk over every node's stored copies and its moves (-1 before the first).",
                () -> status.get().lastPassTook().map(d -> d.toNanos() / 1e9).orElse(-1.0));
    }
}
