package dev.kos.gateway;

import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;

/** File ids on the wire are canonical lowercase UUIDs; anything else is a 400, not a 404. */
public final class FileIds {
    private static final Pattern UUID_TEXT =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private FileIds() {
    }

    public static UUID parse(String text) {
        if (text == null || !UUID_TEXT.matcher(text).matches()) {
            throw ApiException.badRequest("malformed_id", "file id must be a UUID, was '" + abbreviate(text) + "'");
        }
        return UUID.fromString(text.toLowerCase(Locale.ROOT));
    }

    private static String abbreviate(String s) {
        return s == null ? "" : s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }
}
