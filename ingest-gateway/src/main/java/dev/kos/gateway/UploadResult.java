package dev.kos.gateway;

import java.util.List;

/** A fully received and stored upload: its size, SHA-256 (lowercase hex) and chunks in order. */
public record UploadResult(long size, String sha256, List<StoredChunk> chunks) {
    public UploadResult {
        chunks = List.copyOf(chunks);
    }
}
