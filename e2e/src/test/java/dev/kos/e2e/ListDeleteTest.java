package dev.kos.e2e;

import dev.kos.testkit.Poll;
import static dev.kos.e2e.Checks.assertChunksOnDisk;
import static dev.kos.e2e.Checks.assertError;
import static dev.kos.e2e.Checks.uploadCompleted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtendWith;

/** Listing (pagination, status filter, order) and deletion down to the nodes' disks. */
@ExtendWith(SharedStack.class)
@Timeout(120)
class ListDeleteTest {
    private final TestStack s = SharedStack.stack();

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> files(KosClient.Response page) {
        return (List<Map<String, Object>>) page.json().get("files");
    }

    private static List<String> ids(List<Map<String, Object>> files) {
        return files.stream().map(f -> (String) f.get("id")).toList();
    }

    /** Every page of a listing, following the next links, so the whole order can be checked. */
    private List<Map<String, Object>> allPages(String firstPath) {
        List<Map<String, Object>> all = new ArrayList<>();
        String path = firstPath;
        while (path != null) {
            KosClient.Response r = s.client.get(path);
            assertEquals(200, r.status(), r::toString);
            all.addAll(files(r));
            path = (String) ((Map<?, ?>) r.json().get("links")).get("next");
        }
        return all;
    }

    @Test
    void TestListFiles() {
        List<String> uploaded = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            uploaded.add(uploadCompleted(s.client, KosClient.uniqueName("list-" + i), SeededData.of(300 + i, 64 * 1024 + i))
                    .toString());
        }
        // A failed upload (the declared checksum does not match) is listed only under its status.
        String failedName = KosClient.uniqueName("list-failed");
        HttpRequest badChecksum = HttpRequest.newBuilder(s.client.uri("/files?name=" + failedName))
                .header("Content-Type", "application/octet-stream")
                .header("X-Checksum-SHA256", "0".repeat(64))
                .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[1000]))
                .build();
        KosClient.Response refused = s.client.send(badChecksum);
        assertEquals(400, refused.status(), refused::toString);
        String failedId = s.db.fileNamed(failedName).orElseThrow().toString();
        assertEquals(Optional.of("failed"), s.db.fileStatus(UUID.fromString(failedId)));

        // Newest first by default: our ten completed ones are the newest completed files, in reverse.
        List<String> newestFirst = new ArrayList<>(uploaded.reversed());
        List<String> paged = new ArrayList<>();
        for (int page = 1; page <= 3; page++) {
            KosClient.Response r = s.client.get("/files?status=completed&per_page=4&page=" + page);
            assertEquals(200, r.status(), r::toString);
            Map<String, Object> body = r.json();
            assertEquals((long) page, body.get("page"));
            assertEquals(4L, body.get("per_page"));
            long total = (Long) body.get("total");
            assertTrue(total >= 10, r::toString);
            List<Map<String, Object>> items = files(r);
            assertEquals(4, items.size(), r::toString);
            items.forEach(f -> assertEquals("completed", f.get("status"), "status filter"));
            Map<?, ?> links = (Map<?, ?>) body.get("links");
            assertEquals(page == 1, links.get("prev") == null, () -> "prev link on page " + links);
            if (page * 4L < total) {
                assertTrue(((String) links.get("next")).contains("page=" + (page + 1)), () -> "next link " + links);
            } else {
                assertNull(links.get("next"), () -> "no next page after the last: " + links);
            }
            paged.addAll(ids(items));
        }
        assertEquals(newestFirst, paged.subList(0, 10), "pages 1-3 hold the newest ten, newest first, no gaps or repeats");

        // Oldest first over every page: created_at never goes backwards and ours keep their order.
        List<Map<String, Object>> ascending = allPages("/files?sort=created_at&per_page=100");
        Instant previous = Instant.MIN;
        for (Map<String, Object> f : ascending) {
            Instant created = Instant.parse((String) f.get("created_at"));
            assertFalse(created.isBefore(previous), () -> "created_at went backwards at " + f);
            previous = created;
        }
        List<String> ascendingIds = ids(ascending);
        assertEquals(uploaded, ascendingIds.stream().filter(uploaded::contains).toList());
        assertTrue(ascendingIds.contains(failedId), "unfiltered listing shows failed files too");

        List<String> failedOnly = ids(allPages("/files?status=failed&per_page=100"));
        assertTrue(failedOnly.contains(failedId));
        assertTrue(failedOnly.stream().noneMatch(uploaded::contains), "completed files are not listed as failed");

        assertError(s.client.get("/files?per_page=0"), 400, "bad_per_page");
        assertError(s.client.get("/files?per_page=101"), 400, "bad_per_page");
        assertError(s.client.get("/files?status=bogus"), 400, "bad_status");
        assertError(s.client.get("/files?status=deleted"), 400, "bad_status");
        assertError(s.client.get("/files?sort=name"), 400, "bad_sort");
    }

    @Test
    void TestDeleteFile() {
        SeededData data = SeededData.of(400, 3L << 20);
        UUID id = uploadCompleted(s.client, KosClient.uniqueName("delete"), data);
        List<Path> onDisk = assertChunksOnDisk(s, id, 3).stream()
                .map(l -> s.chunkFile(l.nodeId(), l.chunkId())).toList();

        KosClient.Response r = s.client.delete(id);
        assertEquals(202, r.status(), r::toString);
        assertEquals("deleting", r.json().get("status"));

        // Gone for clients at once.
        assertError(s.client.metadata(id), 404, "file_not_found");
        assertEquals(404, s.client.download(id).status());
        assertError(s.client.delete(id), 404, "file_not_found");
        assertFalse(ids(allPages("/files?per_page=100")).contains(id.toString()), "a deleted file is not listed");

        // Then from the database (a tombstone without chunk copies) and from every node's disk.
        Poll.until(Duration.ofSeconds(30), () -> s.db.fileStatus(id).equals(Optional.of("deleted"))
                        && s.db.locations(id).stream().allMatch(l -> l.nodeId() == null),
                "file " + id + " tombstoned with no chunk copies");
        Poll.until(Duration.ofSeconds(30), () -> onDisk.stream().noneMatch(Files::exists),
                "chunk files of " + id + " removed from the nodes");
        assertNull(s.db.locations(id).stream().map(StackDb.Location::nodeId).filter(n -> n != null).findAny().orElse(null));
    }
}
