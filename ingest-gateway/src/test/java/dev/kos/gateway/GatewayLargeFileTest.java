package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A 1 GiB file up and down through the real gateway (3 storage nodes, Kafka, placement) with
 * bounded heap. The surefire JVM runs with -Xmx768m and a 48 MiB young generation (heap.args in
 * the pom); the gateway's chunk buffers are capped at 64 MiB (8 MiB chunks). The test, the
 * broker, the placement service and the nodes share that heap. Bounds asserted during each
 * transfer: used heap (MemoryMXBean, any sample) under 448 MiB, and the heap right after a full
 * collection (the live set; the sampler forces one every second) under 192 MiB. A gateway
 * holding the file, or a quarter of it, breaks both.
 */
@Tag("large-data")
class GatewayLargeFileTest {
    static final long SIZE = 1L << 30;
    static final long USED_BOUND = 448L << 20;
    static final long LIVE_BOUND = 192L << 20;
    static final int CHUNK = 8 << 20;
    @TempDir
    static Path dir;
    static GatewayHarness h;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        h = new GatewayHarness(dir, 3, GatewayHarness.config(CHUNK, 64L << 20, 2L << 30));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void oneGiBRoundTripWithBoundedHeap() throws Exception {
        long maxHeap = HeapSampler.maxHeap();
        assertTrue(maxHeap > USED_BOUND, "the bound must be below -Xmx to mean anything: max heap " + maxHeap);
        LargeTransfer up = LargeTransfer.upload(http, h.uri("/files?name=big.bin"), SIZE, 42);
        assertEquals(201, up.status(), up.body());
        assertTrue(up.body().contains("\"sha256\":\"" + up.sha256() + "\""), up.body());
        LargeTransfer down = LargeTransfer.download(http, h.uri("/files/" + GatewayApiTest.idOf(up.body())));
        assertEquals(200, down.status());
        assertEquals(SIZE, down.bytes());
        assertEquals(up.sha256(), down.sha256());
        HeapSampler upHeap = up.heap();
        HeapSampler downHeap = down.heap();
        System.out.printf("1 GiB: up %.0f MB/s, used heap peak %d MiB, live %d MiB (%d full GCs); down %.0f MB/s, used heap peak %d MiB,"
                        + " live %d MiB (%d full GCs); max heap %d MiB%n",
                up.mbPerSecond(), upHeap.peakUsedBytes() >> 20, upHeap.peakLiveBytes() >> 20,
                upHeap.liveSamples(), down.mbPerSecond(), downHeap.peakUsedBytes() >> 20,
                downHeap.peakLiveBytes() >> 20, downHeap.liveSamples(), maxHeap >> 20);
        for (HeapSampler heap : new HeapSampler[] {upHeap, downHeap}) {
            assertTrue(heap.liveSamples() > 0, "no full collection ran during the transfer: no live figure");
            assertTrue(heap.peakUsedBytes() < USED_BOUND, "used heap peak " + (heap.peakUsedBytes() >> 20) + " MiB");
            assertTrue(heap.peakLiveBytes() < LIVE_BOUND, "live heap peak " + (heap.peakLiveBytes() >> 20) + " MiB");
        }
    }
}
