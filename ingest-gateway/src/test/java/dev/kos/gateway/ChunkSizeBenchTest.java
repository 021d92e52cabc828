package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Chooses the default chunk size by measurement: 512 MiB up and down through the real gateway
 * to 6 in-process storage nodes (with Kafka and the placement service running), for chunk
 * sizes 4 to 64 MiB, 3 runs each; prints the median MB/s and the peak used heap per size as a
 * Markdown table. The 15 files (7.5 GiB) stay on the nodes' temp dirs until the run ends. Run: {@code ./mvnw -B -q -ntp -pl ingest-gateway -Pbench verify}
 * (output in target/surefire-reports/dev.kos.gateway.ChunkSizeBenchTest-output.txt).
 */
@Tag("bench")
class ChunkSizeBenchTest {
    static final long SIZE = 512L << 20;
    static final int RUNS = 3;
    static final int[] CHUNK_MIB = {4, 8, 16, 32, 64};
    @TempDir
    static Path dir;
    static GatewayHarness h;
    final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() {
        h = new GatewayHarness(dir, 6, GatewayHarness.config(8 << 20, 32L << 20, 1L << 30));
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    @Test
    void chunkSizes() throws Exception {
        StringBuilder table = new StringBuilder("| chunk | up MB/s (median of " + RUNS + ") | down MB/s | peak used heap up / down |\n"
                + "|---|---|---|---|\n");
        for (int mib : CHUNK_MIB) {
            int chunk = mib << 20;
            // Two chunks per upload at most; four leaves room without favouring small chunks.
            h.startGateway(GatewayHarness.config(chunk, 4L * chunk, 1L << 30));
            double[] up = new double[RUNS];
            double[] down = new double[RUNS];
            long upHeap = 0;
            long downHeap = 0;
            for (int run = 0; run < RUNS; run++) {
                MessageDigest sent = MessageDigest.getInstance("SHA-256");
                HttpResponse<String> r;
                long t0 = System.nanoTime();
                try (HeapSampler heap = new HeapSampler(Duration.ofMillis(10))) {
                    InputStream body = new DigestInputStream(new SeededStream(SIZE, run), sent);
                    r = http.send(HttpRequest.newBuilder(h.uri("/files?name=bench-" + mib + "-" + run))
                            .header("Content-Type", "application/octet-stream")
                            .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), SIZE))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    upHeap = Math.max(upHeap, heap.peakUsedBytes());
                }
                up[run] = SIZE / 1e6 / ((System.nanoTime() - t0) / 1e9);
                assertEquals(201, r.statusCode(), r.body());
                UUID id = GatewayApiTest.idOf(r);
                MessageDigest received = MessageDigest.getInstance("SHA-256");
                t0 = System.nanoTime();
                try (HeapSampler heap = new HeapSampler(Duration.ofMillis(10))) {
                    HttpResponse<InputStream> d = http.send(HttpRequest.newBuilder(h.uri("/files/" + id)).build(),
                            HttpResponse.BodyHandlers.ofInputStream());
                    try (InputStream in = d.body()) {
                        byte[] buf = new byte[256 * 1024];
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            received.update(buf, 0, n);
                        }
                    }
                    downHeap = Math.max(downHeap, heap.peakUsedBytes());
                }
                down[run] = SIZE / 1e6 / ((System.nanoTime() - t0) / 1e9);
                assertEquals(HexFormat.of().formatHex(sent.digest()), HexFormat.of().formatHex(received.digest()));
            }
            table.append(String.format("| %d MiB | %.0f | %.0f | %d / %d MiB |%n", mib, median(up), median(down),
                    upHeap >> 20, downHeap >> 20));
            System.out.printf("chunk %d MiB: up %s down %s%n", mib, Arrays.toString(up), Arrays.toString(down));
        }
        System.out.println(table);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }
}
