package dev.kos.metadata;

import java.util.UUID;

/** The file id names no row in {@code files} (the HTTP layer answers 404). */
public class UnknownFileException extends MetadataException {
    private final UUID fileId;

    public UnknownFileException(UUID fileId) {
        super("unknown file " + fileId);
        this.fileId = fileId;
    }

    public UUID fileId() {
        return fileId;
    }
}
