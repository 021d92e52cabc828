package dev.kos.gateway;

import java.util.UUID;

/** An upload about to stream: what the catalog records before the first byte is read. */
public record NewUpload(UUID fileId, String name, String contentType, long declaredSize, long chunkSize) {
}
