package dev.kos.storagenode;

/** A successful put: the chunk is stored (and durable), either by this put or an earlier one. */
public record PutResult(ChunkId id, long length, ChunkChecksum checksum, boolean alreadyPresent) {
}
