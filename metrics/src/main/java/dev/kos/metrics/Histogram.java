package dev.kos.metrics;

import java.util.Arrays;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * Observations counted into fixed buckets, as Prometheus histograms are: the server side keeps
 * only counts, so any percentile over any window and any number of processes is computed by
 * the scraper. Each bucket is its own {@link LongAdder}, so recording takes no lock.
 */
public final class Histogram {
    /** Request and call durations in seconds: 1 ms to 1 min, roughly ×2.5 apart. */
    public static final double[] LATENCY_SECONDS = {
            0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
    /** Object sizes in bytes: 1 KiB to 10 GiB. */
    public static final double[] SIZE_BYTES = {
            1024, 16 * 1024, 256 * 1024, 1 << 20, 16 << 20, 128 << 20, 1 << 30, 10.0 * (1 << 30)};

    private final double[] bounds;
    private final LongAdder[] buckets; // one more than bounds: the last counts what is above every bound
    private final DoubleAdder sum = new DoubleAdder();

    Histogram(double[] bounds) {
        this.bounds = bounds;
        this.buckets = new LongAdder[bounds.length + 1];
        for (int i = 0; i < buckets.length; i++) {
            buckets[i] = new LongAdder();
        }
    }

    /** Checks and copies bucket bounds: finite and strictly increasing. */
    static double[] checkBounds(double[] bounds) {
        if (bounds.length == 0) {
            throw new IllegalArgumentException("a histogram needs at least one bucket bound");
        }
        double[] b = bounds.clone();
        for (int i = 0; i < b.length; i++) {
            if (!Double.isFinite(b[i]) || (i > 0 && b[i] <= b[i - 1])) {
                throw new IllegalArgumentException("bucket bounds must be finite and increasing: " + Arrays.toString(b));
            }
        }
        return b;
    }

    public void observe(double value) {
        int i = 0;
        while (i < bounds.length && value > bounds[i]) {
            i++;
        }
        buckets[i].increment();
        sum.add(value);
    }

    /** Records a duration measured with {@link System#nanoTime()}, in seconds. */
    public void observeNanos(long nanos) {
        observe(nanos / (double) TimeUnit.SECONDS.toNanos(1));
    }

    double[] bounds() {
        return bounds;
    }

    /** Counts per bucket, cumulative as the text format wants them; the last is the total count. */
    long[] cumulativeCounts() {
        long[] c = new long[buckets.length];
        long running = 0;
        for (int i = 0; i < buckets.length; i++) {
            running += buckets[i].sum();
            c[i] = running;
        }
        return c;
    }

    public long count() {
        long n = 0;
        for (LongAdder b : buckets) {
            n += b.sum();
        }
        return n;
    }

    public double sum() {
        return sum.sum();
    }
}
