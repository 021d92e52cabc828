package dev.kos.gateway;

import dev.kos.metadata.FileDetail;
import java.util.function.Function;

/**
 * A file's metadata as read (from PostgreSQL or the {@link FileCache}), with its metadata GET
 * body rendered at most once while it stays cached: a cached completed file is asked for the
 * same JSON again and again, and rendering it was most of such a request's CPU.
 */
public final class KnownFile {
    private final FileDetail detail;
    private volatile byte[] json;

    public KnownFile(FileDetail detail) {
        this.detail = detail;
    }

    public FileDetail detail() {
        return detail;
    }

    /** The rendered body; two threads may both render it once, and either result is the same. */
    public byte[] json(Function<FileDetail, byte[]> render) {
        byte[] j = json;
        if (j == null) {
            j = render.apply(detail);
            json = j;
        }
        return j;
    }
}
