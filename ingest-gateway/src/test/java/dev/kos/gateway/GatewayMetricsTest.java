package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class GatewayMetricsTest {
    @Test
    void routeLabelsAreTheRegisteredPatterns() {
        assertEquals("/files", GatewayMetrics.route("/files/"), "a service's root without Helidon's trailing slash");
        assertEquals("/files/{id}", GatewayMetrics.route("/files/{id}"));
        assertEquals("/", GatewayMetrics.route("/"));
        assertEquals("unmatched", GatewayMetrics.route(""), "the catch-all 404 route has an empty pattern");
    }
}
