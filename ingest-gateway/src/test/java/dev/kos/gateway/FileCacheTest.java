package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.ChunkLocation;
import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.testkit.Poll;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The cache's rules alone, with loaders standing in for PostgreSQL (FileCacheNotificationTest runs it for real). */
class FileCacheTest {
    private final FileCache cache = new FileCache(1_000);
    private final AtomicInteger loads = new AtomicInteger();

    @Test
    void servesNothingFromMemoryUntilTheListeningSessionIsUp() {
        UUID id = UUID.randomUUID();
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        assertEquals(2, loads.get(), "no session, no caching");
        assertFalse(cache.stats().serving());

        cache.listening();
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        assertEquals(3, loads.get(), "the second read came from memory");
        assertEquals(1, cache.stats().hits());

        cache.deaf();
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        assertEquals(4, loads.get(), "a lost session drops what was kept");
        assertEquals(0, cache.stats().files());
    }

    @Test
    void keepsOnlyCompletedFiles() {
        cache.listening();
        for (FileStatus s : FileStatus.values()) {
            UUID id = UUID.randomUUID();
            cache.detail(id, loader(detail(id, s, 1)));
            cache.detail(id, loader(detail(id, s, 1)));
        }
        assertEquals(FileStatus.values().length * 2 - 1, loads.get(), "only the completed file was served from memory");
        UUID missing = UUID.randomUUID();
        assertTrue(cache.detail(missing, Optional::empty).isEmpty());
        assertTrue(cache.detail(missing, Optional::empty).isEmpty(), "absence is never cached");
    }

    @Test
    void aChangeDropsTheFile() {
        cache.listening();
        UUID id = UUID.randomUUID();
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        cache.changed(id);
        FileDetail after = cache.detail(id, loader(detail(id, FileStatus.DELETING, 1))).orElseThrow().detail();
        assertEquals(FileStatus.DELETING, after.file().status());
        assertEquals(2, loads.get());
    }

    @Test
    void aLoadOvertakenByAChangeDoesNotKeepWhatItRead() {
        cache.listening();
        UUID id = UUID.randomUUID();
        // The change is heard while the loader's query is out: what it read may predate the change.
        FileDetail stale = cache.detail(id, () -> {
            loads.incrementAndGet();
            cache.changed(id);
            return Optional.of(detail(id, FileStatus.COMPLETED, 1));
        }).orElseThrow().detail();
        assertEquals(FileStatus.COMPLETED, stale.file().status(), "the caller still gets its read");
        FileDetail fresh = cache.detail(id, loader(detail(id, FileStatus.DELETING, 1))).orElseThrow().detail();
        assertEquals(FileStatus.DELETING, fresh.file().status(), "the overtaken read was not kept");

        UUID other = UUID.randomUUID();
        cache.detail(other, () -> {
            loads.incrementAndGet();
            cache.deaf();
            cache.listening();
            return Optional.of(detail(other, FileStatus.COMPLETED, 1));
        });
        assertEquals(0, cache.stats().files(), "a session lost and regained during the read: not kept either");
    }

