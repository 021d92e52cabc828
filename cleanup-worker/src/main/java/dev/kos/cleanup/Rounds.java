package dev.kos.cleanup;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.logging.Logger;

/**
 * Runs the worker's loops, each on its own thread with a fixed pause between rounds, so a long
 * orphan walk never delays deletions. A failed round is logged and the next one runs as usual:
 * every round starts again from the database, so nothing is lost by giving up on one.
 */
final class Rounds implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(Rounds.class.getName());

    /** One loop's rounds run (failed ones included) and failed, for metrics. */
    record Counts(String loop, LongAdder rounds, LongAdder failures) {
    }

    private final ScheduledExecutorService scheduler;
    private final List<Counts> counts = new CopyOnWriteArrayList<>();

    Rounds(int loops) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(loops, r -> {
            Thread t = new Thread(r, "kos-cleanup-round");
            t.setDaemon(true);
            return t;
        });
        s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
        this.scheduler = s;
    }

    void every(String name, Duration pause, Runnable round) {
        Counts c = new Counts(name, new LongAdder(), new LongAdder());
        counts.add(c);
        scheduler.scheduleWithFixedDelay(() -> {
            c.rounds().increment();
            try {
                round.run();
            } catch (RuntimeException e) {
                c.failures().increment();
                // An exception escaping here would cancel every later round of this loop.
                LOG.warning(name + " round failed, next in " + pause.toMillis() + " ms: " + e);
            }
        }, pause.toMillis(), pause.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Each loop's counts, in the order the loops were added. */
    List<Counts> counts() {
        return counts;
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        try {
            if (!scheduler.awaitTermination(15, TimeUnit.SECONDS)) {
                LOG.warning("a cleanup round did not stop within 15 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
