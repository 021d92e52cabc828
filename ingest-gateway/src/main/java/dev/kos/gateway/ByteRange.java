package dev.kos.gateway;

import io.helidon.http.Status;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An inclusive byte range of a file. Parses single-range {@code Range: bytes=} headers
 * (first-last, first-, -suffix); multiple ranges are answered with the whole file, which RFC 9110
 * allows, rather than multipart/byteranges.
 */
public record ByteRange(long first, long last) {
    private static final Pattern SINGLE = Pattern.compile("bytes=(\\d*)-(\\d*)");

    public long length() {
        return last - first + 1;
    }

    public static ByteRange whole(long size) {
        return new ByteRange(0, size - 1);
    }

    /**
     * The range asked for, empty for "the whole file" (no header, a multi-range, or a unit we do
     * not serve). Throws 416 when the range cannot be satisfied for a file of {@code size} bytes.
     */
    public static Optional<ByteRange> parse(Optional<String> header, long size) {
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String value = header.get().trim();
        Matcher m = SINGLE.matcher(value);
        if (!m.matches()) {
            return Optional.empty();
        }
        String a = m.group(1);
        String b = m.group(2);
        try {
            if (a.isEmpty() && b.isEmpty()) {
                return Optional.empty();
            }
            if (a.isEmpty()) {
                long suffix = Long.parseLong(b);
                if (suffix == 0 || size == 0) {
                    throw unsatisfiable(size);
                }
                return Optional.of(new ByteRange(Math.max(0, size - suffix), size - 1));
            }
            long first = Long.parseLong(a);
            long last = b.isEmpty() ? size - 1 : Math.min(Long.parseLong(b), size - 1);
            if (!b.isEmpty() && Long.parseLong(b) < first) {
                return Optional.empty(); // syntactically invalid: ignore the header (RFC 9110 14.2)
            }
            if (first >= size) {
                throw unsatisfiable(size);
            }
            return Optional.of(new ByteRange(first, last));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    public static ApiException unsatisfiable(long size) {
        return new ApiException(Status.REQUESTED_RANGE_NOT_SATISFIABLE_416, "range_not_satisfiable",
                "range outside the file's " + size + " bytes");
    }
}
