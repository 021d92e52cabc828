package dev.kos.placement.rebalance;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polls a condition until it holds or a deadline passes: tests wait for effects, never for time. */
final class Eventually {
    private Eventually() {
    }

    static Duration await(Duration timeout, BooleanSupplier condition, Supplier<String> failure) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + failure.get());
            }
            LockSupport.parkNanos(Duration.ofMillis(20).toNanos()); // poll period, not a wait for the condition
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
