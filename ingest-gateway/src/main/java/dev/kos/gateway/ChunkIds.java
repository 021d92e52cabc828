package dev.kos.gateway;

import java.util.Locale;
import java.util.UUID;

/**
 * Chunk ids: the file id without dashes, a dash, the chunk index zero-padded to six digits
 * ({@code 3f2a...9c-000042}). Only [0-9a-f-], so they are valid node ids and file names, sort in
 * file order, and a node's inventory can be listed per file by prefix.
 */
public final class ChunkIds {
    public static final int MAX_CHUNKS = 1_000_000;

    private ChunkIds() {
    }

    public static String of(UUID fileId, int index) {
        if (index < 0 || index >= MAX_CHUNKS) {
            throw new IllegalArgumentException("chunk index out of range: " + index);
        }
        return prefix(fileId) + String.format(Locale.ROOT, "%06d", index);
    }

    /** The prefix shared by every chunk of the file. */
    public static String prefix(UUID fileId) {
        return fileId.toString().replace("-", "") + "-";
    }
}
