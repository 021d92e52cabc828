package dev.kos.gateway;

import java.io.InputStream;
import java.util.Optional;

/**
 * The file an upload request carries, ready to stream: its name, type, the size the client
 * declared (-1 unknown), the body positioned at the file's first byte, and the client's
 * SHA-256 when it sent one. {@code multipart} is set when the body has parts after the file.
 */
public record IncomingFile(String name, String contentType, long declaredSize, InputStream body,
                           Optional<byte[]> expectedSha256, Optional<MultipartStream> multipart) {
}