    @Test
    void concurrentMissesOfOneKeyShareOneLoadEvenWhenNothingIsKept() throws Exception {
        cache.listening();
        UUID id = UUID.randomUUID();
        // An upload's file: never kept, as list pages are not while writes keep changing them.
        try (BlockedLoad first = new BlockedLoad(id, () -> Optional.of(detail(id, FileStatus.UPLOADING, 1)))) {
            List<Future<Optional<KnownFile>>> others = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                others.add(first.alongside(() -> cache.detail(id, loader(detail(id, FileStatus.UPLOADING, 1)))));
            }
            Poll.until(Duration.ofSeconds(10), () -> cache.stats().sharedMisses() == 5, "five misses waiting for the first load");
            first.release();
            others.add(first.result);
            for (Future<Optional<KnownFile>> f : others) {
                assertEquals(FileStatus.UPLOADING, f.get(10, TimeUnit.SECONDS).orElseThrow().detail().file().status());
            }
            assertEquals(1, loads.get(), "one query for six requests");
            assertEquals(0, cache.stats().files());
        }
    }

    @Test
    void aRequestAfterAChangeDoesNotWaitForALoadBegunBeforeIt() throws Exception {
        cache.listening();
        UUID id = UUID.randomUUID();
        try (BlockedLoad before = new BlockedLoad(id, () -> Optional.of(detail(id, FileStatus.COMPLETED, 1)))) {
            cache.changed(id); // e.g. this gateway's own delete committed while that query was out
            Future<Optional<KnownFile>> after = before.alongside(() -> cache.detail(id, loader(detail(id, FileStatus.DELETING, 1))));
            assertEquals(FileStatus.DELETING, after.get(10, TimeUnit.SECONDS).orElseThrow().detail().file().status(),
                    "a read of its own, not the older load's answer");
            before.release();
            assertEquals(FileStatus.COMPLETED, before.result.get(10, TimeUnit.SECONDS).orElseThrow().detail().file().status());
            assertEquals(2, loads.get());
            assertEquals(0, cache.stats().sharedMisses());
        }
    }

    @Test
    void aSharedLoadThatFailsFailsEveryWaiterWithItsOwnError() throws Exception {
        cache.listening();
        UUID id = UUID.randomUUID();
        try (BlockedLoad first = new BlockedLoad(id, () -> {
            throw new IllegalStateException("database down");
        })) {
            Future<Optional<KnownFile>> waiter = first.alongside(() -> cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1))));
            Poll.until(Duration.ofSeconds(10), () -> cache.stats().sharedMisses() == 1, "the second miss waiting");
            first.release();
            for (Future<Optional<KnownFile>> f : List.of(first.result, waiter)) {
                ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
                assertInstanceOf(IllegalStateException.class, e.getCause());
            }
            assertEquals(FileStatus.COMPLETED, cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)))
                    .orElseThrow().detail().file().status(), "the failed load left nothing behind");
        }
    }

    /** A lookup on another thread whose load is under way and blocks until released. */
    private final class BlockedLoad implements AutoCloseable {
        private final CountDownLatch loading = new CountDownLatch(1);
        private final CountDownLatch released = new CountDownLatch(1);
        private final ExecutorService pool = Executors.newCachedThreadPool();
        final Future<Optional<KnownFile>> result;

        BlockedLoad(UUID id, Supplier<Optional<FileDetail>> answer) throws InterruptedException {
            result = pool.submit(() -> cache.detail(id, () -> {
                loads.incrementAndGet();
                loading.countDown();
                try {
                    if (!released.await(30, TimeUnit.SECONDS)) {
                        throw new IllegalStateException("the test never released the load");
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException(e);
                }
                return answer.get();
            }));
            assertTrue(loading.await(10, TimeUnit.SECONDS), "the load began");
        }

        /** Runs another lookup on its own thread while this load is out. */
        Future<Optional<KnownFile>> alongside(java.util.concurrent.Callable<Optional<KnownFile>> lookup) {
            return pool.submit(lookup);
        }

        void release() {
            released.countDown();
        }

        @Override
        public void close() {
            released.countDown();
            pool.shutdownNow();
        }
    }

    @Test
    void memoryIsBoundedByChunkCopiesNotFiles() {
        cache.listening();
        for (int i = 0; i < 50; i++) {
            UUID id = UUID.randomUUID();
            cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 99))); // weight 1 + 99 copies
        }
        cache.cleanUp();
        assertTrue(cache.stats().files() <= 10, "at most 1000 units of 100 each, had " + cache.stats().files());
        assertTrue(cache.stats().files() >= 1, "but it does keep files that fit");
    }

    @Test
    void aCachedFileRendersItsJsonOnce() {
        cache.listening();
        UUID id = UUID.randomUUID();
        AtomicInteger renders = new AtomicInteger();
        for (int i = 0; i < 3; i++) {
            byte[] json = cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1))).orElseThrow()
                    .json(d -> {
                        renders.incrementAndGet();
                        return d.file().fileId().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
                    });
            assertEquals(id.toString(), new String(json, java.nio.charset.StandardCharsets.UTF_8));
        }
        assertEquals(1, renders.get());
        cache.changed(id);
        cache.detail(id, loader(detail(id, FileStatus.COMPLETED, 1))).orElseThrow().json(d -> {
            renders.incrementAndGet();
            return new byte[0];
        });
        assertEquals(2, renders.get(), "a changed file is rendered afresh");
    }

    @Test
    void aCacheOfWeightZeroIsOff() {
        FileCache off = new FileCache(0);
        off.listening();
        UUID id = UUID.randomUUID();
        off.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        off.detail(id, loader(detail(id, FileStatus.COMPLETED, 1)));
        assertEquals(2, loads.get());
        assertFalse(off.stats().serving());
    }

    private Supplier<Optional<FileDetail>> loader(FileDetail d) {
        return () -> {
            loads.incrementAndGet();
            return Optional.of(d);
        };
    }

    private static FileDetail detail(UUID id, FileStatus status, int chunks) {
        Instant now = Instant.now();
        FileRecord f = new FileRecord(id, "f.bin", "application/octet-stream", Optional.of(1L << 20),
                Optional.of("0".repeat(64)), status, Optional.empty(), 1 << 20, Optional.of(chunks), Optional.empty(),
                now, now, Optional.of(now), Optional.of(now), Optional.empty(), 0);
        List<ChunkRecord> list = new ArrayList<>();
        for (int i = 0; i < chunks; i++) {
            list.add(new ChunkRecord(id, i, id + "-" + i, 1 << 20, 0,
                    List.of(new ChunkLocation("n" + i % 6, LocationState.STORED))));
        }
        return new FileDetail(f, list);
    }
}
