package dev.kos.metadata;

import java.util.List;

/**
 * One page of a listing.
 *
 * @param items   the rows of this page, at most {@code perPage}
 * @param total   how many rows match the query over all pages
 * @param page    1-based page number
 * @param perPage page size asked for
 */
public record Page<T>(List<T> items, long total, int page, int perPage) {
    public Page {
        items = List.copyOf(items);
        if (total < 0 || page < 1 || perPage < 1) {
            throw new IllegalArgumentException("invalid page: total=" + total + " page=" + page + " perPage=" + perPage);
        }
    }

    public long totalPages() {
        return (total + perPage - 1) / perPage;
    }

    public boolean hasNext() {
        return (long) page * perPage < total;
    }
}
