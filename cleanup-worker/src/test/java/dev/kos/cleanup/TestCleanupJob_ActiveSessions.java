package dev.kos.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.metadata.UploadSession;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Sessions with a future expiry are never touched, however long ago their upload started. */
class TestCleanupJob_ActiveSessions {
    @RegisterExtension
    static SharedKafka kafka = new SharedKafka();
    static Harness h;
    static TestNode a;
    static CleanupWorker worker;

    @BeforeAll
    static void start() throws Exception {
        h = new Harness(kafka.broker());
        a = h.node("active-a");
        worker = h.worker(h.config("cleanup-active"), Clock.systemUTC());
    }

    @AfterAll
    static void stop() {
        if (h != null) {
            h.close();
        }
    }

    @Test
    void liveUploadsAreLeftAloneWhileAnAbandonedOneExpires() {
        // A 10 GiB upload at a slow rate: started 30 days ago, still reporting progress.
        UUID slow = h.uploading("slow.bin", 2, a);
        h.ageSession(slow, Duration.ofDays(30), Duration.ofMinutes(1), Duration.ofHours(23));
        UUID fresh = h.uploading("fresh.bin", 1, a);
        // Expires in a second: still in the future when the round runs.
        UUID almost = h.uploading("almost.bin", 1, a);
        h.ageSession(almost, Duration.ofHours(24), Duration.ofHours(24), Duration.ofSeconds(30));
        UUID abandoned = h.uploading("abandoned.bin", 1, a);
        h.ageSession(abandoned, Duration.ofHours(25), Duration.ofHours(25), Duration.ofSeconds(-1));
        UploadSession slowBefore = h.sessions.find(h.db, slow).orElseThrow();
        UploadSession freshBefore = h.sessions.find(h.db, fresh).orElseThrow();
        UploadSession almostBefore = h.sessions.find(h.db, almost).orElseThrow();

        assertEquals(1, worker.expireOnce(), "only the abandoned upload expires");
        worker.reapOnce();
        worker.expireOnce();

        assertEquals(FileStatus.DELETED, h.status(abandoned));
        for (UUID live : new UUID[] {slow, fresh, almost}) {
            assertEquals(FileStatus.UPLOADING, h.status(live));
            assertTrue(h.allLocationsIn(live, LocationState.STORED));
            assertTrue(a.chunksOnDisk().containsAll(h.chunkIds(live)), "chunks of " + live + " stay on disk");
        }
        assertEquals(slowBefore, h.sessions.find(h.db, slow).orElseThrow());
        assertEquals(freshBefore, h.sessions.find(h.db, fresh).orElseThrow());
        assertEquals(almostBefore, h.sessions.find(h.db, almost).orElseThrow());
        // The slow upload goes on and completes its next chunk.
        h.storeChunk(slow, 2, a);
        assertEquals(3, h.chunkIds(slow).size());
    }
}
