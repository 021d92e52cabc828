package dev.kos.storagenode;

/**
 * A storage node's figures for health checks and heartbeats.
 *
 * @param diskTotal  size of the file system holding the data dir, bytes
 * @param diskFree   bytes an unprivileged writer can still use there
 * @param reserve    bytes the node keeps free and never fills with chunks
 * @param chunkCount chunks stored
 * @param chunkBytes sum of the stored chunks' lengths (data only)
 */
public record NodeStats(long diskTotal, long diskFree, long reserve, long chunkCount, long chunkBytes) {
    /** True when no chunk of {@code bytes} could be accepted now (free space minus the reserve). */
    public boolean full() {
        return diskFree - reserve <= 0;
    }
}
