package dev.kos.metadata;

import java.util.Objects;
import java.util.Optional;

/**
 * A listing request: optional status filter, order by creation time, 1-based page.
 * Without a status filter, deleting and deleted files are hidden.
 */
public record FileQuery(Optional<FileStatus> status, SortOrder order, int page, int perPage) {
    public static final int DEFAULT_PER_PAGE = 50;
    /** Bounds one response's memory and the database's work per request. */
    public static final int MAX_PER_PAGE = 1000;

    public FileQuery {
        Objects.requireNonNull(status, "status must not be null (use Optional.empty())");
        Objects.requireNonNull(order, "order must not be null");
        if (page < 1) {
            throw new IllegalArgumentException("page must be 1 or more, got " + page);
        }
        if (perPage < 1 || perPage > MAX_PER_PAGE) {
            throw new IllegalArgumentException("per_page must be between 1 and " + MAX_PER_PAGE + ", got " + perPage);
        }
    }

    /** First page of every listed file, newest first. */
    public static FileQuery newestFirst() {
        return new FileQuery(Optional.empty(), SortOrder.DESC, 1, DEFAULT_PER_PAGE);
    }

    /** Rows to skip before this page; long because page * perPage may exceed an int. */
    public long offset() {
        return (long) (page - 1) * perPage;
    }
}
