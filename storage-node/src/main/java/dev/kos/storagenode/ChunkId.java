package dev.kos.storagenode;

import java.util.regex.Pattern;

/**
 * A validated chunk id: 1-128 characters of {@code [A-Za-z0-9_-]} (the proto's contract).
 *
 * <p>The alphabet has no '.', '/' or '\\', so an id can never name "..", a hidden file, an
 * absolute path or another directory: every id maps to exactly one file under the data dir.
 */
public record ChunkId(String value) {
    public static final int MAX_LENGTH = 128;
    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_-]{1," + MAX_LENGTH + "}");

    public ChunkId {
        if (value == null || value.isEmpty()) {
            throw new ChunkStoreException.InvalidRequest("chunk id is empty");
        }
        if (value.length() > MAX_LENGTH) {
            throw new ChunkStoreException.InvalidRequest(
                    "chunk id is " + value.length() + " characters; at most " + MAX_LENGTH + " allowed");
        }
        if (!SAFE.matcher(value).matches()) {
            throw new ChunkStoreException.InvalidRequest(
                    "chunk id '" + printable(value) + "' has characters outside [A-Za-z0-9_-]");
        }
    }

    /** True when {@code s} would make a valid id (for scanning the disk without exceptions). */
    public static boolean isValid(String s) {
        return s != null && SAFE.matcher(s).matches();
    }

    /** The shard directory name: the first two characters (the whole id when it has one). */
    public String shard() {
        return value.length() >= 2 ? value.substring(0, 2) : value;
    }

    @Override
    public String toString() {
        return value;
    }

    // Ids end up in logs and error messages: never echo control characters or a huge string.
    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char c = s.charAt(i);
            b.append(c >= 0x20 && c < 0x7f ? c : '?');
        }
        return s.length() > 64 ? b + "..." : b.toString();
    }
}
