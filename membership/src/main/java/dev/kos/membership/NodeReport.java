package dev.kos.membership;

/** What a storage node reports with every heartbeat: its disk figures and chunk count. */
public record NodeReport(long capacityBytes, long freeBytes, long chunkCount) {
    public NodeReport {
        if (capacityBytes < 0 || freeBytes < 0 || chunkCount < 0) {
            throw new IllegalArgumentException("node report figures must not be negative: capacity " + capacityBytes
                    + ", free " + freeBytes + ", chunks " + chunkCount);
        }
    }
}
