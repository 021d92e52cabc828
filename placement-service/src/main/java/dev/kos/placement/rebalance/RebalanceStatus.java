package dev.kos.placement.rebalance;

import java.time.Duration;
import java.util.Optional;

/**
 * Rebalancing progress, for health endpoints and logs. "Left" counts the copies the current (or
 * last) pass found misplaced and movable, minus those it has finished; it is zero when placement
 * matches the ring.
 *
 * @param running      a pass is in progress
 * @param ringEpoch    the ring epoch of the current or last pass (-1 before the first)
 * @param chunksLeft   misplaced copies not moved yet
 * @param bytesLeft    their bytes
 * @param chunksDone   copies moved (or retired) since this rebalancer started
 * @param bytesDone    bytes copied since this rebalancer started
 * @param chunksWaiting copies on nodes that went silent within the grace period
 * @param chunksStuck  copies the last finished pass could not move (no readable source, node
 *                     unreachable, owner busy, failed): retried by the next pass
 * @param passes       passes finished
 * @param lastPassTook  how long the last finished pass took: its walk over every node's stored
 *                      copies and the moves it made; on a settled ring, the walk alone
 */
public record RebalanceStatus(boolean running, long ringEpoch, long chunksLeft, long bytesLeft, long chunksDone,
                              long bytesDone, long chunksWaiting, long chunksStuck, long passes,
                              Optional<Duration> lastPassTook) {
}
