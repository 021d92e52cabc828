package dev.kos.metadata;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * The life of a stored file (design.md, "File states"):
 * {@code pending -> uploading -> completed}; {@code pending|uploading -> failed|expired};
 * {@code completed|failed|expired -> deleting -> deleted}; and {@code pending|uploading -> deleting}
 * for a delete that arrives while the upload is still streaming. Nothing else is allowed, so a
 * completed file never goes back to uploading and a deleted one is never completed.
 */
public enum FileStatus {
    PENDING, UPLOADING, COMPLETED, FAILED, EXPIRED, DELETING, DELETED;

    /** The value stored in {@code files.status}. */
    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a database or HTTP value, case-insensitively; unknown values are refused. */
    public static FileStatus parse(String value) {
        if (value != null) {
            for (FileStatus s : values()) {
                if (s.dbValue().equalsIgnoreCase(value.trim())) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("unknown file status '" + value + "'; expected one of "
                + Stream.of(values()).map(FileStatus::dbValue).collect(Collectors.joining(", ")));
    }

    /** Whether the state machine allows this status to move to {@code next}. */
    public boolean canMoveTo(FileStatus next) {
        return switch (this) {
            case PENDING -> next == UPLOADING || next == FAILED || next == EXPIRED || next == DELETING;
            case UPLOADING -> next == COMPLETED || next == FAILED || next == EXPIRED || next == DELETING;
            case COMPLETED, FAILED, EXPIRED -> next == DELETING;
            case DELETING -> next == DELETED;
            case DELETED -> false;
        };
    }

    /** Every status that may move to this one (empty for {@code pending}, the initial status). */
    public Set<FileStatus> predecessors() {
        EnumSet<FileStatus> from = EnumSet.noneOf(FileStatus.class);
        for (FileStatus s : values()) {
            if (s.canMoveTo(this)) {
                from.add(s);
            }
        }
        return from;
    }

    /** Listings hide files on their way out unless the caller filters on that status. */
    public boolean listedByDefault() {
        return this != DELETING && this != DELETED;
    }
}
