package dev.kos.gateway;

import java.util.UUID;

/** File ids on the wire are canonical UUIDs (36 characters, hex in 8-4-4-4-12); anything else is a 400, not a 404. */
public final class FileIds {
    private FileIds() {
    }

    public static UUID parse(String text) {
        if (!wellFormed(text)) {
            throw ApiException.badRequest("malformed_id", "file id must be a UUID, was '" + abbreviate(text) + "'");
        }
        return UUID.fromString(text); // either case of hex: UUID parses both
    }

    /** A check by hand, not a regular expression: this runs on every file request (a regex was ~10% of a metadata GET). */
    static boolean wellFormed(String s) {
        if (s == null || s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean ok = (i == 8 || i == 13 || i == 18 || i == 23) ? c == '-'
                    : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
