package dev.kos.placement.rebalance;

import java.util.UUID;

/** A chunk a test stored, with the bytes it must read back (null when too large to keep: the CRC32C is checked). */
record PlacedChunk(UUID fileId, int index, String chunkId, byte[] data, int crc32c) {
}
