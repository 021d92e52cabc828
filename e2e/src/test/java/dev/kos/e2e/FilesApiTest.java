package dev.kos.e2e;

import static dev.kos.e2e.Checks.assertChunksOnDisk;
import static dev.kos.e2e.Checks.assertDownloads;
import static dev.kos.e2e.Checks.assertError;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** The single-file scenarios of the brief: round trip, metadata, errors, size limit by Content-Length. */
@ExtendWith(SharedStack.class)
@Timeout(120)
class FilesApiTest {
    private static final long MIB = 1L << 20;
    private final TestStack s = SharedStack.stack();

    @Test
    void TestUploadDownload_SmallFile() {
        SeededData data = SeededData.of(101, 10 * MIB);
        UUID id = uploadCompleted(s.client, KosClient.uniqueName("small"), data);

        assertDownloads(s.client, id, data.size(), data.sha256Hex());
        List<StackDb.Location> locations = assertChunksOnDisk(s, id, 10);
        long nodesUsed = locations.stream().map(StackDb.Location::nodeId).distinct().count();
        assertTrue(nodesUsed > 1, () -> "10 chunks should spread over the ring, all went to " + locations);
        assertEquals(Optional.of("completed"), s.db.fileStatus(id));
        assertEquals(0, s.db.sessionCount(id), "a completed upload leaves no open session");
    }

    @Test
    void TestDownload_NonExistentFile() {
        UUID unknown = UUID.randomUUID();
        assertEquals(404, s.client.download(unknown).status());
        assertError(s.client.get("/files/" + unknown), 404, "file_not_found");
        assertError(s.client.metadata(unknown), 404, "file_not_found");
        assertError(s.client.delete(unknown), 404, "file_not_found");
        // Not an id at all is bad input, not a missing file.
        assertError(s.client.get("/files/not-a-uuid"), 400, null);
    }

    @Test
    void TestGetFileMetadata() {
        SeededData data = SeededData.of(202, 3 * MIB + 12345);
        String name = KosClient.uniqueName("report").replace(".bin", ".pdf");
        Instant before = Instant.now().minusSeconds(5);
        UUID id = uploadCompleted(s.client, name, data);

        KosClient.Response r = s.client.metadata(id);
        assertEquals(200, r.status(), r::toString);
        Map<String, Object> m = r.json();
        assertEquals(id.toString(), m.get("id"));
        assertEquals(name, m.get("name"));
        assertEquals("application/pdf", m.get("content_type"), "type guessed from the name");
        assertEquals(data.size(), m.get("size"));
        assertEquals(data.sha256Hex(), m.get("sha256"));
        assertEquals("completed", m.get("status"));
        assertEquals(SharedStack.CHUNK_SIZE, m.get("chunk_size"));
        assertEquals(4L, m.get("chunk_count"));
        Instant created = Instant.parse((String) m.get("created_at"));
        Instant completed = Instant.parse((String) m.get("completed_at"));
        assertTrue(created.isAfter(before) && !completed.isBefore(created), () -> "timestamps " + m);

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> chunks = (List<Map<String, Object>>) m.get("chunks");
        assertEquals(4, chunks.size());
        long total = 0;
        Map<String, String> nodeByChunk = s.db.locations(id).stream()
                .collect(Collectors.toMap(StackDb.Location::chunkId, StackDb.Location::nodeId));
        for (int i = 0; i < chunks.size(); i++) {
            Map<String, Object> c = chunks.get(i);
            assertEquals((long) i, c.get("index"));
            total += (Long) c.get("size");
            String chunkId = (String) c.get("chunk_id");
            assertEquals(List.of(nodeByChunk.get(chunkId)), c.get("nodes"), "chunk distribution is the database's");
            assertTrue(((String) c.get("crc32c")).matches("[0-9a-f]{8}"), () -> "crc32c of " + c);
        }
        assertEquals(data.size(), total, "chunk sizes add up to the file size");
    }

    @Test
    void TestUpload_InvalidContentType() {
        String name = KosClient.uniqueName("bad-type");
        HttpRequest textPlain = HttpRequest.newBuilder(s.client.uri("/files?name=" + name))
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofString("hello"))
                .build();
        assertError(s.client.send(textPlain), 400, "unsupported_content_type");

        HttpRequest none = HttpRequest.newBuilder(s.client.uri("/files?name=" + name))
                .POST(HttpRequest.BodyPublishers.ofString("hello"))
                .build();
        assertError(s.client.send(none), 400, "missing_content_type");

        HttpRequest noBoundary = HttpRequest.newBuilder(s.client.uri("/files"))
                .header("Content-Type", "multipart/form-data")
                .POST(HttpRequest.BodyPublishers.ofString("hello"))
                .build();
        assertError(s.client.send(noBoundary), 400, "bad_multipart");

        assertEquals(Optional.empty(), s.db.fileNamed(name), "a refused upload leaves no file row");
    }

    /**
     * 11 GiB declared, a few bytes sent: the 413 can only come back if the gateway judged the
     * Content-Length before reading the body. (The chunked variant moves 10 GiB: large-data.)
     */
    @Test
    void TestUpload_ExceedsMaxSize() throws Exception {
        String name = KosClient.uniqueName("too-large");
        URI base = URI.create(s.stack.gatewayUrl());
        try (Socket socket = new Socket(base.getHost(), base.getPort())) {
            socket.setSoTimeout(15_000);
            OutputStream out = socket.getOutputStream();
            out.write(("POST /files?name=" + name + " HTTP/1.1\r\n"
                    + "Host: " + base.getHost() + ":" + base.getPort() + "\r\n"
                    + "Content-Type: application/octet-stream\r\n"
                    + "Content-Length: " + (11L << 30) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1024]);
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.ISO_8859_1));
            String statusLine = in.readLine();
            assertNotNull(statusLine, "the gateway closed without answering");
            assertTrue(statusLine.startsWith("HTTP/1.1 413"), () -> "expected 413, got " + statusLine);
        }
        assertEquals(Optional.empty(), s.db.fileNamed(name), "a refused upload leaves no file row");
    }
}
