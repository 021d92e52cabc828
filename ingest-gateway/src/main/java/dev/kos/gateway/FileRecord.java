package dev.kos.gateway;

import java.time.Instant;
import java.util.UUID;

/** A file as the catalog knows it. Size, sha256 and chunkCount are null until sealed. */
public record FileRecord(UUID fileId, String name, String contentType, Long size, String sha256, FileStatus status,
                         long chunkSize, Integer chunkCount, String failureReason, Instant createdAt,
                         Instant updatedAt, Instant completedAt) {
}
