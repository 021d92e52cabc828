package dev.kos.storagenode;

/**
 * One stored chunk as the inventory sees it.
 *
 * @param checksum   the checksum declared when it was put; null when the chunk's trailer is
 *                   unreadable (then {@code length} is the file's size: the chunk is corrupted
 *                   and a read of it fails with DATA_LOSS)
 * @param storedAtMs when it became visible, ms since the epoch
 */
public record ChunkInfo(ChunkId id, long length, ChunkChecksum checksum, long storedAtMs) {
}
