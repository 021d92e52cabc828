package dev.kos.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kos.testkit.Metrics;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;

class MetricsServerTest {
    @Test
    void servesTheRegistryOverHttp() throws Exception {
        MetricRegistry r = new MetricRegistry();
        Counter c = r.counter("kos_things_total", "Things.");
        c.add(5);
        try (MetricsServer server = MetricsServer.start("127.0.0.1", 0, r);
             HttpClient http = HttpClient.newHttpClient()) {
            URI uri = URI.create("http://127.0.0.1:" + server.port() + "/metrics");
            HttpResponse<String> res = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, res.statusCode());
            assertEquals(MetricRegistry.CONTENT_TYPE, res.headers().firstValue("Content-Type").orElse(""));
            assertEquals(5.0, Metrics.parse(res.body()).get("kos_things_total"));

            c.inc();
            res = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(6.0, Metrics.parse(res.body()).get("kos_things_total"));

            HttpResponse<String> post = http.send(HttpRequest.newBuilder(uri).POST(HttpRequest.BodyPublishers.noBody()).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(405, post.statusCode());
        }
    }
}
