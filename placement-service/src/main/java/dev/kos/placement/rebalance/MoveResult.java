package dev.kos.placement.rebalance;

import java.util.Optional;

/**
 * How one move ended.
 *
 * @param unreachableNode the node that could not be reached, when that is why it failed: the
 *                        pass then skips that node's other moves instead of timing out on each
 */
record MoveResult(Outcome outcome, long bytesCopied, String detail, Optional<String> unreachableNode) {
    enum Outcome {
        /** Copied, verified on the owner, locations switched, chunk_moved written. */
        MOVED,
        /** The owner already had a verified copy; the misplaced one was only marked for deletion. */
        RETIRED,
        /** Nothing to do any more: the file is no longer completed or the copy changed meanwhile. */
        GONE,
        /** The owner still holds a copy being deleted: wait for the reaper, then move. */
        TARGET_BUSY,
        /** No copy on a readable node: nothing to copy from (no replication yet). */
        NO_SOURCE,
        /** The copy failed; the next pass retries. */
        FAILED
    }

    static MoveResult of(Outcome outcome, String detail) {
        return new MoveResult(outcome, 0, detail, Optional.empty());
    }

    static MoveResult unreachable(String nodeId, String detail) {
        return new MoveResult(Outcome.FAILED, 0, detail, Optional.of(nodeId));
    }

    boolean done() {
        return outcome == Outcome.MOVED || outcome == Outcome.RETIRED;
    }
}
