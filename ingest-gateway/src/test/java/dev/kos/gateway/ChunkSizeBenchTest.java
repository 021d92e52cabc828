package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
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
                LargeTransfer u = LargeTransfer.upload(http, h.uri("/files?name=bench-" + mib + "-" + run), SIZE, run);
                assertEquals(201, u.status(), u.body());
                LargeTransfer d = LargeTransfer.download(http, h.uri("/files/" + GatewayApiTest.idOf(u.body())));
                assertEquals(u.sha256(), d.sha256());
                up[run] = u.mbPerSecond();
                down[run] = d.mbPerSecond();
                upHeap = Math.max(upHeap, u.heap().peakUsedBytes());
                downHeap = Math.max(downHeap, d.heap().peakUsedBytes());
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
