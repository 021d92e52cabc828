package dev.kos.placement.rebalance;

import java.util.UUID;

/** A verified copy of a chunk of a completed file, as a pass walks a node; {@code chunkId} is the page cursor. */
record StoredCopy(String chunkId, String nodeId, UUID fileId, long size, int crc32c) {
}
