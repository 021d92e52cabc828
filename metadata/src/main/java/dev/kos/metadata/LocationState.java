package dev.kos.metadata;

import java.util.Locale;

/**
 * The state of one copy of a chunk on one storage node ({@code chunk_locations.state}).
 * Only {@link #STORED} copies are readable: a copy being moved in is not complete yet, and one
 * marked for deletion may vanish at any moment.
 */
public enum LocationState {
    /** A verified copy: readable. */
    STORED,
    /** A move or re-replication is writing this copy: not readable yet. */
    COPYING,
    /** To be removed from the node by the cleanup worker: no longer readable. */
    DELETING;

    public String dbValue() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static LocationState parse(String value) {
        if (value != null) {
            for (LocationState s : values()) {
                if (s.dbValue().equalsIgnoreCase(value.trim())) {
                    return s;
                }
            }
        }
        throw new IllegalArgumentException("unknown chunk location state '" + value + "'; expected stored, copying or deleting");
    }
}
