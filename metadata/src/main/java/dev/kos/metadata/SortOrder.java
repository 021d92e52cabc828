package dev.kos.metadata;

import java.util.Locale;

/** Listing order by creation time; ties are broken by file id so pages never overlap. */
public enum SortOrder {
    ASC, DESC;

    /** Parses {@code asc} or {@code desc} (any case), as the HTTP API accepts them. */
    public static SortOrder parse(String value) {
        if (value != null) {
            switch (value.trim().toLowerCase(Locale.ROOT)) {
                case "asc" -> {
                    return ASC;
                }
                case "desc" -> {
                    return DESC;
                }
                default -> {
                }
            }
        }
        throw new IllegalArgumentException("unknown sort order '" + value + "'; expected asc or desc");
    }

    /** The SQL keyword: only ever one of two constants, never caller text. */
    String sql() {
        return this == ASC ? "ASC" : "DESC";
    }
}
