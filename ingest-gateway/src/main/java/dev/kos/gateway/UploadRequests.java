package dev.kos.gateway;

import io.helidon.http.HeaderName;
import io.helidon.http.HeaderNames;
import io.helidon.http.HttpMediaType;
import io.helidon.http.Status;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.net.URLConnection;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Validates an upload request before any body byte is stored, and positions its body at the
 * file: multipart/form-data with a {@code file} part, or a raw application/octet-stream body
 * named by {@code ?name=} or {@code X-File-Name}.
 */
public final class UploadRequests {
    public static final HeaderName X_FILE_NAME = HeaderNames.create("X-File-Name");
    public static final HeaderName X_CHECKSUM_SHA256 = HeaderNames.create("X-Checksum-SHA256");
    /** Room for multipart boundaries and part headers around a file of the maximum size. */
    private static final long MULTIPART_OVERHEAD = 64 * 1024;
    private static final int MAX_SKIPPED_PARTS = 64;
    private static final int MAX_NAME_LENGTH = 1024;

    private final long maxFileSize;

    public UploadRequests(long maxFileSize) {
        this.maxFileSize = maxFileSize;
    }

    public IncomingFile open(ServerRequest req) throws IOException {
        Optional<HttpMediaType> type = req.headers().contentType();
        if (type.isEmpty()) {
            throw ApiException.badRequest("missing_content_type",
                    "Content-Type is required: multipart/form-data or application/octet-stream");
        }
        OptionalLong contentLength = req.headers().contentLength();
        Optional<byte[]> expected = expectedSha256(req);
        String mediaType = type.get().mediaType().text().toLowerCase(Locale.ROOT);
        if (mediaType.equals("multipart/form-data")) {
            checkLength(contentLength, maxFileSize + MULTIPART_OVERHEAD);
            String boundary = type.get().parameters().get("boundary");
            if (boundary == null) {
                throw ApiException.badRequest("bad_multipart", "multipart/form-data without a boundary parameter");
            }
            MultipartStream multipart = new MultipartStream(req.content().inputStream(), boundary);
            for (int skipped = 0; skipped <= MAX_SKIPPED_PARTS; skipped++) {
                Optional<MultipartStream.Part> part = multipart.next();
                if (part.isEmpty()) {
                    break;
                }
                if (part.get().disposition("name").filter("file"::equals).isPresent()) {
                    String name = fileName(part.get().disposition("filename"));
                    String contentType = part.get().header("content-type").filter(s -> !s.isBlank())
                            .orElseGet(() -> guessType(name));
                    long declared = part.get().header("content-length").flatMap(UploadRequests::parseLong).orElse(-1L);
                    return new IncomingFile(name, contentType, declared, part.get().body(), expected, Optional.of(multipart));
                }
            }
            throw ApiException.badRequest("missing_file_part", "multipart body has no part named 'file'");
        }
        if (mediaType.equals("application/octet-stream")) {
            checkLength(contentLength, maxFileSize);
            String name = fileName(req.query().first("name").asOptional().or(() -> req.headers().first(X_FILE_NAME)));
            return new IncomingFile(name, guessType(name), contentLength.orElse(-1), req.content().inputStream(),
                    expected, Optional.empty());
        }
        throw ApiException.badRequest("unsupported_content_type", "Content-Type " + mediaType
                + " is not accepted: use multipart/form-data or application/octet-stream");
    }

    private void checkLength(OptionalLong contentLength, long limit) {
        if (contentLength.isPresent() && contentLength.getAsLong() > limit) {
            throw new ApiException(Status.REQUEST_ENTITY_TOO_LARGE_413, "too_large", "Content-Length "
                    + contentLength.getAsLong() + " exceeds the limit of " + maxFileSize + " bytes");
        }
    }

    static String fileName(Optional<String> raw) {
        String name = raw.map(String::strip).orElse("");
        // Some clients send a full client-side path; keep the last segment only.
        int slash = Math.max(name.lastIndexOf('/'), name.lastIndexOf('\\'));
        if (slash >= 0) {
            name = name.substring(slash + 1);
        }
        if (name.isEmpty()) {
            throw ApiException.badRequest("missing_file_name", "the file name is missing or empty");
        }
        if (name.length() > MAX_NAME_LENGTH) {
            throw ApiException.badRequest("bad_file_name", "file name longer than " + MAX_NAME_LENGTH + " characters");
        }
        if (name.chars().anyMatch(c -> c < 0x20 || c == 0x7f)) {
            throw ApiException.badRequest("bad_file_name", "file name contains control characters");
        }
        return name;
    }

    static Optional<byte[]> expectedSha256(ServerRequest req) {
        Optional<String> header = req.headers().first(X_CHECKSUM_SHA256).map(String::strip);
        if (header.isEmpty()) {
            return Optional.empty();
        }
        String v = header.get();
        try {
            if (v.length() == 64) {
                return Optional.of(HexFormat.of().parseHex(v.toLowerCase(Locale.ROOT)));
            }
            byte[] decoded = Base64.getDecoder().decode(v);
            if (decoded.length == 32) {
                return Optional.of(decoded);
            }
        } catch (IllegalArgumentException e) {
            // fall through to the 400 below
        }
        throw ApiException.badRequest("bad_checksum_header", "X-Checksum-SHA256 must be a SHA-256 in hex or base64");
    }

    private static String guessType(String name) {
        String guessed = URLConnection.guessContentTypeFromName(name);
        return guessed == null ? "application/octet-stream" : guessed;
    }

    private static Optional<Long> parseLong(String s) {
        try {
            return Optional.of(Long.parseLong(s.strip()));
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }
}
