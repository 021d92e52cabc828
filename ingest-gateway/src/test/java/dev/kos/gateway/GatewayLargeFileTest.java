package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
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
 * transfer: used heap (MemoryMXBean, any sample) under 448 MiB, and heap after any collection
 * (the live set) under 192 MiB. A gateway holding the file, or a quarter of it, breaks both.
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
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        HttpResponse<String> up;
        HeapSampler upHeap;
        long upNanos = System.nanoTime();
        try (HeapSampler heap = new HeapSampler(Duration.ofMillis(10))) {
            upHeap = heap;
            InputStream body = new DigestInputStream(new SeededStream(SIZE, 42), sent);
            up = http.send(HttpRequest.newBuilder(h.uri("/files?name=big.bin"))
                    .header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), SIZE))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }
        upNanos = System.nanoTime() - upNanos;
        assertEquals(201, up.statusCode(), up.body());
        String sha = HexFormat.of().formatHex(sent.digest());
        assertTrue(up.body().contains("\"sha256\":\"" + sha + "\""), up.body());
        UUID id = GatewayApiTest.idOf(up);

        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        HeapSampler downHeap;
        long downNanos = System.nanoTime();
        try (HeapSampler heap = new HeapSampler(Duration.ofMillis(10))) {
            downHeap = heap;
            HttpResponse<InputStream> down = http.send(HttpRequest.newBuilder(h.uri("/files/" + id)).build(),
                    HttpResponse.BodyHandlers.ofInputStream());
            assertEquals(200, down.statusCode());
            try (InputStream in = down.body()) {
                byte[] buf = new byte[256 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    received.update(buf, 0, n);
                    bytes += n;
                }
            }
        }
        downNanos = System.nanoTime() - downNanos;
        assertEquals(SIZE, bytes);
        assertEquals(sha, HexFormat.of().formatHex(received.digest()));
        System.out.printf("1 GiB: up %.0f MB/s, used heap peak %d MiB, live %d MiB (%d GCs); down %.0f MB/s, used heap peak %d MiB,"
                        + " live %d MiB (%d GCs); max heap %d MiB%n",
                SIZE / 1e6 / (upNanos / 1e9), upHeap.peakUsedBytes() >> 20, upHeap.peakAfterGcBytes() >> 20,
                upHeap.collectionsSinceStart(), SIZE / 1e6 / (downNanos / 1e9), downHeap.peakUsedBytes() >> 20,
                downHeap.peakAfterGcBytes() >> 20, downHeap.collectionsSinceStart(), maxHeap >> 20);
        for (HeapSampler heap : new HeapSampler[] {upHeap, downHeap}) {
            assertTrue(heap.collectionsSinceStart() > 0, "no collection ran: the live figure would be stale");
            assertTrue(heap.peakUsedBytes() < USED_BOUND, "used heap peak " + (heap.peakUsedBytes() >> 20) + " MiB");
            assertTrue(heap.peakAfterGcBytes() < LIVE_BOUND, "live heap peak " + (heap.peakAfterGcBytes() >> 20) + " MiB");
        }
    }
}
