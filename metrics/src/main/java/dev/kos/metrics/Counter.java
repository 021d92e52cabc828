package dev.kos.metrics;

import java.util.concurrent.atomic.LongAdder;

/** A count that only goes up. Cheap from many threads at once (a {@link LongAdder}). */
public final class Counter {
    private final LongAdder count = new LongAdder();

    Counter() {
    }

    public void inc() {
        count.increment();
    }

    /** Adds {@code n}, which must not be negative: a counter that went down would read as a restart. */
    public void add(long n) {
        if (n < 0) {
            throw new IllegalArgumentException("a counter cannot go down: " + n);
        }
        count.add(n);
    }

    public long value() {
        return count.sum();
    }
}
