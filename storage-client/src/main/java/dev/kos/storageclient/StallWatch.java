package dev.kos.storageclient;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One timer for every chunk read of a {@link StorageNodeClients}: a reader waiting for its next
 * frame registers here, and a sweep every {@code idleTimeout / 4} (at most a second) wakes with
 * a stall mark the readers that have waited longer than the idle timeout.
 *
 * <p>Why not a timed wait in each reader: the readers are the gateway's virtual threads, and a
 * virtual thread's timed park hands a timer task to the JDK's delay scheduler thread and cancels
 * it again when the frame comes, a wake-up of that thread per wait. Under 1 MiB downloads that
 * was 5 % of the gateway's CPU (async-profiler: {@code DelayScheduler}); an untimed wait costs
 * none of it, and the sweep costs one wake-up per period whatever the load.
 */
final class StallWatch implements AutoCloseable {
    private final Set<ChunkReadStream> waiting = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer;

    StallWatch(Duration idleTimeout) {
        long period = Math.clamp(idleTimeout.toMillis() / 4, 10, 1000);
        timer = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("chunk-read-stalls").factory());
        timer.scheduleWithFixedDelay(this::sweep, period, period, TimeUnit.MILLISECONDS);
    }

    /** {@code reader} waits for a frame from now until {@link #resumed}. */
    void waiting(ChunkReadStream reader) {
        waiting.add(reader);
    }

    void resumed(ChunkReadStream reader) {
        waiting.remove(reader);
    }

    private void sweep() {
        long now = System.nanoTime();
        for (ChunkReadStream reader : waiting) {
            reader.markIfStalled(now);
        }
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
