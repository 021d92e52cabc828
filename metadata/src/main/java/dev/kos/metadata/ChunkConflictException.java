package dev.kos.metadata;

/**
 * A chunk was recorded again with a different id, size or checksum than the first time. A replay
 * of the same chunk is harmless; this is not a replay but two different writers or a bug, and
 * accepting it would let a download return bytes that do not match their recorded checksum.
 */
public class ChunkConflictException extends MetadataException {
    public ChunkConflictException(String message) {
        super(message);
    }
}
