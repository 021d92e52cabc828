package dev.kos.gateway;

import java.util.List;

/** A page of files and the total count matching the query. */
public record FilePage(List<FileRecord> files, long total) {
    public FilePage {
        files = List.copyOf(files);
    }
}
