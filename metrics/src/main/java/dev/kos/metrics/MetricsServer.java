package dev.kos.metrics;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;

/**
 * {@code GET /metrics} for a process that serves no HTTP of its own (a storage node speaks gRPC,
 * the cleanup worker nothing): the JDK's HTTP server is enough for one scrape every few seconds.
 */
public final class MetricsServer implements AutoCloseable {
    private final HttpServer server;

    private MetricsServer(HttpServer server) {
        this.server = server;
    }

    /** Listens on {@code host:port} (0: any free port). */
    public static MetricsServer start(String host, int port, MetricRegistry registry) {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress(host, port), 16);
            server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
            serve(server, registry);
            server.start();
            return new MetricsServer(server);
        } catch (IOException e) {
            throw new IllegalStateException("metrics endpoint cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
        }
    }

    /** Adds {@code /metrics} to a JDK HTTP server that already serves something else. */
    public static void serve(HttpServer server, MetricRegistry registry) {
        server.createContext("/metrics", exchange -> respond(exchange, registry));
    }

    private static void respond(HttpExchange exchange, MetricRegistry registry) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            if (!method.equals("GET") && !method.equals("HEAD")) {
                exchange.getResponseHeaders().set("Allow", "GET, HEAD");
                exchange.sendResponseHeaders(405, -1);
                return;
            }
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", MetricRegistry.CONTENT_TYPE);
            if (method.equals("HEAD")) {
                exchange.sendResponseHeaders(200, -1);
                return;
            }
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        }
    }

    public int port() {
        return server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
