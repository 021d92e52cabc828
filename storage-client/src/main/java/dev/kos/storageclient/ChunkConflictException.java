package dev.kos.storageclient;

/** The node already holds different content under that id (ALREADY_EXISTS). */
public final class ChunkConflictException extends StorageClientException {
    public ChunkConflictException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress, message, cause);
    }
}
