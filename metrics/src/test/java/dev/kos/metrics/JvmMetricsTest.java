package dev.kos.metrics;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.testkit.Metrics;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JvmMetricsTest {
    @Test
    void reportsTheProcessAndTheJvm() {
        MetricRegistry r = new MetricRegistry();
        JvmMetrics.register(r);
        byte[][] keep = new byte[64][];
        for (int i = 0; i < keep.length; i++) {
            keep[i] = new byte[16 * 1024]; // some heap in use, whatever the collector did before
        }
        Map<String, Double> s = Metrics.parse(r.scrape());
        assertTrue(s.get("process_cpu_seconds_total") > 0, s.toString());
        assertTrue(s.get("jvm_memory_used_bytes{area=\"heap\"}") >= keep.length * 16 * 1024, s.toString());
        assertTrue(s.get("jvm_memory_heap_max_bytes") > 0, s.toString());
        assertTrue(s.get("jvm_threads_live") >= 1, s.toString());
        assertNotNull(s.get("jvm_buffer_pool_used_bytes{pool=\"direct\"}"), s.toString());
        assertTrue(s.keySet().stream().anyMatch(k -> k.startsWith("jvm_gc_collections_total{gc=")), s.toString());
        if (System.getProperty("os.name").startsWith("Linux")) {
            // RSS includes at least the heap pages just touched
            assertTrue(s.get("process_resident_memory_bytes") > keep.length * 16 * 1024, s.toString());
            assertTrue(s.get("process_open_fds") > 0, s.toString());
        }
        assertTrue(s.get("process_start_time_seconds") > 1.6e9, s.toString());
    }
}
