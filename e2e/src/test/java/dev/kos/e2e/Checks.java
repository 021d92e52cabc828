package dev.kos.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** Assertions several scenarios share. */
final class Checks {
    private Checks() {
    }

    /** An error answer is JSON with the documented fields: status, a code, a message and the request id. */
    static Map<String, Object> assertError(KosClient.Response r, int status, String code) {
        assertEquals(status, r.status(), () -> "expected " + status + ", got " + r);
        Map<String, Object> body = r.json();
        assertEquals((long) status, body.get("status"), () -> "error body " + r.body());
        if (code != null) {
            assertEquals(code, body.get("error"), () -> "error body " + r.body());
        }
        assertTrue(body.get("message") instanceof String m && !m.isBlank(), () -> "no message in " + r.body());
        assertTrue(body.get("request_id") instanceof String id && !id.isBlank(), () -> "no request_id in " + r.body());
        return body;
    }

    /** Uploads and asserts 201 with a completed file whose size and SHA-256 are the data's. */
    static UUID uploadCompleted(KosClient client, String name, SeededData data) {
        KosClient.Response r = client.upload(name, data);
        assertEquals(201, r.status(), () -> "upload of " + name + ": " + r);
        Map<String, Object> body = r.json();
        assertEquals("completed", body.get("status"), r::toString);
        assertEquals(data.size(), body.get("size"), r::toString);
        assertEquals(data.sha256Hex(), body.get("sha256"), "the gateway's SHA-256 is the data's");
        return UUID.fromString((String) body.get("id"));
    }

    /** Downloads and asserts every byte: the length and the SHA-256 of what came back. */
    static void assertDownloads(KosClient client, UUID id, long size, String sha256) {
        KosClient.Download d = client.download(id);
        assertEquals(200, d.status(), () -> "download of " + id + ": " + d.errorBody());
        assertEquals(size, d.bytes(), "downloaded length of " + id);
        assertEquals(sha256, d.sha256(), "downloaded SHA-256 of " + id);
    }

    /** Every chunk has a stored location, and the node holds it on disk. */
    static List<StackDb.Location> assertChunksOnDisk(TestStack s, UUID id, int expectedChunks) {
        List<StackDb.Location> locations = s.db.locations(id);
        assertEquals(expectedChunks, locations.stream().map(StackDb.Location::chunkId).distinct().count(),
                () -> "chunks of " + id + ": " + locations);
        for (StackDb.Location l : locations) {
            assertNotNull(l.nodeId(), () -> "chunk without a location: " + l);
            assertEquals("stored", l.state(), () -> "location " + l);
            var file = s.chunkFile(l.nodeId(), l.chunkId());
            assertTrue(Files.isRegularFile(file), () -> "chunk file missing on " + l.nodeId() + ": " + file);
            // The node appends a checksum footer: the file holds at least the chunk's bytes.
            long onDisk = file.toFile().length();
            assertTrue(onDisk >= l.size() && onDisk < l.size() + l.size() / 64 + 4096,
                    () -> "size on disk of " + file + " is " + onDisk + " for a " + l.size() + "-byte chunk");
        }
        return locations;
    }
}
