package dev.kos.metadata;

/** A metadata operation failed in the database (connection lost, constraint, timeout). */
public class MetadataException extends RuntimeException {
    public MetadataException(String message, Throwable cause) {
        super(message, cause);
    }

    public MetadataException(String message) {
        super(message);
    }
}
