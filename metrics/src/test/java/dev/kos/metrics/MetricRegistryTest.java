package dev.kos.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.testkit.Metrics;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class MetricRegistryTest {
    @Test
    void countersWithLabelsAreWrittenOncePerCombination() {
        MetricRegistry r = new MetricRegistry();
        Family<Counter> requests = r.counter("kos_requests_total", "Requests.", "route", "code");
        requests.labels("/files", "200").inc();
        requests.labels("/files", "200").add(2);
        requests.labels("/files/{id}", "404").inc();
        Counter plain = r.counter("kos_plain_total", "Plain.");
        plain.inc();

        String text = r.scrape();
        Map<String, Double> s = Metrics.parse(text);
        assertEquals(3.0, s.get("kos_requests_total{route=\"/files\",code=\"200\"}"));
        assertEquals(1.0, s.get("kos_requests_total{route=\"/files/{id}\",code=\"404\"}"));
        assertEquals(1.0, s.get("kos_plain_total"));
        assertTrue(text.contains("# TYPE kos_requests_total counter\n"), text);
        assertTrue(text.indexOf("kos_requests_total") < text.indexOf("kos_plain_total"), "registration order");
    }

    @Test
    void histogramBucketsAreCumulativeWithSumAndCount() {
        MetricRegistry r = new MetricRegistry();
        Histogram h = r.histogram("kos_call_seconds", "Calls.", new double[] {0.01, 0.1, 1});
        h.observe(0.005);
        h.observe(0.01); // on a bound: counts in that bucket (le means "less or equal")
        h.observe(0.5);
        h.observeNanos(2_000_000_000L);

        Map<String, Double> s = Metrics.parse(r.scrape());
        assertEquals(2.0, s.get("kos_call_seconds_bucket{le=\"0.01\"}"));
        assertEquals(2.0, s.get("kos_call_seconds_bucket{le=\"0.1\"}"));
        assertEquals(3.0, s.get("kos_call_seconds_bucket{le=\"1\"}"));
        assertEquals(4.0, s.get("kos_call_seconds_bucket{le=\"+Inf\"}"));
        assertEquals(4.0, s.get("kos_call_seconds_count"));
        assertEquals(2.515, s.get("kos_call_seconds_sum"), 1e-9);
        assertEquals(4, h.count());
    }

    @Test
    void labelledHistogramPutsLeLast() {
        MetricRegistry r = new MetricRegistry();
        r.histogram("kos_put_seconds", "Puts.", new double[] {1}, "node").labels("node-1").observe(0.5);
        Map<String, Double> s = Metrics.parse(r.scrape());
        assertEquals(1.0, s.get("kos_put_seconds_bucket{node=\"node-1\",le=\"1\"}"));
        assertEquals(1.0, s.get("kos_put_seconds_count{node=\"node-1\"}"));
        assertThrows(IllegalArgumentException.class, () -> r.histogram("kos_x_seconds", "x", new double[] {1}, "le"));
    }

    @Test
    void labelValuesAndHelpAreEscaped() {
        MetricRegistry r = new MetricRegistry();
        r.counter("kos_odd_total", "Help with a \\ and a\nnewline.", "v").labels("a\"b\\c\nd").inc();
        String text = r.scrape();
        assertTrue(text.contains("# HELP kos_odd_total Help with a \\\\ and a\\nnewline.\n"), text);
        assertTrue(text.contains("kos_odd_total{v=\"a\\\"b\\\\c\\nd\"} 1\n"), text);
        Metrics.parse(text);
    }

    @Test
    void gaugesAndComputedSamplesAreReadAtScrapeTime() {
        MetricRegistry r = new MetricRegistry();
        long[] value = {7};
        r.gauge("kos_pool_active", "Active.", () -> value[0]);
        r.counterOf("kos_cache_hits_total", "Hits.", () -> value[0] * 10);
        r.samples("kos_node_up", "Up.", MetricRegistry.Type.GAUGE, List.of("node"), s -> {
            s.add(1, "node-1");
            s.add(0, "node-2");
        });
        assertEquals(7.0, Metrics.parse(r.scrape()).get("kos_pool_active"));
        value[0] = 9;
        Map<String, Double> s = Metrics.parse(r.scrape());
        assertEquals(9.0, s.get("kos_pool_active"));
        assertEquals(90.0, s.get("kos_cache_hits_total"));
        assertEquals(0.0, s.get("kos_node_up{node=\"node-2\"}"));
        assertEquals(0.25, Double.parseDouble(TextWriter.number(0.25)));
        assertEquals("1", TextWriter.number(1.0));
    }

    @Test
    void aMetricThatCannotBeReadIsLeftOutAndTheOthersStay() {
        MetricRegistry r = new MetricRegistry();
        r.gauge("kos_before", "Before.", () -> 1);
        r.gauge("kos_broken", "Broken.", () -> {
            throw new IllegalStateException("pool closed");
        });
        r.samples("kos_wrong_labels", "Wrong.", MetricRegistry.Type.GAUGE, List.of("a", "b"), s -> s.add(1, "only-a"));
        r.gauge("kos_after", "After.", () -> 2);
        String text = r.scrape();
        Map<String, Double> s = Metrics.parse(text);
        assertEquals(1.0, s.get("kos_before"));
        assertEquals(2.0, s.get("kos_after"));
        assertFalse(text.contains("kos_broken"), text);
        assertFalse(text.contains("kos_wrong_labels"), text);
    }

    @Test
    void badRegistrationsAreRefused() {
        MetricRegistry r = new MetricRegistry();
        r.counter("kos_a_total", "A.");
        assertThrows(IllegalArgumentException.class, () -> r.counter("kos_a_total", "A again."));
        assertThrows(IllegalArgumentException.class, () -> r.counter("kos-bad", "Dash."));
        assertThrows(IllegalArgumentException.class, () -> r.counter("kos_b_total", "B.", "bad-label"));
        assertThrows(IllegalArgumentException.class, () -> r.counter("kos_c_total", "C.", "__reserved"));
        assertThrows(IllegalArgumentException.class, () -> r.histogram("kos_h", "H.", new double[] {1, 1}));
        assertThrows(IllegalArgumentException.class, () -> r.histogram("kos_h2", "H.", new double[0]));
        Family<Counter> f = r.counter("kos_d_total", "D.", "x");
        assertThrows(IllegalArgumentException.class, () -> f.labels("1", "2"));
        assertThrows(IllegalArgumentException.class, () -> f.labels((String) null));
        assertThrows(IllegalArgumentException.class, () -> r.counter("kos_e_total", "E.").add(-1));
    }

    @Test
    void countsFromManyThreadsAreNotLost() throws Exception {
        MetricRegistry r = new MetricRegistry();
        Family<Counter> c = r.counter("kos_n_total", "N.", "k");
        Histogram h = r.histogram("kos_n_seconds", "N.", Histogram.LATENCY_SECONDS);
        int threads = 8;
        int each = 20_000;
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(threads)) {
            for (int t = 0; t < threads; t++) {
                String key = "k" + (t % 2);
                pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < each; i++) {
                        c.labels(key).inc();
                        h.observe(0.003);
                    }
                    return null;
                });
            }
            start.countDown();
        }
        Map<String, Double> s = Metrics.parse(r.scrape());
        assertEquals(threads * each / 2.0, s.get("kos_n_total{k=\"k0\"}"));
        assertEquals(threads * each / 2.0, s.get("kos_n_total{k=\"k1\"}"));
        assertEquals((double) threads * each, s.get("kos_n_seconds_bucket{le=\"0.005\"}"));
        assertEquals(0.0, s.get("kos_n_seconds_bucket{le=\"0.0025\"}"));
    }
}
