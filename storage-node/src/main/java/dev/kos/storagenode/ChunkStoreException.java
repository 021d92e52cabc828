package dev.kos.storagenode;

/**
 * Every failure the chunk store reports, one subclass per outcome a caller must tell apart.
 * {@link GrpcErrors} maps each to the status the proto promises, so the mapping lives in one
 * place and a new failure cannot silently become UNKNOWN.
 */
public abstract sealed class ChunkStoreException extends RuntimeException {
    ChunkStoreException(String message, Throwable cause) {
        super(message, cause);
    }

    /** Bad id, bad header, wrong length or checksum, range outside the chunk. */
    public static final class InvalidRequest extends ChunkStoreException {
        public InvalidRequest(String message) {
            super(message, null);
        }
    }

    public static final class NotFound extends ChunkStoreException {
        public NotFound(ChunkId id) {
            super("chunk " + id + " not found", null);
        }
    }

    /** A different chunk is already stored under this id. */
    public static final class Conflict extends ChunkStoreException {
        public Conflict(String message) {
            super(message, null);
        }
    }

    /** No room: refused before writing, or the disk filled (ENOSPC) while writing. */
    public static final class InsufficientSpace extends ChunkStoreException {
        public InsufficientSpace(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** A stored chunk failed verification: its bytes on this node cannot be trusted. */
    public static final class Corrupted extends ChunkStoreException {
        public Corrupted(String message) {
            super(message, null);
        }
    }

    /** The node cannot serve the request now (shutting down, a race worth retrying). */
    public static final class Unavailable extends ChunkStoreException {
        public Unavailable(String message) {
            super(message, null);
        }
    }

    /** An unexpected I/O failure: the request failed, the node's state is unchanged. */
    public static final class StorageFailure extends ChunkStoreException {
        public StorageFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
