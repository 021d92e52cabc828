package dev.kos.metadata;

/** A write named a storage node or chunk that does not exist (a foreign key refused it). */
public class UnknownReferenceException extends MetadataException {
    public UnknownReferenceException(String message, Throwable cause) {
        super(message, cause);
    }
}
