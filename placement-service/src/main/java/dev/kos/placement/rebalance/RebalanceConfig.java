package dev.kos.placement.rebalance;

import dev.kos.config.Settings;
import java.time.Duration;

/**
 * Settings of rebalancing (moving chunks to their ring owners after membership changes).
 *
 * <table>
 *   <caption>Settings (flag / environment, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>rebalance.enabled</td><td>--rebalance-enabled / KOS_REBALANCE_ENABLED</td><td>true</td>
 *       <td>whether this placement service moves chunks at all</td></tr>
 *   <tr><td>rebalance.interval</td><td>--rebalance-interval / KOS_REBALANCE_INTERVAL</td><td>60s</td>
 *       <td>full pass period besides ring-change triggers: catches a missed trigger, a restart,
 *       a failed node's grace running out, and copies placed off-owner by upload retries</td></tr>
 *   <tr><td>rebalance.failed-grace</td><td>--rebalance-failed-grace / KOS_REBALANCE_FAILED_GRACE</td><td>10m</td>
 *       <td>how long an inactive (silent) node may come back before its chunks are re-placed</td></tr>
 *   <tr><td>rebalance.max-bytes-per-second</td><td>--rebalance-max-bytes-per-second / KOS_REBALANCE_MAX_BYTES_PER_SECOND</td>
 *       <td>50MiB</td><td>bandwidth budget of all moves together (read side), so uploads and downloads keep theirs</td></tr>
 *   <tr><td>rebalance.parallelism</td><td>--rebalance-parallelism / KOS_REBALANCE_PARALLELISM</td><td>2</td>
 *       <td>chunks moved at once; each holds one chunk buffer</td></tr>
 *   <tr><td>rebalance.max-chunk-bytes</td><td>--rebalance-max-chunk-bytes / KOS_REBALANCE_MAX_CHUNK_BYTES</td><td>64MiB</td>
 *       <td>largest chunk moved; memory is bounded by parallelism x this</td></tr>
 *   <tr><td>rebalance.page-size</td><td>--rebalance-page-size / KOS_REBALANCE_PAGE_SIZE</td><td>500</td>
 *       <td>chunk copies read per metadata query while walking a node</td></tr>
 *   <tr><td>rebalance.put-deadline</td><td>--rebalance-put-deadline / KOS_REBALANCE_PUT_DEADLINE</td><td>2m</td>
 *       <td>deadline of one PutChunk to the new owner</td></tr>
 * </table>
 */
public record RebalanceConfig(boolean enabled, Duration interval, Duration failedGrace, long maxBytesPerSecond,
                              int parallelism, long maxChunkBytes, int pageSize, Duration putDeadline) {
    public static final Duration DEFAULT_INTERVAL = Duration.ofSeconds(60);
    public static final Duration DEFAULT_FAILED_GRACE = Duration.ofMinutes(10);
    public static final long DEFAULT_MAX_BYTES_PER_SECOND = 50L << 20;
    public static final int DEFAULT_PARALLELISM = 2;
    public static final long DEFAULT_MAX_CHUNK_BYTES = 64L << 20;
    public static final int DEFAULT_PAGE_SIZE = 500;
    public static final Duration DEFAULT_PUT_DEADLINE = Duration.ofMinutes(2);

    public RebalanceConfig {
        requirePositive("rebalance.interval", interval);
        if (failedGrace == null || failedGrace.isNegative()) {
            throw new IllegalArgumentException("setting rebalance.failed-grace must be a duration >= 0, was " + failedGrace);
        }
        if (maxBytesPerSecond < 1) {
            throw new IllegalArgumentException("setting rebalance.max-bytes-per-second must be positive, was " + maxBytesPerSecond);
        }
        if (parallelism < 1 || parallelism > 64) {
            throw new IllegalArgumentException("setting rebalance.parallelism must be 1..64, was " + parallelism);
        }
        if (maxChunkBytes < 1 || maxChunkBytes > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("setting rebalance.max-chunk-bytes must be 1 byte..2 GiB, was " + maxChunkBytes);
        }
        if (pageSize < 1 || pageSize > 10_000) {
            throw new IllegalArgumentException("setting rebalance.page-size must be 1..10000, was " + pageSize);
        }
        requirePositive("rebalance.put-deadline", putDeadline);
    }

    public static RebalanceConfig defaults() {
        return new RebalanceConfig(true, DEFAULT_INTERVAL, DEFAULT_FAILED_GRACE, DEFAULT_MAX_BYTES_PER_SECOND,
                DEFAULT_PARALLELISM, DEFAULT_MAX_CHUNK_BYTES, DEFAULT_PAGE_SIZE, DEFAULT_PUT_DEADLINE);
    }

    public static RebalanceConfig fromSettings(Settings s) {
        return new RebalanceConfig(
                s.bool("rebalance.enabled", true),
                s.duration("rebalance.interval", DEFAULT_INTERVAL),
                s.duration("rebalance.failed-grace", DEFAULT_FAILED_GRACE),
                s.bytes("rebalance.max-bytes-per-second", DEFAULT_MAX_BYTES_PER_SECOND),
                s.integer("rebalance.parallelism", DEFAULT_PARALLELISM),
                s.bytes("rebalance.max-chunk-bytes", DEFAULT_MAX_CHUNK_BYTES),
                s.integer("rebalance.page-size", DEFAULT_PAGE_SIZE),
                s.duration("rebalance.put-deadline", DEFAULT_PUT_DEADLINE));
    }

    public RebalanceConfig withInterval(Duration d) {
        return new RebalanceConfig(enabled, d, failedGrace, maxBytesPerSecond, parallelism, maxChunkBytes, pageSize, putDeadline);
    }

    public RebalanceConfig withFailedGrace(Duration d) {
        return new RebalanceConfig(enabled, interval, d, maxBytesPerSecond, parallelism, maxChunkBytes, pageSize, putDeadline);
    }

    public RebalanceConfig withMaxBytesPerSecond(long rate) {
        return new RebalanceConfig(enabled, interval, failedGrace, rate, parallelism, maxChunkBytes, pageSize, putDeadline);
    }

    public RebalanceConfig withPageSize(int size) {
        return new RebalanceConfig(enabled, interval, failedGrace, maxBytesPerSecond, parallelism, maxChunkBytes, size, putDeadline);
    }

    private static void requirePositive(String key, Duration d) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("setting " + key + " must be a positive duration, was " + d);
        }
    }
}
