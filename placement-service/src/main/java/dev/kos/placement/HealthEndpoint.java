package dev.kos.placement;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.kos.events.OutboxRelay;
import dev.kos.metrics.MetricRegistry;
import dev.kos.metrics.MetricsServer;
import dev.kos.placement.rebalance.RebalanceStatus;
import dev.kos.placement.rebalance.Rebalancer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.Executors;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code GET /health} of the placement service: the stream processing state and threads, the outbox relay
 * and the rebalancer's progress (chunks and bytes left and done). 200 while finalization runs,
 * 503 otherwise. {@code GET /metrics} on the same port: the same figures and more for Prometheus
 * ({@link PlacementMetrics}). The JDK's own HTTP server is enough for two read-only endpoints.
 */
final class HealthEndpoint implements AutoCloseable {
    private final HttpServer server;

    private HealthEndpoint(HttpServer server) {
        this.server = server;
    }

    static HealthEndpoint start(int port, PlacementService service, OutboxRelay relay, Rebalancer rebalancer,
                                MetricRegistry metrics) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(port), 16);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            server.createContext("/health", exchange -> respond(exchange, service, relay, rebalancer));
            MetricsServer.serve(server, metrics);
            server.start();
            return new HealthEndpoint(server);
        } catch (IOException e) {
            throw new IllegalStateException("placement health endpoint cannot listen on port " + port + ": " + e.getMessage(), e);
        }
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** {@code streamThreads}: the finalizer's running threads, fewer than configured if some died. */
    static String body(KafkaStreams.State streams, int streamThreads, OutboxRelay relay, RebalanceStatus rebalance) {
        StringBuilder json = new StringBuilder("{\"status\":\"").append(isUp(streams) ? "up" : "down").append('"');
        json.append(",\"finalizer\":{\"state\":\"").append(streams.name().toLowerCase(Locale.ROOT))
                .append("\",\"stream_threads\":").append(streamThreads).append('}');
        if (relay != null) {
            json.append(",\"outbox_relay\":{\"active\":").append(relay.isActive())
                    .append(",\"lag_ms\":").append(relay.lag().toMillis())
                    .append(",\"published\":").append(relay.publishedCount())
                    .append(",\"rounds\":").append(relay.roundCount())
                    .append(",\"failures\":").append(relay.failureCount()).append('}');
        }
        if (rebalance != null) {
            json.append(",\"rebalance\":{\"running\":").append(rebalance.running())
                    .append(",\"ring_epoch\":").append(rebalance.ringEpoch())
                    .append(",\"chunks_left\":").append(rebalance.chunksLeft())
                    .append(",\"bytes_left\":").append(rebalance.bytesLeft())
                    .append(",\"chunks_done\":").append(rebalance.chunksDone())
                    .append(",\"bytes_done\":").append(rebalance.bytesDone())
                    .append(",\"chunks_waiting\":").append(rebalance.chunksWaiting())
                    .append(",\"chunks_stuck\":").append(rebalance.chunksStuck())
                    .append(",\"passes\":").append(rebalance.passes())
                    .append(",\"last_pass_ms\":").append(rebalance.lastPassTook().map(d -> String.valueOf(d.toMillis())).orElse("null"))
                    .append('}');
        }
        return json.append('}').toString();
    }

    /** Kafka Streams rebalancing its tasks is normal operation, not an outage. */
    static boolean isUp(KafkaStreams.State state) {
        return state == KafkaStreams.State.RUNNING || state == KafkaStreams.State.REBALANCING;
    }

    private static void respond(HttpExchange exchange, PlacementService service, OutboxRelay relay, Rebalancer rebalancer)
            throws IOException {
        try (exchange) {
            if (!exchange.getRequestMethod().equals("GET")) {
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            KafkaStreams.State state = service.state();
            byte[] body = body(state, service.streamThreads(), relay, rebalancer == null ? null : rebalancer.status())
                    .getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(isUp(state) ? 200 : 503, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
