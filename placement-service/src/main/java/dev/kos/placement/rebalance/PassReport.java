package dev.kos.placement.rebalance;

import java.time.Duration;

/**
 * What one pass did.
 *
 * @param found      misplaced copies the pass found movable at its start
 * @param moved      copied to their owner
 * @param retired    already on their owner; only the misplaced copy was marked for deletion
 * @param waiting    on silent nodes within the grace period
 * @param noSource   no copy on a readable node
 * @param busy       the owner still holds a copy being deleted
 * @param failed     copy or put failed, or a node was unreachable
 * @param superseded the ring changed during the pass, which stopped early for a new one
 */
public record PassReport(long ringEpoch, long found, long bytesFound, long moved, long retired, long bytesMoved,
                         long waiting, long noSource, long busy, long failed, long abandonedCopies, boolean superseded,
                         Duration took) {

    /** Nothing left to do: the next pass may be skipped until something changes. */
    public boolean clean() {
        return !superseded && waiting == 0 && noSource == 0 && busy == 0 && failed == 0;
    }

    long stuck() {
        return noSource + busy + failed;
    }
}
