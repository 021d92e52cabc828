package dev.kos.gateway;

import java.util.Optional;

/** One page of the file listing. {@code page} counts from 1. */
public record FileQuery(int page, int perPage, Optional<FileStatus> status, boolean newestFirst) {
}
