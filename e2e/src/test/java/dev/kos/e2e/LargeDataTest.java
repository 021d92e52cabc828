package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static dev.kos.e2e.Checks.assertDownloads;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * GiB-sized files through the real stack with its production chunk size and limits
 * (10 GiB), while the gateway's resident memory is sampled. Run with {@code -Plarge-data}.
 */
@Tag("large-data")
@Timeout(value = 40, unit = TimeUnit.MINUTES)
class LargeDataTest {
    private static final long GIB = 1L << 30;
    private static final long MAX_SIZE = 10 * GIB;
    /**
     * The local stack's gateway has a 288 MiB heap holding 128 MiB of chunk buffers; heap, direct
     * buffers and the JVM's own must stay under issue 7's 512 MiB whatever the file size.
     */
    private static final long RSS_BOUND = 512L << 20;
    private static TestStack s;

    @BeforeAll
    static void start() {
        s = TestStack.startWithFullJit("large", Map.of());
    }

    @AfterAll
    static void stop() {
        if (s != null) {
            s.close();
        }
    }

    /** Runs the transfer while sampling the gateway's RSS; asserts the bound and prints the peak. */
    private static void withGatewayRss(String what, ThrowingRunnable transfer) throws Exception {
        long started = System.nanoTime();
        try (RssSampler rss = new RssSampler(s.stack.pid("gateway"))) {
            transfer.run();
            long peak = rss.peakBytes();
            System.out.printf("e2e-measure: %s took %.1f s, gateway peak RSS %d MiB over %d samples%n", what,
                    (System.nanoTime() - started) / 1e9, peak >> 20, rss.samples());
            assertTrue(rss.samples() > 10, "RSS was sampled during the transfer");
            assertTrue(peak < RSS_BOUND, () -> what + ": gateway RSS peaked at " + (peak >> 20) + " MiB, over "
                    + (RSS_BOUND >> 20) + " MiB");
        }
    }

    interface ThrowingRunnable {
        void run() throws Exception;
    }

    @Test
    void TestUploadDownload_LargeFile() throws Exception {
        SeededData data = SeededData.of(5_000, 5 * GIB);
        UUID[] id = new UUID[1];
        withGatewayRss("5 GiB upload", () -> id[0] = uploadCompleted(s.client, KosClient.uniqueName("large"), data));
        List<StackDb.Location> locations = s.db.locations(id[0]);
        // The chunk size is the gateway's default (whatever it is today): read it, do not assume it.
        long chunkSize = (Long) s.client.metadata(id[0]).json().get("chunk_size");
        assertEquals((data.size() + chunkSize - 1) / chunkSize,
                locations.stream().map(StackDb.Location::chunkId).distinct().count());
        assertEquals(TestStack.NODES, locations.stream().map(StackDb.Location::nodeId).distinct().count(),
                "a 5 GiB file has chunks on every node");
        withGatewayRss("5 GiB download", () -> assertDownloads(s.client, id[0], data.size(), data.sha256Hex()));
    }

    @Test
    void TestUploadDownload_MaxSize() throws Exception {
        SeededData data = SeededData.of(10_000, MAX_SIZE);
        UUID[] id = new UUID[1];
        withGatewayRss("10 GiB upload", () -> id[0] = uploadCompleted(s.client, KosClient.uniqueName("max"), data));
        withGatewayRss("10 GiB download", () -> assertDownloads(s.client, id[0], data.size(), data.sha256Hex()));
    }

    /**
     * 11 GiB with chunked encoding (no length to judge up front): refused with 413 once the limit
     * is crossed, not before, and not after reading it all. A reader thread catches the answer
     * while the writer still sends, since the gateway answers and closes mid-body.
     */
    @Test
    void TestUpload_ExceedsMaxSize() throws Exception {
        String name = KosClient.uniqueName("over-limit");
        URI base = URI.create(s.stack.gatewayUrl());
        AtomicLong sentWhenAnswered = new AtomicLong(-1);
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket(base.getHost(), base.getPort());
             SeededData data = SeededData.of(11_000, 11 * GIB)) {
            CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> {
                try {
                    InputStream in = socket.getInputStream();
                    StringBuilder line = new StringBuilder();
                    for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
                        line.append((char) c);
                    }
                    sentWhenAnswered.set(sent.get());
                    return line.toString();
                } catch (IOException e) {
                    return "no answer: " + e;
                }
            });
            withGatewayRss("11 GiB chunked upload", () -> {
                OutputStream out = socket.getOutputStream();
                out.write(("POST /files?name=" + name + " HTTP/1.1\r\nHost: " + base.getHost() + ":" + base.getPort()
                        + "\r\nContent-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n\r\n")
                        .getBytes(StandardCharsets.US_ASCII));
                byte[] buf = new byte[1 << 20];
                try {
                    for (int n; !answer.isDone() && (n = data.read(buf)) > 0; ) {
                        out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                        out.write(buf, 0, n);
                        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
                        sent.addAndGet(n);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException closedByGateway) {
                    // expected: the gateway stops reading once it refused the body
                }
            });
            String statusLine = answer.get(5, TimeUnit.MINUTES);
            assertNotNull(statusLine);
            assertTrue(statusLine.startsWith("HTTP/1.1 413"), () -> "expected 413, got " + statusLine);
            long at = sentWhenAnswered.get();
            System.out.printf("e2e-measure: chunked upload refused after %d MiB sent%n", at >> 20);
            assertTrue(at >= MAX_SIZE - (64L << 20), () -> "refused after only " + at + " bytes: before the limit");
            assertTrue(at < 11 * GIB, "refused before the whole 11 GiB was read");
        }
        UUID id = s.db.fileNamed(name).orElseThrow();
        Poll.until(Duration.ofSeconds(30), "the refused upload failed", () -> s.db.fileStatus(id),
                st -> st.equals(Optional.of("failed")) || st.equals(Optional.of("deleted")));
        assertTrue(s.client.download(id).status() != 200, "a refused upload is never readable");
    }
}
