package dev.kos.storageclient;

/** The node has no chunk under that id (NOT_FOUND). */
public final class ChunkNotFoundException extends StorageClientException {
    public ChunkNotFoundException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress, message, cause);
    }
}
