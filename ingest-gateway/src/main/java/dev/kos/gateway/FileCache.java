package dev.kos.gateway;

import dev.kos.metadata.FileDetail;
import dev.kos.metadata.FileQuery;
import dev.kos.metadata.FileStatus;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Supplier;

/**
 * What the gateway keeps of PostgreSQL's file metadata in memory, so that a metadata GET, a
 * download's lookup or a list page does not cost a query each time:
 * <ul>
 *   <li>completed files (file row, chunks, copies; {@link KnownFile}). They change rarely (a
 *       rebalanced copy, a delete), and each change is announced with the file's id on
 *       {@code kos_file_changed}. Files in any other state are read afresh every time.</li>
 *   <li>rendered list pages, by query. Any change to what a list shows (a file added,
 *       progressing, completed, deleted) is announced on {@code kos_files_listed} and drops them
 *       all: under a steady stream of uploads they are rebuilt often, when nothing changes they
 *       are served from memory.</li>
 * </ul>
 * Migration V3's triggers send both notifications at commit, whoever writes (gateway,
 * placement's rebalancer, the cleanup worker, an operator in psql); the gateway's listening
 * session ({@link SettledListener}) passes them here. Nothing is served from memory while that
 * session is down (see {@link NotifiedCache}).
 *
 * <p>Memory is bounded by weight: files by one unit per file and per chunk copy (a 10 GiB file
 * of 640 chunks weighs as much as 640 one-chunk files), pages by their bytes.
 */
public final class FileCache {
    /** About 150 bytes per unit (a chunk record with its id and copies): ~15 MiB at the default. */
    public static final long DEFAULT_MAX_WEIGHT = 100_000;
    /** List pages, in bytes of JSON: a full page of 100 files is ~64 KiB. */
    public static final long DEFAULT_PAGE_BYTES = 8L << 20;

    private final NotifiedCache<UUID, KnownFile> files;
    private final NotifiedCache<FileQuery, byte[]> pages;

    /** @param maxWeight units (a file, or one copy of one chunk) kept at most; 0 turns both caches off */
    public FileCache(long maxWeight) {
        this(maxWeight, maxWeight == 0 ? 0 : DEFAULT_PAGE_BYTES);
    }

    public FileCache(long maxWeight, long pageBytes) {
        this.files = new NotifiedCache<>(maxWeight, (UUID id, KnownFile f) -> weight(f.detail()));
        this.pages = new NotifiedCache<>(pageBytes, (FileQuery q, byte[] page) -> page.length);
    }

    static int weight(FileDetail d) {
        int w = 1;
        for (var c : d.chunks()) {
            w += Math.max(1, c.locations().size());
        }
        return w;
    }

    /**
     * The file with its chunks: from memory when kept, else from {@code load} (kept when the
     * file is completed and nothing changed meanwhile).
     */
    public Optional<KnownFile> detail(UUID fileId, Supplier<Optional<FileDetail>> load) {
        return files.get(fileId, () -> load.get().map(KnownFile::new),
                f -> f.detail().file().status() == FileStatus.COMPLETED);
    }

    /** A rendered list page: from memory when kept, else {@code render}'s (kept unless something changed meanwhile). */
    public byte[] page(FileQuery query, Supplier<byte[]> render) {
        return pages.get(query, () -> Optional.of(render.get()), p -> true).orElseThrow();
    }

    /** The file changed (a notification, or this gateway's own commit): drop it. */
    public void changed(UUID fileId) {
        files.changed(fileId);
    }

    /** Something a list shows changed: drop every page. */
    public void listingChanged() {
        pages.changedAll();
    }

    /** The listening session is up: from now on every change is heard. What came before is unknown. */
    public void listening() {
        files.listening();
        pages.listening();
    }

    /** The listening session is gone: changes may go unheard, so serve nothing from memory. */
    public void deaf() {
        files.deaf();
        pages.deaf();
    }

    /** Runs pending evictions now: tests check the bounds with it. */
    void cleanUp() {
        files.cleanUp();
        pages.cleanUp();
    }

    /** For /health and tests. */
    public Stats stats() {
        return new Stats(files.serving(), files.size(), files.hits(), files.misses(), files.sharedLoads(),
                pages.size(), pages.hits(), pages.misses(), pages.sharedLoads());
    }

    /** Hits and misses of files and list pages; a shared miss waited for another request's load of the same key. */
    public record Stats(boolean serving, long files, long hits, long misses, long sharedMisses, long pages, long pageHits,
                        long pageMisses, long sharedPageMisses) {
    }
}
