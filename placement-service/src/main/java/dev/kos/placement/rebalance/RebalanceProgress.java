package dev.kos.placement.rebalance;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;

/** Counters moves update from their threads, read at any time as a {@link RebalanceStatus}. */
final class RebalanceProgress {
    private final AtomicLong chunksLeft = new AtomicLong();
    private final AtomicLong bytesLeft = new AtomicLong();
    private final AtomicLong chunksDone = new AtomicLong();
    private final AtomicLong bytesDone = new AtomicLong();
    private volatile boolean running;
    private volatile long epoch = -1;
    private volatile long waiting;
    private volatile long stuck;
    private volatile long passes;
    private volatile Duration lastPassTook;

    void passStarted(long ringEpoch) {
        epoch = ringEpoch;
        running = true;
    }

    void counted(long chunks, long bytes, long waitingCopies) {
        chunksLeft.set(chunks);
        bytesLeft.set(bytes);
        waiting = waitingCopies;
    }

    /** A copy the count did not see (stored since): it is work all the same. */
    void found(long bytes) {
        chunksLeft.incrementAndGet();
        bytesLeft.addAndGet(bytes);
    }

    /** A move ended; one that could not be done stays left until a pass does it. */
    void finished(long size, MoveResult result) {
        if (result.done() || result.outcome() == MoveResult.Outcome.GONE) {
            chunksLeft.updateAndGet(v -> Math.max(0, v - 1));
            bytesLeft.updateAndGet(v -> Math.max(0, v - size));
        }
        if (result.done()) {
            chunksDone.incrementAndGet();
        }
        bytesDone.addAndGet(result.bytesCopied());
    }

    void passEnded(PassReport report) {
        // What the pass could not do is still left; a superseded pass's remainder is recounted next.
        stuck = report.stuck();
        waiting = report.waiting();
        passes++;
        lastPassTook = report.took();
        running = false;
    }

    void passAborted() {
        running = false;
    }

    RebalanceStatus snapshot() {
        return new RebalanceStatus(running, epoch, chunksLeft.get(), bytesLeft.get(), chunksDone.get(), bytesDone.get(),
                waiting, stuck, passes, Optional.ofNullable(lastPassTook));
    }
}
