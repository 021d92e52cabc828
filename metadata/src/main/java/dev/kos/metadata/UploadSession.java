package dev.kos.metadata;

import java.time.Instant;
import java.util.UUID;

/**
 * The open upload of one file. Every progress report pushes {@code expiresAt} forward, so only an
 * abandoned upload ever expires.
 *
 * @param gatewayId the gateway instance streaming the upload (to tell whose sessions died with it)
 */
public record UploadSession(UUID fileId, String gatewayId, long bytesReceived, Instant startedAt,
                            Instant lastProgressAt, Instant expiresAt) {
}
