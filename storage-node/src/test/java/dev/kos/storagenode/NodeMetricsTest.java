package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Settings;
import dev.kos.metrics.MetricsServer;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real node over gRPC, its metrics scraped over HTTP as Prometheus would. */
class NodeMetricsTest {
    private static final int MIB = 1024 * 1024;
    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    TestNode node;
    MetricsServer metrics;

    @BeforeEach
    void start() {
        node = TestNode.start(tmp.resolve("data"));
        metrics = MetricsServer.start("127.0.0.1", 0, node.server.metrics());
    }

    @AfterEach
    void stop() throws InterruptedException {
        metrics.close();
        node.close();
    }

    @Test
    void putsAndGetsAreCountedTimedAndTheirBytesAdded() {
        Map<String, Double> before = scrape();
        assertEquals(0.0, before.get("kos_node_chunks"));
        assertEquals(0.0, before.get("kos_node_bytes_written_total"));
        assertTrue(before.get("kos_node_disk_total_bytes") > 0, before.toString());
        assertTrue(before.get("kos_node_disk_free_bytes") > 0, before.toString());
        assertEquals(0.0, before.get("kos_node_reserve_bytes"), "the loopback node keeps no reserve");
        assertTrue(before.get("jvm_threads_live") > 0, "the JVM's own figures are there too");

        TestData data = new TestData(3, 2L * MIB + 123);
        node.client.put("metrics-a", data);
        node.client.read("metrics-a", 0, 0);
        node.client.read("metrics-a", MIB, 1000);
        node.client.put("metrics-a", data); // already here: nothing more written

        // A put's client may see its response a moment before the node closes the call with OK.
        Map<String, Double> s = scrapeUntil("two puts counted", m -> m.getOrDefault(requests("PutChunk", "OK"), 0.0) == 2);
        assertEquals(2.0, s.get(requests("GetChunk", "OK")));
        assertEquals(2.0, s.get("kos_node_request_duration_seconds_count{method=\"PutChunk\"}"));
        assertEquals(2.0, s.get("kos_node_request_duration_seconds_count{method=\"GetChunk\"}"));
        assertEquals((double) data.length(), s.get("kos_node_bytes_written_total"));
        assertEquals(data.length() + 1000.0, s.get("kos_node_bytes_read_total"));
        assertEquals(1.0, s.get("kos_node_chunks"));
        assertEquals((double) data.length(), s.get("kos_node_chunk_bytes"));
        assertEquals(0.0, s.get("kos_node_checksum_failures_total"));
    }

    @Test
    void failuresAreCountedByStatusCode() throws IOException {
        assertThrows(StatusRuntimeException.class, () -> node.client.read("no-such-chunk", 0, 0));
        assertThrows(StatusRuntimeException.class, () -> node.client.put("bad id", new byte[] {1}));

        TestData data = new TestData(4, 2L * MIB);
        node.client.put("rotten", data);
        try (RandomAccessFile f = new RandomAccessFile(node.dataDir().resolve("ro").resolve("rotten").toFile(), "rw")) {
            f.seek(MIB + 5);
            int b = f.read();
            f.seek(MIB + 5);
            f.write(b ^ 0x40);
        }
        StatusRuntimeException rot = assertThrows(StatusRuntimeException.class, () -> node.client.read("rotten", 0, 0));
        assertEquals(Status.Code.DATA_LOSS, rot.getStatus().getCode());

        Map<String, Double> s = scrapeUntil("the failed put counted",
                m -> m.getOrDefault(requests("PutChunk", "INVALID_ARGUMENT"), 0.0) == 1);
        assertEquals(1.0, s.get(requests("GetChunk", "NOT_FOUND")));
        assertEquals(1.0, s.get(requests("GetChunk", "DATA_LOSS")));
        assertEquals(1.0, s.get("kos_node_checksum_failures_total"));
        assertEquals(MIB, s.get("kos_node_bytes_read_total"), "the intact first frame was sent, the bad one not");
    }

    /** A call the client abandons is never closed by the node, and is counted all the same. */
    @Test
    void aCallTheClientCancelsIsCountedAsCancelled() throws Exception {
        // More than gRPC's largest flow-control window (8 MiB), so the node cannot finish before the cancel.
        node.client.put("long", new TestData(5, 32L * MIB));
        Context.CancellableContext reading = Context.current().withCancellation();
        Iterator<GetChunkResponse> frames = reading.call(() -> node.client.get("long", 0, 0));
        assertEquals(MIB, frames.next().getData().size(), "the node is sending");
        reading.cancel(null);

        Map<String, Double> s = scrapeUntil("the cancelled read counted",
                m -> m.getOrDefault(requests("GetChunk", "CANCELLED"), 0.0) == 1);
        assertEquals(null, s.get(requests("GetChunk", "OK")), s.toString());
        assertEquals(1.0, s.get("kos_node_request_duration_seconds_count{method=\"GetChunk\"}"));
    }

    @Test
    void theMetricsPortSetting() {
        assertEquals(9464, StorageNodeConfig.metricsPort(Settings.of(new String[0], Map.of())));
        assertEquals(0, StorageNodeConfig.metricsPort(Settings.of(new String[] {"--node-metrics-port=0"}, Map.of())));
        assertEquals(-1, StorageNodeConfig.metricsPort(Settings.of(new String[0], Map.of("KOS_NODE_METRICS_PORT", "-1"))));
        assertThrows(IllegalArgumentException.class,
                () -> StorageNodeConfig.metricsPort(Settings.of(new String[] {"--node-metrics-port=-2"}, Map.of())));
        assertThrows(IllegalArgumentException.class,
                () -> StorageNodeConfig.metricsPort(Settings.of(new String[] {"--node-metrics-port=65536"}, Map.of())));
    }

    private static String requests(String method, String code) {
        return "kos_node_requests_total{method=\"" + method + "\",code=\"" + code + "\"}";
    }

    private Map<String, Double> scrapeUntil(String what, java.util.function.Predicate<Map<String, Double>> done) {
        return Poll.until(WAIT, what, this::scrape, done);
    }

    private Map<String, Double> scrape() {
        return Metrics.scrape(URI.create("http://127.0.0.1:" + metrics.port() + "/metrics"));
    }
}
