/**
 * Metadata of kos in PostgreSQL: the pool and migrations ({@link dev.kos.metadata.Database}) and
 * plain-JDBC repositories for files, chunks, chunk locations and upload sessions.
 *
 * <p>Repositories are stateless; create them with {@code new}. Every write takes the caller's
 * {@link java.sql.Connection} so several writes, including another module's outbox insert, commit
 * or roll back together:
 * <pre>{@code
 * boolean completed = db.inTransaction(c -> {
 *     if (!files.complete(c, fileId)) {
 *         return false;                 // refused by the state machine or not every chunk stored
 *     }
 *     long seq = files.nextEventSequence(c, fileId);
 *     outbox.insert(c, ...);            // events module, same transaction
 *     return true;
 * });
 * }</pre>
 * Status guards live in the SQL ({@code UPDATE ... WHERE status IN (...)}) and report false when
 * refused; bad input gets {@link java.lang.IllegalArgumentException}; database-level problems
 * are {@link dev.kos.metadata.MetadataException} or one of its typed subclasses
 * ({@link dev.kos.metadata.UnknownFileException}, {@link dev.kos.metadata.UnknownReferenceException},
 * {@link dev.kos.metadata.ChunkConflictException}).
 */
package dev.kos.metadata;
