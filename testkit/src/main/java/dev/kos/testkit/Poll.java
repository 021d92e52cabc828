package dev.kos.testkit;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * Waits for a condition by polling it until a deadline: tests wait for effects, never for a
 * fixed time. A failure says what was expected and, where a probe is given, what was last seen.
 */
public final class Poll {
    /** Between probes: short, so tests are quick, but long enough not to hog one of two cores. */
    private static final long INTERVAL_NANOS = Duration.ofMillis(10).toNanos();
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private Poll() {
    }

    /** Waits up to 30 s until {@code condition} holds. */
    public static Duration until(BooleanSupplier condition, String what) {
        return until(DEFAULT_TIMEOUT, condition, () -> what);
    }

    /** Waits until {@code condition} holds; returns how long it took. */
    public static Duration until(Duration timeout, BooleanSupplier condition, String what) {
        return until(timeout, condition, () -> what);
    }

    /**
     * Waits until {@code condition} holds; {@code what} is evaluated only on failure. A condition
     * that throws counts as "not yet" (a service restarting mid-test); its last exception becomes
     * the failure's cause.
     */
    public static Duration until(Duration timeout, BooleanSupplier condition, Supplier<String> what) {
        long start = System.nanoTime();
        probe(timeout, what, condition::getAsBoolean, Boolean.TRUE::equals);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * Probes until {@code done} accepts the probe's value and returns that value. A probe that
     * throws counts as "not yet"; its last exception becomes the failure's cause.
     */
    public static <T> T until(Duration timeout, String what, Supplier<T> probe, Predicate<? super T> done) {
        return probe(timeout, () -> what, probe, done);
    }

    private static <T> T probe(Duration timeout, Supplier<String> what, Supplier<T> probe, Predicate<? super T> done) {
        long deadline = System.nanoTime() + timeout.toNanos();
        T last = null;
        RuntimeException lastError = null;
        while (true) {
            try {
                last = probe.get();
                lastError = null;
                if (done.test(last)) {
                    return last;
                }
            } catch (RuntimeException e) {
                lastError = e;
            }
            if (System.nanoTime() > deadline) {
                AssertionError failure = new AssertionError("not true within " + timeout + ": " + what.get()
                        + (last == null || last instanceof Boolean ? "" : "; last seen: " + last));
                if (lastError != null) {
                    failure.initCause(lastError);
                }
                throw failure;
            }
            LockSupport.parkNanos(INTERVAL_NANOS);
        }
    }
}
