package dev.kos.e2e;

import static dev.kos.e2e.Checks.assertDownloads;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** What an operator scrapes: every process of the stack serves /metrics, and the dashboard reads only what they serve. */
@ExtendWith(SharedStack.class)
@Timeout(120)
class MetricsTest {
    private static final long MIB = 1L << 20;
    private static final Path DASHBOARD = Path.of("..", "infra", "grafana", "kos-overview.json");
    private static final Pattern METRIC_NAME = Pattern.compile("\\b((?:kos|process|jvm)_[a-z0-9_]+)");
    private final TestStack s = SharedStack.stack();

    @Test
    void everyProcessServesMetricsThatFollowTheTraffic() throws Exception {
        SeededData data = SeededData.of(909, 3 * MIB + 7);
        UUID id = uploadCompleted(s.client, KosClient.uniqueName("metrics"), data);
        assertDownloads(s.client, id, data.size(), data.sha256Hex());

        Map<String, URI> endpoints = s.stack.metricsEndpoints();
        assertEquals(3 + TestStack.NODES, endpoints.size(), endpoints::toString);
        Map<String, Map<String, Double>> scraped = new HashMap<>();
        for (Map.Entry<String, URI> e : endpoints.entrySet()) {
            scraped.put(e.getKey(), Metrics.scrape(e.getValue()));
            assertTrue(scraped.get(e.getKey()).get("process_cpu_seconds_total") > 0, e.getKey());
        }
        assertTrue(scraped.get("placement").containsKey("kos_placement_finalizer_up"), "placement's own figures");
        assertTrue(scraped.get("cleanup").keySet().stream().anyMatch(k -> k.startsWith("kos_cleanup_rounds_total{")), "cleanup's own figures");
        // The upload's four chunks were put on the nodes and read back by the download.
        double put = 0;
        double read = 0;
        for (int i = 1; i <= TestStack.NODES; i++) {
            Map<String, Double> node = scraped.get("node-" + i);
            put += node.getOrDefault("kos_node_requests_total{method=\"PutChunk\",code=\"OK\"}", 0.0);
            read += node.get("kos_node_bytes_read_total");
        }
        assertTrue(put >= 4, "PutChunk calls counted by the nodes: " + put);
        assertTrue(read >= data.size(), "bytes served by the nodes: " + read);
        // A request counts once its response is sent, which the client can see a moment before.
        String uploads = "kos_http_requests_total{method=\"POST\",route=\"/files\",code=\"201\"}";
        Poll.until(Duration.ofSeconds(10), "the upload counted by the gateway",
                () -> Metrics.scrape(endpoints.get("gateway")), m -> m.getOrDefault(uploads, 0.0) >= 1);
    }

    @Test
    void theDashboardReadsOnlyMetricsTheStackServes() throws Exception {
        Set<String> served = new TreeSet<>();
        SeededData data = SeededData.of(910, MIB);
        assertDownloads(s.client, uploadCompleted(s.client, KosClient.uniqueName("dashboard"), data), data.size(), data.sha256Hex());
        for (URI uri : s.stack.metricsEndpoints().values()) {
            for (String sample : Metrics.scrape(uri).keySet()) {
                served.add(sample.replaceFirst("\\{.*", ""));
            }
        }
        String dashboard = Files.readString(DASHBOARD);
        Set<String> used = new TreeSet<>();
        Matcher m = Pattern.compile("\"expr\": \"((?:[^\"\\\\]|\\\\.)*)\"").matcher(dashboard);
        while (m.find()) {
            Matcher names = METRIC_NAME.matcher(m.group(1));
            while (names.find()) {
                used.add(names.group(1));
            }
        }
        assertTrue(used.size() > 20, "the dashboard's queries were found: " + used);
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(served);
        assertTrue(missing.isEmpty(), () -> "the dashboard queries metrics no process serves: " + missing);
    }
}
