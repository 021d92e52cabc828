package dev.kos.gateway;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Weigher;
import java.util.Optional;
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
 */
final class NotifiedCache<K, V> {
    private final Cache<K, V> entries;
    private final boolean enabled;
    private final AtomicLong epoch = new AtomicLong();
    private final LongAdder hits = new LongAdder();
    private final LongAdder misses = new LongAdder();
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
        Optional<V> loaded = load.get();
        if (loaded.isPresent() && keep.test(loaded.get())) {
            entries.put(key, loaded.get());
            if (epoch.get() != before || !listening) {
                entries.invalidate(key); // a change (or a lost session) overtook the read: do not keep it
            }
        }
        return loaded;
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

    /** Runs pending evictions now (Caffeine evicts lazily): tests check the bound with it. */
    void cleanUp() {
        entries.cleanUp();
    }
}
