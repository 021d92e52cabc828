package dev.kos.metadata;

import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * What the gateway knows about a file when its upload starts. The id is the caller's so it can
 * name the file in events and logs before the row exists.
 */
public record NewFile(UUID fileId, String name, String contentType, Optional<String> owner, long chunkSize) {
    public static final int MAX_NAME_LENGTH = 1024;

    public NewFile {
        Objects.requireNonNull(fileId, "fileId");
        Objects.requireNonNull(owner, "owner must not be null (use Optional.empty())");
        if (name == null || name.isEmpty() || name.length() > MAX_NAME_LENGTH) {
            throw new IllegalArgumentException("file name must have 1 to " + MAX_NAME_LENGTH + " characters");
        }
        if (name.indexOf('\0') >= 0) {
            throw new IllegalArgumentException("file name must not contain NUL characters");
        }
        if (contentType == null || contentType.isBlank()) {
            throw new IllegalArgumentException("content type must not be blank");
        }
        if (chunkSize <= 0) {
            throw new IllegalArgumentException("chunk size must be positive, got " + chunkSize);
        }
    }

    /** A new file with a fresh random id. */
    public static NewFile of(String name, String contentType, Optional<String> owner, long chunkSize) {
        return new NewFile(UUID.randomUUID(), name, contentType, owner, chunkSize);
    }
}
