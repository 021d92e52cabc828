package dev.kos.gateway;

import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shapes of files in API responses (field names are the API contract, snake_case). */
final class FileJson {
    private FileJson() {
    }

    static Map<String, Object> summary(FileRecord f) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", f.fileId().toString());
        m.put("name", f.name());
        m.put("content_type", f.contentType());
        m.put("size", f.size());
        m.put("sha256", f.sha256());
        m.put("status", f.status().wire());
        m.put("chunk_size", f.chunkSize());
        m.put("chunk_count", f.chunkCount());
        m.put("created_at", time(f.createdAt()));
        m.put("updated_at", time(f.updatedAt()));
        m.put("completed_at", time(f.completedAt()));
        if (f.failureReason() != null) {
            m.put("failure_reason", f.failureReason());
        }
        m.put("url", "/files/" + f.fileId());
        m.put("metadata_url", "/files/" + f.fileId() + "/metadata");
        return m;
    }

    static Map<String, Object> detail(FileRecord f, List<ChunkRecord> chunks) {
        Map<String, Object> m = summary(f);
        m.put("chunks", chunks.stream().map(FileJson::chunk).toList());
        return m;
    }

    private static Map<String, Object> chunk(ChunkRecord c) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("index", c.index());
        m.put("chunk_id", c.chunkId());
        m.put("size", c.size());
        m.put("crc32c", HexFormat.of().toHexDigits(c.crc32c()));
        m.put("nodes", c.locations().stream().map(ChunkRecord.Location::nodeId).toList());
        return m;
    }

    private static String time(Instant t) {
        return t == null ? null : t.toString();
    }
}
