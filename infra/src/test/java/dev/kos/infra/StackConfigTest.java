package dev.kos.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Settings;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The ports the local stack checks before it starts: every one a service will listen on. */
class StackConfigTest {
    @Test
    void theDefaultPortsIncludeEveryMetricsEndpoint() {
        StackConfig c = StackConfig.from(Settings.of(new String[0], Map.of()));
        List<Integer> ports = c.fixedPorts();
        assertEquals(List.of(8080, 8081, 8082, 9092,
                17101, 17201, 17102, 17202, 17103, 17203, 17104, 17204, 17105, 17205, 17106, 17206), ports);
        assertEquals(ports.size(), new HashSet<>(ports).size(), "no two services share a port");
        assertEquals(8082, c.cleanupMetricsPort());
        assertEquals(17203, c.nodeMetricsPort(3));
    }

    @Test
    void theMetricsPortsFollowTheGatewayAndNodePorts() {
        StackConfig c = StackConfig.from(Settings.of(new String[] {"--gateway-port=20000", "--node-base-port=20010", "--nodes=2",
                "--kafka-bootstrap=elsewhere:9092"}, Map.of()));
        assertEquals(List.of(20000, 20001, 20002, 20010, 20110, 20011, 20111), c.fixedPorts(), "no embedded Kafka, no Kafka port");
    }

    @Test
    void metricsPortsCanBeSetWhereTheDefaultsWouldCollide() {
        StackConfig c = StackConfig.from(Settings.of(new String[] {"--gateway-port=20000", "--kafka-port=20002",
                "--cleanup-metrics-port=20003", "--node-base-port=20004", "--node-metrics-base-port=20006", "--nodes=2"}, Map.of()));
        assertEquals(List.of(20000, 20001, 20003, 20002, 20004, 20006, 20005, 20007), c.fixedPorts());
    }

    @Test
    void theSummaryNamesEveryMetricsUrl() {
        String summary = String.join("\n", new LocalStack(StackConfig.from(Settings.of(new String[0], Map.of()))).metricsLines());
        for (String url : List.of("http://localhost:8080/metrics", "http://localhost:8081/metrics", "http://localhost:8082/metrics",
                "http://localhost:17201/metrics", "http://localhost:17206/metrics")) {
            assertTrue(summary.contains(url), () -> url + " missing from:\n" + summary);
        }
        assertTrue(summary.contains("infra/prometheus/prometheus.yml"), summary);
    }
}
