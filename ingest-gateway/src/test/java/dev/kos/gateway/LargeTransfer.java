package dev.kos.gateway;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;

/**
 * One large upload or download through the gateway, streamed (seeded bytes up, hashed bytes
 * down, nothing held), timed, with the heap sampled while it runs.
 */
record LargeTransfer(int status, String body, String sha256, long bytes, double mbPerSecond, HeapSampler heap) {

    static LargeTransfer upload(HttpClient http, URI uri, long size, long seed) throws Exception {
        MessageDigest sent = MessageDigest.getInstance("SHA-256");
        long t0 = System.nanoTime();
        HttpResponse<String> r;
        HeapSampler heap = new HeapSampler(Duration.ofMillis(10), Duration.ofSeconds(1));
        try (heap) {
            InputStream body = new DigestInputStream(new SeededStream(size, seed), sent);
            r = http.send(HttpRequest.newBuilder(uri).header("Content-Type", "application/octet-stream")
                    .POST(HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> body), size))
                    .build(), HttpResponse.BodyHandlers.ofString());
        }
        return new LargeTransfer(r.statusCode(), r.body(), HexFormat.of().formatHex(sent.digest()), size, rate(size, t0), heap);
    }

    static LargeTransfer download(HttpClient http, URI uri) throws Exception {
        MessageDigest received = MessageDigest.getInstance("SHA-256");
        long t0 = System.nanoTime();
        long bytes = 0;
        int status;
        HeapSampler heap = new HeapSampler(Duration.ofMillis(10), Duration.ofSeconds(1));
        try (heap) {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofInputStream());
            status = r.statusCode();
            try (InputStream in = r.body()) {
                byte[] buf = new byte[256 * 1024];
                int n;
                while ((n = in.read(buf)) > 0) {
                    received.update(buf, 0, n);
                    bytes += n;
                }
            }
        }
        return new LargeTransfer(status, "", HexFormat.of().formatHex(received.digest()), bytes, rate(bytes, t0), heap);
    }

    private static double rate(long bytes, long startNanos) {
        return bytes / 1e6 / ((System.nanoTime() - startNanos) / 1e9);
    }
}
