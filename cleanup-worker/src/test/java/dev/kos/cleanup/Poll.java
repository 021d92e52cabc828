package dev.kos.cleanup;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition by polling it until a deadline: tests never sleep a fixed time. */
final class Poll {
    static final Duration TIMEOUT = Duration.ofSeconds(30);

    private Poll() {
    }

    static void until(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + TIMEOUT.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not true within " + TIMEOUT + ": " + what);
            }
            // Short pauses keep the poller from hogging one of the machine's two cores.
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
        }
    }
}
