package dev.kos.gateway;

import dev.kos.metadata.ChunkRecord;
import dev.kos.metadata.FileRecord;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The JSON shapes of files in API responses (field names are the API contract, snake_case). */
final class FileJson {
    private FileJson() {
    }

    /** About the length of one file's summary in JSON, to size the response's buffer. */
    static final int SUMMARY_CHARS = 640;

    static Map<String, Object> summary(FileRecord f) {
        Map<String, Object> m = new LinkedHashMap<>(32); // 15 fields plus chunks: no rehash on the way
        m.put("id", f.fileId().toString());
        m.put("name", f.name());
        m.put("content_type", f.contentType());
        m.put("size", f.sizeBytes().orElse(null));
        m.put("sha256", f.sha256().orElse(null));
        m.put("status", f.status().dbValue());
        m.put("chunk_size", f.chunkSize());
        m.put("chunk_count", f.chunkCount().orElse(null));
        m.put("created_at", time(f.createdAt()));
        m.put("updated_at", time(f.updatedAt()));
        m.put("completed_at", f.completedAt().map(FileJson::time).orElse(null));
        f.failureReason().ifPresent(r -> m.put("failure_reason", r));
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
        Map<String, Object> m = new LinkedHashMap<>(8);
        m.put("index", c.index());
        m.put("chunk_id", c.chunkId());
        m.put("size", c.size());
        m.put("crc32c", HexFormat.of().toHexDigits(c.crc32c()));
        m.put("nodes", c.readableNodes());
        return m;
    }

    private static String time(Instant t) {
        return t.toString();
    }
}
