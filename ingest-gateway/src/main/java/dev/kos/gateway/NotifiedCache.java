package dev.kos.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Weigher;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * A cache of what PostgreSQL holds, kept honest by PostgreSQL's own notifications of change
 * (sent by triggers at commit, see migration V3). It serves only while the gateway's listening
 * session is up: while it is down a change could go unheard, so every lookup goes to the
 * database and nothing is kept. Staleness is bounded by a notification's delivery
 * (milliseconds after the commit), the window any read racing with that commit has anyway.
 *
 * <p>A load that raced with a change must not leave the old version behind: every change moves
 * {@link #epoch}, and a loader that sees it moved between its read and its insert takes its
 * entry out again. Whichever runs last, the change's removal or the loader's check, the stale
 * entry goes.
 *
 * <p>Concurrent misses of one key share one load, as long as no change came between their
 * arrivals: a request never waits for a load that began before a change it could know of (this
 * gateway's own commit, say), so it reads nothing older than a query of its own would.
 */
final class NotifiedCache<K, V> {
    private final Cache<K, V> entries;
    private final boolean enabled;
    private final AtomicLong epoch = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
    private final LongAdder shared = new LongAdder();
    private final ConcurrentHashMap<K, Flight<V>> inFlight = new ConcurrentHashMap<>();
    private volatile boolean listening;

    /** @param maxWeight total weight kept at most, in the weigher's units; 0 turns the cache off */
    NotifiedCache(long maxWeight, Weigher<K, V> weigher) {
        if (maxWeight < 0) {
            throw new IllegalArgumentException("a cache's weight must be >= 0, was " + maxWeight);
        }
        this.enabled = maxWeight > 0;
        this.entries = Caffeine.newBuilder()
                .maximumWeight(maxWeight)
                .weigher(weigher)
                .executor(Runnable::run) // evict on the caller's thread: no pool threads for upkeep
                .build();
    }

    /** From memory when present, else {@code load}'s answer, kept when {@code keep} says so and nothing changed meanwhile. */
    Optional<V> get(K key, Supplier<Optional<V>> load, Predicate<V> keep) {
        if (!serving()) {
            return load.get();
        }
        V hit = entries.getIfPresent(key);
        if (hit != null) {
            hits.increment();
            return Optional.of(hit);
        }
        misses.increment();
        long before = epoch.get();
        Flight<V> running = inFlight.get(key);
        if (running != null && running.epoch() == before) {
            // A load of this key began since the last change this request can know of: its answer
            // is as fresh as one this request would read, so wait for it instead of querying too.
            shared.increment();
            return running.answer();
        }
        Flight<V> mine = new Flight<>(before, new CompletableFuture<>());
        inFlight.put(key, mine);
        try {
            Optional<V> loaded = load.get();
            if (loaded.isPresent() && keep.test(loaded.get())) {
                entries.put(key, loaded.get());
                if (epoch.get() != before || !listening) {
                    entries.invalidate(key); // a change (or a lost session) overtook the read: do not keep it
                }
            }
            mine.result().complete(loaded);
            return loaded;
        } catch (RuntimeException | Error e) {
            mine.result().completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(key, mine);
        }
    }

    /**
     * One load under way, and the change epoch it began at. While writes keep moving the epoch
     * (every upload's commits drop every list page), kept entries rarely survive; without this,
     * each of 100 clients missing at once ran the same query (list p99 1 s under uploads).
     */
    private record Flight<V>(long epoch, CompletableFuture<Optional<V>> result) {
        Optional<V> answer() {
            try {
                return result.join();
            } catch (CompletionException e) {
                // The loader's own failure, as the loader would have thrown it (the API maps its type).
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                if (e.getCause() instanceof Error err) {
                    throw err;
                }
                throw e;
            }
        }
    }

    void changed(K key) {
        epoch.incrementAndGet();
        entries.invalidate(key);
    }

    void changedAll() {
        epoch.incrementAndGet();
        entries.invalidateAll();
    }

    /** The listening session is up: from now on every change is heard. What came before is unknown. */
    void listening() {
        changedAll();
        listening = true;
    }

    /** The listening session is gone: changes may go unheard, so serve nothing from memory. */
    void deaf() {
        listening = false;
        changedAll();
    }

    boolean serving() {
        return enabled && listening;
    }

    long size() {
        return entries.estimatedSize();
    }

    long hits() {
        return hits.sum();
    }

    long misses() {
        return misses.sum();
    }

    /** Misses answered by a load another request had already begun (counted in {@link #misses} too). */
    long sharedLoads() {
        return shared.sum();
    }

    /** Runs pending evictions now (Caffeine evicts lazily): tests check the bound with it. */
    void cleanUp() {
        entries.cleanUp();
    }
}
