package dev.kos.metadata;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Waits for a condition by polling it until a deadline: tests never sleep a fixed time. */
final class Eventually {
    private static final long POLL_INTERVAL_NANOS = Duration.ofMillis(5).toNanos();

    private Eventually() {
    }

    static void await(Duration timeout, BooleanSupplier condition, Supplier<String> whatWasExpected) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + timeout + ": " + whatWasExpected.get());
            }
            // A short pause between polls keeps the poller from hogging a core (the machine has two).
            LockSupport.parkNanos(POLL_INTERVAL_NANOS);
        }
    }
}
