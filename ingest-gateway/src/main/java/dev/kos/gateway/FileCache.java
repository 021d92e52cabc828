package dev.kos.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileStatus;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

/**
 * The metadata of completed files (file row, chunks, copies), kept so that a metadata GET or a
 * download's lookup does not cost a PostgreSQL query each time. Only completed files are kept:
 * they change rarely (a rebalanced copy, a delete), and every such change is announced by
 * PostgreSQL itself ({@code NOTIFY kos_file_changed}, sent by migration V3's triggers at commit),
 * which the gateway's listening session passes to {@link #changed}.
 *
 * <p>The cache serves only while that session listens: while it is down a change could go
 * unheard, so every lookup goes to PostgreSQL and nothing is kept. Staleness is bounded by the
 * notification's delivery (milliseconds after the commit), the same window a query racing
 * with that commit would have; the gateway's own deletes drop their entry at once.
 *
 * <p>A load that raced with a change must not leave the old version behind: every change
 * moves {@link #epoch}, and a loader that sees it moved between its read and its insert takes
 * its entry out again. Whichever runs last, the change's removal or the loader's check, the
 * stale entry goes.
 *
 * <p>Memory is bounded by weight: one unit per file and per chunk copy, so a 10 GiB file of 640
 * chunks weighs as much as 640 one-chunk files.
 */
public final class FileCache {
    /** About 150 bytes per unit (a chunk record with its id and copies): ~15 MiB at the default. */
    public static final long DEFAULT_MAX_WEIGHT = 100_000;

    private final Cache<UUID, KnownFile> files;
    private final boolean enabled;
    private final AtomicLong epoch = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private volatile boolean listening;

    /** @param maxWeight units (a file, or one copy of one chunk) kept at most; 0 turns the cache off */
    public FileCache(long maxWeight) {
        if (maxWeight < 0) {
            throw new IllegalArgumentException("the metadata cache's weight must be >= 0, was " + maxWeight);
        }
        this.enabled = maxWeight > 0;
        this.files = Caffeine.newBuilder()
                .maximumWeight(maxWeight)
                .weigher((UUID id, KnownFile f) -> weight(f.detail()))
                .executor(Runnable::run) // evict on the caller's thread: no pool threads for upkeep
                .build();
    }

    static int weight(FileDetail d) {
        int w = 1;
        for (var c : d.chunks()) {
            w += Math.max(1, c.locations().size());
        }
        return w;
    }

    /**
     * The file with its chunks: from the cache when it holds the file, else from {@code load}
     * (kept when the file is completed and nothing changed meanwhile).
     */
    public Optional<KnownFile> detail(UUID fileId, Supplier<Optional<FileDetail>> load) {
        if (!serving()) {
            return load.get().map(KnownFile::new);
        }
        KnownFile hit = files.getIfPresent(fileId);
        if (hit != null) {
            hits.increment();
            return Optional.of(hit);
        }
        misses.increment();
        long before = epoch.get();
        Optional<KnownFile> loaded = load.get().map(KnownFile::new);
        if (loaded.isPresent() && loaded.get().detail().file().status() == FileStatus.COMPLETED) {
            files.put(fileId, loaded.get());
            if (epoch.get() != before || !listening) {
                files.invalidate(fileId); // a change (or a lost session) overtook the read: do not keep it
            }
        }
        return loaded;
    }

    /** The file changed (notification, or this gateway's own commit): drop it. */
    public void changed(UUID fileId) {
        epoch.incrementAndGet();
        files.invalidate(fileId);
    }

    /** The listening session is up: from now on every change is heard. What came before is unknown. */
    public void listening() {
        epoch.incrementAndGet();
        files.invalidateAll();
        listening = true;
    }

    /** The listening session is gone: changes may go unheard, so serve nothing from memory. */
    public void deaf() {
        listening = false;
        epoch.incrementAndGet();
        files.invalidateAll();
    }

    boolean serving() {
        return enabled && listening;
    }

    /** Runs pending evictions now (Caffeine evicts lazily): tests check the bound with it. */
    void cleanUp() {
        files.cleanUp();
    }

    /** For /health and tests. */
    public Stats stats() {
        return new Stats(serving(), files.estimatedSize(), hits.sum(), misses.sum());
    }

    public record Stats(boolean serving, long files, long hits, long misses) {
    }
}
