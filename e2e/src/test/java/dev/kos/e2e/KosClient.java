package dev.kos.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** The gateway's HTTP API as a test sees it, on java.net.http; bodies stream both ways. */
final class KosClient {
    private final String baseUrl;
    private final HttpClient http;

    KosClient(String baseUrl) {
        this.baseUrl = baseUrl;
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5))
                .build();
    }

    /** A response with a small body (JSON or an error document). */
    record Response(int status, String body, Map<String, List<String>> headers) {
        Map<String, Object> json() {
            return Json.object(body);
        }

        @Override
        public String toString() {
            return status + " " + body.substring(0, Math.min(body.length(), 500));
        }
    }

    /** A downloaded body, hashed while it streamed past and never kept. */
    record Download(int status, long bytes, String sha256, String errorBody) {
    }

    /** POSTs the data as a raw application/octet-stream body with its length declared. */
    Response upload(String name, SeededData data) {
        return upload(name, data, data.size());
    }

    Response upload(String name, InputStream body, long declaredLength) {
        HttpRequest.BodyPublisher publisher = BodyPublishers.ofInputStream(() -> body);
        HttpRequest request = HttpRequest.newBuilder(uri("/files?name=" + URLEncoder.encode(name, StandardCharsets.UTF_8)))
                .header("Content-Type", "application/octet-stream")
                .POST(declaredLength >= 0 ? BodyPublishers.fromPublisher(publisher, declaredLength) : publisher)
                .build();
        return send(request);
    }

    /** A fresh id for each upload from the same seed: names stay unique and findable. */
    static String uniqueName(String prefix) {
        return prefix + "-" + UUID.randomUUID() + ".bin";
    }

    static UUID id(Response created) {
        return UUID.fromString((String) created.json().get("id"));
    }

    Download download(UUID id) {
        HttpRequest request = HttpRequest.newBuilder(uri("/files/" + id)).GET().build();
        try {
            HttpResponse<InputStream> r = http.send(request, BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200) {
                    return new Download(r.statusCode(), 0, null, new String(in.readAllBytes(), StandardCharsets.UTF_8));
                }
                MessageDigest sha = SeededData.newSha256();
                byte[] buf = new byte[64 * 1024];
                long total = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, n);
                    total += n;
                }
                return new Download(200, total, HexFormat.of().formatHex(sha.digest()), null);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("GET /files/" + id + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    Response metadata(UUID id) {
        return get("/files/" + id + "/metadata");
    }

    Response get(String path) {
        return send(HttpRequest.newBuilder(uri(path)).GET().build());
    }

    Response delete(UUID id) {
        return send(HttpRequest.newBuilder(uri("/files/" + id)).DELETE().build());
    }

    Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = http.send(request, BodyHandlers.ofString());
            return new Response(r.statusCode(), r.body(), r.headers().map());
        } catch (IOException e) {
            throw new UncheckedIOException(request.method() + " " + request.uri() + " failed", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    URI uri(String path) {
        return URI.create(baseUrl + path);
    }
}
