package dev.kos.storagenode;

import dev.kos.metrics.Counter;
import dev.kos.metrics.Histogram;
import dev.kos.metrics.JvmMetrics;
import dev.kos.metrics.MetricRegistry;
import io.grpc.ServerInterceptor;

/**
 * A storage node's metrics: the process, the disk and chunk figures of {@link NodeStats}, every
 * gRPC call by method and status ({@link CallMetrics}), the chunk bytes stored and served, and
 * the blocks that failed their checksum on a read. {@code Main} serves them on /metrics.
 */
final class NodeMetrics {
    private final MetricRegistry registry = new MetricRegistry();
    /** Data of chunks newly stored, added once per put when the chunk is durable. */
    final Counter bytesWritten;
    /** Chunk data sent by reads, added per frame as it leaves (a LongAdder add per MiB). */
    final Counter bytesRead;
    private final CallMetrics calls;

    NodeMetrics(ChunkStore store) {
        JvmMetrics.register(registry);
        // Each gauge reads the stats afresh: two statvfs calls on a file store found once (see
        // ChunkFileSystem.Local) and two counters, cheap enough for one scrape every few seconds.
        // A failed statvfs leaves these gauges out of that one scrape.
        registry.gauge("kos_node_disk_total_bytes", "Size of the file system holding the data dir.",
                () -> store.stats().diskTotal());
        registry.gauge("kos_node_disk_free_bytes", "Bytes an unprivileged writer can still use on that file system.",
                () -> store.stats().diskFree());
        registry.gauge("kos_node_reserve_bytes", "Free space the node never fills with chunks (node.reserve-bytes).",
                () -> store.stats().reserve());
        registry.gauge("kos_node_chunks", "Chunks stored.", () -> store.stats().chunkCount());
        registry.gauge("kos_node_chunk_bytes", "Data bytes of the chunks stored.", () -> store.stats().chunkBytes());
        calls = new CallMetrics(
                registry.counter("kos_node_requests_total",
                        "gRPC calls by method and status code (CANCELLED also for calls the client gave up on).",
                        "method", "code"),
                registry.histogram("kos_node_request_duration_seconds",
                        "gRPC call durations by method, from the call's start to its status.",
                        Histogram.LATENCY_SECONDS, "method"));
        bytesWritten = registry.counter("kos_node_bytes_written_total",
                "Chunk data stored by puts, counted when the chunk is durable (a re-put of a chunk already here writes nothing).");
        bytesRead = registry.counter("kos_node_bytes_read_total", "Chunk data sent by GetChunk calls.");
        registry.counterOf("kos_node_checksum_failures_total",
                "Reads refused because a stored block failed its CRC32C: this node's copy is damaged (DATA_LOSS to the client).",
                store::checksumFailures);
    }

    MetricRegistry registry() {
        return registry;
    }

    /** The interceptor that counts and times every call; registered where the server is built. */
    ServerInterceptor calls() {
        return calls;
    }
}
