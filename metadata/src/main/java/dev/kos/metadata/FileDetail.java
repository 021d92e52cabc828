package dev.kos.metadata;

import java.util.List;

/** A file with its chunks in index order, each with every known copy, read in one snapshot. */
public record FileDetail(FileRecord file, List<ChunkRecord> chunks) {
    public FileDetail {
        chunks = List.copyOf(chunks);
    }
}
