package dev.kos.gateway;

import java.util.Locale;

/** A file's lifecycle state as the API shows it (see design.md, "File states"). */
public enum FileStatus {
    PENDING, UPLOADING, COMPLETED, FAILED, EXPIRED, DELETING, DELETED;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static FileStatus parse(String text) {
        try {
            return valueOf(text.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw ApiException.badRequest("bad_status", "unknown status '" + text + "'");
        }
    }

    /** Gone for clients: reads and listings treat it as absent. */
    public boolean isGone() {
        return this == DELETING || this == DELETED;
    }
}
