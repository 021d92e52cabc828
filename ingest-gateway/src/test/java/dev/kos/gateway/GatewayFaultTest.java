package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.ring.HashRing;
import dev.kos.ring.RingNode;
import dev.kos.storagenode.StorageNodeServer;
import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Storage nodes dying, filling up or vanishing, and clients stalling. */
class GatewayFaultTest {
    private static final int CHUNK = GatewayHarness.CHUNK;
    @TempDir
    static Path dir;
    static GatewayHarness h;
    final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() {
        h = new GatewayHarness(dir, 3);
    }

    @AfterAll
    static void stop() {
        h.close();
    }

    /** Tests change the ring (empty, full nodes); the next one starts from the harness's nodes. */
    @AfterEach
    void restoreRing() {
        h.resetRing();
    }

    private Optional<UUID> fileNamed(String name) {
        return h.fileNamed(name);
    }

    private String nodeOfChunk(UUID fileId, int index) {
        return h.db.withConnection(c -> {
            try (var ps = c.prepareStatement("SELECT l.node_id FROM chunks k JOIN chunk_locations l USING (chunk_id) "
                    + "WHERE k.file_id = ? AND k.chunk_index = ?")) {
                ps.setObject(1, fileId);
                ps.setInt(2, index);
                try (var rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    return rs.getString(1);
                }
            }
        });
    }

    @Test
    void nodeKilledMidUploadCostsOneChunkRetry() throws Exception {
        int chunks = 12;
        int killAtChunk = 8;
        byte[] data = GatewayApiTest.random(chunks * CHUNK, 11);
        AtomicReference<String> killed = new AtomicReference<>();
        AtomicReference<Integer> killedPort = new AtomicReference<>();
        // Feeds the body; once 3 chunks are through it kills the node that owns chunk 8.
        InputStream body = new InputStream() {
            int pos;

            @Override
            public int read() {
                throw new UnsupportedOperationException();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                if (pos >= data.length) {
                    return -1;
                }
                if (killed.get() == null && pos >= 3 * CHUNK) {
                    // The client reads ahead of the server: wait until the gateway created the file.
                    assertTrue(GatewayHarness.await(Duration.ofSeconds(10), () -> fileNamed("killed.bin").isPresent()));
                    UUID id = fileNamed("killed.bin").orElseThrow();
                    RingNode owner = h.ring.get().preferenceList(ChunkIds.of(id, killAtChunk), 1).getFirst();
                    StorageNodeServer node = h.nodes.get(owner.nodeId());
                    killedPort.set(node.port());
                    node.close();
                    killed.set(owner.nodeId());
                }
                int n = Math.min(len, Math.min(64 * 1024, data.length - pos));
                System.arraycopy(data, pos, b, off, n);
                pos += n;
                return n;
            }
        };
        HttpResponse<String> up = http.send(HttpRequest.newBuilder(h.uri("/files?name=killed.bin"))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> body)).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(201, up.statusCode(), up.body());
        UUID id = GatewayApiTest.idOf(up);
        assertTrue(killed.get() != null, "the node was killed during the upload");
        assertNotEquals(killed.get(), nodeOfChunk(id, killAtChunk), "chunk 8 went to the next node of the ring");
        List<String> events = h.events.awaitPublished(id, "file_completed");
        assertEquals(chunks, events.stream().filter("chunk_stored"::equals).count(), events.toString());

        // Bring the node back on its address: chunks stored before the kill are readable again.
        StorageNodeServer back = h.startNode(killed.get(), killedPort.get());
        assertTrue(GatewayHarness.await(Duration.ofSeconds(15), () -> {
            try {
                h.clients.client("127.0.0.1:" + back.port()).health();
                return true;
            } catch (RuntimeException e) {
                return false;
            }
        }));
        HttpResponse<byte[]> down = http.send(HttpRequest.newBuilder(h.uri("/files/" + id)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, down.statusCode());
        assertEquals(GatewayApiTest.sha256(data), GatewayApiTest.sha256(down.body()));
    }

    @Test
    void noActiveNodeIs503AndTheFileFails() throws Exception {
        h.ring.set(HashRing.empty());
        HttpResponse<String> up = upload(h, "nonode.bin", new byte[1000]);
        GatewayApiTest.assertError(up, 503, "no_storage_nodes");
        assertEquals("failed", h.status(fileNamed("nonode.bin").orElseThrow()));
        HttpResponse<String> ready = http.send(HttpRequest.newBuilder(h.uri("/ready")).build(), HttpResponse.BodyHandlers.ofString());
        assertEquals(503, ready.statusCode());
        assertTrue(ready.body().contains("\"state\":\"no_active_nodes\""), ready.body());
    }

