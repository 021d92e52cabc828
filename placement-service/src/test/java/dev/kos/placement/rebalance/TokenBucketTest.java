package dev.kos.placement.rebalance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The bandwidth budget on a fake clock: no timing on the machine. */
class TokenBucketTest {
    private static final long SECOND = 1_000_000_000L;

    private final AtomicLong now = new AtomicLong(5 * SECOND);
    private final AtomicLong slept = new AtomicLong();
    private final TokenBucket.Sleeper sleeper = nanos -> {
        slept.addAndGet(nanos);
        now.addAndGet(nanos);
    };

    @Test
    void aFullBurstPassesThenTakersWaitForTheirBytes() throws InterruptedException {
        TokenBucket bucket = new TokenBucket(1000, now::get, sleeper);
        bucket.take(1000);
        assertEquals(0, slept.get(), "one second's worth is the burst");
        bucket.take(500);
        assertEquals(SECOND / 2, slept.get());
        bucket.take(3000); // larger than the burst: allowed, paid for by waiting
        assertEquals(SECOND / 2 + 3 * SECOND, slept.get());
    }

    @Test
    void idleTimeRefillsOnlyUpToTheBurst() throws InterruptedException {
        TokenBucket bucket = new TokenBucket(1000, now::get, sleeper);
        now.addAndGet(60 * SECOND);
        bucket.take(2000);
        assertEquals(SECOND, slept.get(), "a minute idle buys one second of burst, not sixty");
    }

    @Test
    void anyTakeSequenceAveragesAtMostTheRate() throws InterruptedException {
        long rate = 50L << 20;
        TokenBucket bucket = new TokenBucket(rate, now::get, sleeper);
        Random random = new Random(7);
        long start = now.get();
        long total = 0;
        for (int i = 0; i < 10_000; i++) {
            long n = random.nextInt(4 << 20);
            total += n;
            bucket.take(n);
            if (random.nextInt(10) == 0) {
                now.addAndGet(random.nextInt((int) (SECOND / 10))); // work between reads
            }
            long elapsed = now.get() - start;
            // Bytes taken never exceed the burst plus what the rate allows in the elapsed time.
            assertTrue(total <= bucket.burst() + (double) rate * elapsed / SECOND + 1,
                    "after " + total + " bytes in " + elapsed + " ns");
        }
        double seconds = (now.get() - start) / (double) SECOND;
        assertTrue(total / seconds <= rate * 1.01, "average " + total / seconds + " B/s over the rate " + rate);
        assertTrue(total / seconds >= rate * 0.9, "the bucket should not throttle far below the rate: " + total / seconds);
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new TokenBucket(0, now::get, sleeper));
        TokenBucket bucket = new TokenBucket(10, now::get, sleeper);
        assertThrows(IllegalArgumentException.class, () -> bucket.take(-1));
    }
}
