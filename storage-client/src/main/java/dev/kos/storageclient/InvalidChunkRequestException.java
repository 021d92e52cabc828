package dev.kos.storageclient;

/** The node rejected the request itself: bad id, bad range, length or checksum mismatch (INVALID_ARGUMENT, OUT_OF_RANGE). */
public final class InvalidChunkRequestException extends StorageClientException {
    public InvalidChunkRequestException(String nodeAddress, String message, Throwable cause) {
        super(nodeAddress, message, cause);
    }
}