    @Test
    void everyCandidateFullIs507() throws Exception {
        StorageNodeServer full1 = h.startNode("full-1", 0, Long.MAX_VALUE / 4);
        StorageNodeServer full2 = h.startNode("full-2", 0, Long.MAX_VALUE / 4);
        h.ring.set(HashRing.of(99, List.of(RingNode.of("full-1", "127.0.0.1:" + full1.port()),
                RingNode.of("full-2", "127.0.0.1:" + full2.port()))));
        double refusedBefore = metric("kos_gateway_chunk_puts_total{outcome=\"full\"}");
        HttpResponse<String> up = upload(h, "full.bin", new byte[1000]);
        GatewayApiTest.assertError(up, 507, "storage_full");
        assertEquals("failed", h.status(fileNamed("full.bin").orElseThrow()));
        assertEquals(2, metric("kos_gateway_chunk_puts_total{outcome=\"full\"}") - refusedBefore, "both full nodes refused");
    }

    @Test
    void aDownloadTheClientAbandonsIsCountedOnceAndLeavesNothingInFlight() throws Exception {
        byte[] data = GatewayApiTest.random(24 * CHUNK, 41); // far more than loopback socket buffers hold
        HttpResponse<String> up = upload(h, "abandoned.bin", data);
        assertEquals(201, up.statusCode(), up.body());
        String ok = "kos_http_requests_total{method=\"GET\",route=\"/files/{id}\",code=\"200\"}";
        double before = metric(ok);
        try (Socket s = new Socket("127.0.0.1", h.server.port())) {
            s.getOutputStream().write(("GET /files/" + GatewayApiTest.idOf(up) + " HTTP/1.1\r\nHost: x\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            assertTrue(s.getInputStream().read(new byte[64 * 1024]) > 0, "the download started");
        } // closed with most of the body unread: the gateway's writes fail
        Poll.until(Duration.ofSeconds(30), () -> metric(ok) - before == 1
                && metric("kos_http_requests_in_flight") == 0, () -> "the cut download counted once, nothing left in flight: "
                + (metric(ok) - before) + " counted, " + metric("kos_http_requests_in_flight") + " in flight");
    }

    /** One sample of the harness gateway's metrics, read in process (0 when it has none yet). */
    private static double metric(String sample) {
        return Metrics.value(Metrics.parse(h.gateway.metrics().registry().scrape()), sample);
    }

    @Test
    void stalledClientFailsTheUploadAfterTheIdleTimeout() throws Exception {
        try (Socket s = new Socket("127.0.0.1", h.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /files?name=stalled.bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + (5 * CHUNK) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[CHUNK + 10]);
            out.flush();
            // Then nothing: the gateway's idle timeout (2 s in the harness) must end the upload.
            assertTrue(GatewayHarness.await(Duration.ofSeconds(15),
                    () -> fileNamed("stalled.bin").map(id -> "failed".equals(h.status(id))).orElse(false)));
            UUID id = fileNamed("stalled.bin").orElseThrow();
            assertEquals("upload_aborted", h.events.awaitPublished(id, "upload_aborted").getLast());
            // Chunk 0 was in flight while the client stalled on chunk 1. It must be in the
            // metadata, so the cleanup worker deletes it with the failed upload; unrecorded, it
            // would stay on a node's disk until the orphan collector's grace period passed.
            assertEquals(List.of(ChunkIds.of(id, 0)), h.gateway.catalog().chunks(id).stream()
                    .map(c -> c.chunkId()).toList());
        }
    }

    @Test
    void aClientStalledInsideItsFirstChunkFailsTheUploadToo() throws Exception {
        try (Socket s = new Socket("127.0.0.1", h.server.port())) {
            OutputStream out = s.getOutputStream();
            out.write(("POST /files?name=stalled-small.bin HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
                    + "Content-Length: " + (CHUNK / 2) + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write(new byte[1000]);
            out.flush();
            // Never begun (its body has not filled a chunk): the idle timeout records it failed at once.
            assertTrue(GatewayHarness.await(Duration.ofSeconds(15),
                    () -> fileNamed("stalled-small.bin").map(id -> "failed".equals(h.status(id))).orElse(false)));
            UUID id = fileNamed("stalled-small.bin").orElseThrow();
            assertEquals(List.of("upload_started", "upload_aborted"), h.events.awaitPublished(id, "upload_aborted"));
            assertEquals(0, h.chunkRows(id));
        }
    }

    /**
     * The outbox across a gateway crash between the metadata commit and the publish: with no
     * relay running, an upload commits its rows and events but nothing reaches Kafka, so the
     * placement service never hears of it and POST answers 202. The gateway then dies; a new
     * gateway process (its relay) publishes the waiting events, and the placement service
     * completes the file, which downloads intact.
     */
    @Test
    void eventsCommittedBeforeAGatewayCrashArePublishedByTheNextGateway() throws Exception {
        byte[] data = GatewayApiTest.random(3 * CHUNK + 1, 21);
        h.events.stopRelay();
        h.startGateway(GatewayHarness.config(CHUNK, 8L * CHUNK, GatewayHarness.MAX_FILE, Duration.ofMillis(500)));
        UUID id;
        try {
            HttpResponse<String> up = upload(h, "crash.bin", data);
            assertEquals(202, up.statusCode(), up.body());
            id = GatewayApiTest.idOf(up);
            assertEquals("/files/" + id + "/metadata", up.headers().firstValue("Location").orElseThrow());
            assertEquals("uploading", h.status(id), "sealed, not completed: the placement service saw nothing");
            List<String> waiting = List.of("upload_started", "chunk_stored", "chunk_stored", "chunk_stored", "chunk_stored",
                    "upload_sealed");
            assertEquals(waiting, h.unpublished(id));
            assertEquals(List.of(), h.events.published(id));
        } finally {
            h.stopGateway(); // the crash: the rows stay in the outbox, unpublished
            h.events.startRelay();
            h.startGateway(GatewayHarness.config(CHUNK, 8L * CHUNK, GatewayHarness.MAX_FILE));
        }
        assertEquals(List.of("upload_started", "chunk_stored", "chunk_stored", "chunk_stored", "chunk_stored",
                "upload_sealed", "file_completed"), h.events.awaitPublished(id, "file_completed"));
        assertEquals("completed", h.status(id));
        // The relay deletes rows once Kafka acknowledged them, just after consumers may see them.
        Poll.until(() -> h.unpublished(id).isEmpty(), "the outbox of " + id + " drained");
        HttpResponse<byte[]> down = http.send(HttpRequest.newBuilder(h.uri("/files/" + id)).build(),
                HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, down.statusCode());
        assertEquals(GatewayApiTest.sha256(data), GatewayApiTest.sha256(down.body()));
    }

    /**
     * A download reads a file's chunk locations once. If rebalancing then moves a chunk and the
     * cleanup worker deletes the old copy, the download must find the new copy, not fail.
     */
    @Test
    void aDownloadWhoseChunkMovedMidwayReadsTheNewCopy() throws Exception {
        byte[] data = GatewayApiTest.random(2 * CHUNK + 5, 31);
        HttpResponse<String> up = upload(h, "moved.bin", data);
        assertEquals(201, up.statusCode(), up.body());
        UUID id = GatewayApiTest.idOf(up);
        List<ReadableChunk> stale = h.gateway.nodes().readable(h.gateway.catalog().chunks(id));

        // Move chunk 0 the way the rebalancer does: copy, record the new copy, drop the old one.
        dev.kos.metadata.ChunkRecord chunk = stale.get(0).chunk();
        ReadableChunk.Copy from = stale.get(0).copies().get(0);
        String to = h.nodes.keySet().stream().filter(n -> n.startsWith("node-") && !n.equals(from.nodeId()))
                .findFirst().orElseThrow();
        String toAddress = "127.0.0.1:" + h.nodes.get(to).port();
        byte[] bytes;
        try (InputStream in = h.clients.client(from.address()).openRead(chunk.chunkId(), 0, 0)) {
            bytes = in.readAllBytes();
        }
        h.clients.client(toAddress).put(chunk.chunkId(), java.nio.ByteBuffer.wrap(bytes), chunk.crc32c(), Duration.ofSeconds(10));
        dev.kos.metadata.ChunkRepository chunks = new dev.kos.metadata.ChunkRepository();
        h.db.inTransaction(c -> {
            chunks.addLocation(c, chunk.chunkId(), to, dev.kos.metadata.LocationState.STORED);
            chunks.removeLocation(c, chunk.chunkId(), from.nodeId());
            return null;
        });
        assertTrue(h.clients.client(from.address()).delete(chunk.chunkId()));

        java.io.ByteArrayOutputStream withoutRelocation = new java.io.ByteArrayOutputStream();
        org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> h.gateway.streamer()
                .write(stale, CHUNK, ByteRange.whole(data.length), withoutRelocation));

        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        h.gateway.streamer().write(stale, CHUNK, ByteRange.whole(data.length), out, FilesService.relocator(h.gateway));
        org.junit.jupiter.api.Assertions.assertArrayEquals(data, out.toByteArray());
    }

    private HttpResponse<String> upload(GatewayHarness harness, String name, byte[] body) throws Exception {
        return http.send(HttpRequest.newBuilder(harness.uri("/files?name=" + name))
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
