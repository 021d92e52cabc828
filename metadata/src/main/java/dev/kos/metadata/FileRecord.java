package dev.kos.metadata;

import java.time.Instant;
import java.util.Optional;
import java.util.UUID;

/**
 * One row of {@code files}. Size, SHA-256 and chunk count are empty until the upload is sealed
 * (all bytes received); the timestamps of later steps are empty until they happen.
 */
public record FileRecord(
        UUID fileId,
        String name,
        String contentType,
        Optional<Long> sizeBytes,
        Optional<String> sha256,
        FileStatus status,
        Optional<String> owner,
        long chunkSize,
        Optional<Integer> chunkCount,
        Optional<String> failureReason,
        Instant createdAt,
        Instant updatedAt,
        Optional<Instant> sealedAt,
        Optional<Instant> completedAt,
        Optional<Instant> deletedAt,
        long eventSeq) {

    public boolean isSealed() {
        return sealedAt.isPresent();
    }
}
