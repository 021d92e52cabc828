package dev.kos.storageclient;

/** The node's copy failed checksum verification (DATA_LOSS): read another copy. */
public final class ChunkCorruptedException extends StorageClientException {
    public ChunkCorruptedException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress, message, cause);
    }
}
