package dev.kos.gateway;

import dev.kos.metrics.Counter;
import dev.kos.metrics.Family;
import dev.kos.metrics.Histogram;
import dev.kos.metrics.MetricRegistry;
import dev.kos.ring.HashRing;
import io.helidon.webserver.http.FilterChain;
import io.helidon.webserver.http.RoutingRequest;
import io.helidon.webserver.http.RoutingResponse;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The gateway's own metrics: every HTTP request by route and status with its duration, and the
 * storage work behind them (chunk puts by outcome, bytes stored and served, failovers, checksum
 * failures). {@link #watch} adds what other parts already count (metadata cache, chunk buffers,
 * read streams, ring). Served at {@code GET /metrics} ({@link MetricsService}).
 */
public final class GatewayMetrics {
    /** Methods a client may send that get their own label; anything else counts as "other", so a client cannot add series. */
    private static final Set<String> METHODS = Set.of("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS");

    private final MetricRegistry registry = new MetricRegistry();
    private final Family<Counter> requests = registry.counter("kos_http_requests_total",
            "HTTP requests answered, by method, route pattern and status code.", "method", "route", "code");
    private final Family<Histogram> durations = registry.histogram("kos_http_request_duration_seconds",
            "HTTP request durations until the response was sent (a download's includes its transfer).",
            Histogram.LATENCY_SECONDS, "method", "route");
    private final LongAdder inFlight = new LongAdder();
    private final Family<Counter> chunkPuts = registry.counter("kos_gateway_chunk_puts_total",
            "Chunk puts to storage nodes by outcome (ok, full, unavailable).", "outcome");
    private final Histogram chunkPutSeconds = registry.histogram("kos_gateway_chunk_put_duration_seconds",
            "How long a storage node took to store a chunk durably (successful puts).", Histogram.LATENCY_SECONDS);
    private final Counter bytesStored = registry.counter("kos_gateway_stored_bytes_total",
            "Chunk bytes stored on storage nodes by uploads through this gateway.");
    private final Counter bytesServed = registry.counter("kos_gateway_served_bytes_total",
            "File bytes read from storage nodes and written to downloading clients.");
    private final Counter readFailovers = registry.counter("kos_gateway_chunk_read_failovers_total",
            "Chunk reads that failed on one copy and went on with the next.");
    private final Counter checksumFailures = registry.counter("kos_gateway_chunk_checksum_failures_total",
            "Chunks whose bytes did not match their recorded CRC32C or length when served (the download was cut).");

    public GatewayMetrics() {
        registry.gauge("kos_http_requests_in_flight", "HTTP requests being handled now.", inFlight::sum);
    }

    public MetricRegistry registry() {
        return registry;
    }

    /**
     * Times and counts every routed request, once, with the status the client got. A response
     * the handler sent or began to stream is counted when the chain returns (a download cut
     * mid-way never reports itself sent: its stream did not close cleanly); one the error
     * handlers write after an exception has left this filter is counted when Helidon reports it
     * sent.
     */
    void filter(FilterChain chain, RoutingRequest req, RoutingResponse res) {
        Exchange exchange = new Exchange(req, res, System.nanoTime());
        inFlight.increment();
        res.whenSent(exchange);
        try {
            chain.proceed();
        } finally {
            if (res.hasEntity()) {
                exchange.run();
            }
        }
    }

    /** One request's count, taken by whichever of the two paths above comes first. */
    private final class Exchange implements Runnable {
        private final RoutingRequest req;
        private final RoutingResponse res;
        private final long start;
        private final AtomicBoolean counted = new AtomicBoolean();

        Exchange(RoutingRequest req, RoutingResponse res, long start) {
            this.req = req;
            this.res = res;
            this.start = start;
        }

        @Override
        public void run() {
            if (!counted.compareAndSet(false, true)) {
                return;
            }
            inFlight.decrement();
            String method = req.prologue().method().text();
            method = METHODS.contains(method) ? method : "other";
            String route = route(req.matchingPattern().orElse(""));
            requests.labels(method, route, Integer.toString(res.status().code())).inc();
            durations.labels(method, route).observeNanos(System.nanoTime() - start);
        }
    }

    /**
     * A route's label: its pattern as registered ({@code /files/{id}}), without the slash Helidon
     * keeps after a service's prefix ({@code /files/} for the service's root), and
     * {@code unmatched} for the catch-all 404 route, whose pattern is empty.
     */
    static String route(String pattern) {
        if (pattern.isEmpty()) {
            return "unmatched";
        }
        return pattern.length() > 1 && pattern.endsWith("/") ? pattern.substring(0, pattern.length() - 1) : pattern;
    }

    void chunkStored(long nanos, long bytes) {
        chunkPuts.labels("ok").inc();
        chunkPutSeconds.observeNanos(nanos);
        bytesStored.add(bytes);
    }

    void chunkRefused(boolean full) {
        chunkPuts.labels(full ? "full" : "unavailable").inc();
    }

    void served(long bytes) {
        bytesServed.add(bytes);
    }

    void readFailover() {
        readFailovers.inc();
    }

    void checksumFailure() {
        checksumFailures.inc();
    }

    /** Registers what the gateway's parts count themselves, read at scrape time. */
    void watch(FileCatalog catalog, ChunkBufferPool buffers, ReadPermits reads, Supplier<HashRing> ring) {
        registry.counterOf("kos_metadata_cache_hits_total", "Metadata reads of completed files served from memory.",
                () -> catalog.cacheStats().hits());
        registry.counterOf("kos_metadata_cache_misses_total", "Metadata reads of completed files that queried PostgreSQL.",
                () -> catalog.cacheStats().misses());
        registry.gauge("kos_metadata_cache_files", "Completed files whose metadata is held in memory.",
                () -> catalog.cacheStats().files());
        registry.gauge("kos_metadata_cache_serving", "1 while the cache serves (its change notifications are heard), else 0.",
                () -> catalog.cacheStats().serving() ? 1 : 0);
        registry.counterOf("kos_list_cache_hits_total", "List pages served from memory.", () -> catalog.cacheStats().pageHits());
        registry.counterOf("kos_list_cache_misses_total", "List pages that queried PostgreSQL.", () -> catalog.cacheStats().pageMisses());
        registry.gauge("kos_gateway_chunk_buffers", "Chunk buffers for uploads (gateway.buffer-memory / chunk size).", buffers::capacity);
        registry.gauge("kos_gateway_chunk_buffers_free", "Chunk buffers free now; 0 means uploads wait for one.", buffers::available);
        registry.gauge("kos_gateway_read_streams_in_use", "Chunk reads open for downloads now (at most gateway.read-streams).",
                reads::inUse);
        registry.gauge("kos_gateway_read_streams_waiting", "Downloads waiting for a chunk read to come free.", reads::waiting);
        registry.gauge("kos_ring_nodes", "Storage nodes in this gateway's ring.", () -> ring.get().members().size());
        registry.gauge("kos_ring_epoch", "The ring's epoch as this gateway last read it.", () -> ring.get().epoch());
    }
}
