package dev.kos.metadata;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Rows of {@code files}. Every write takes the caller's {@link Connection} so it joins the
 * caller's transaction (the gateway writes its outbox event in the same one).
 *
 * <p>Status changes are single guarded statements, {@code UPDATE ... WHERE status IN (allowed
 * predecessors)}: PostgreSQL re-checks the guard on the latest row version when two writers
 * race, so exactly one of two conflicting transitions applies and the other reports false.
 * There is no read-modify-write window.
 */
public final class FileRepository {
    private static final Pattern SHA256 = Pattern.compile("^[0-9a-f]{64}$");

    /**
     * The channel that carries a file id when its upload settles (completed or failed after the
     * seal), with the completed row's own values when it completed ({@link SettledNotice}); the
     * gateway's waiting POST listens on it instead of polling.
     */
    public static final String SETTLED_CHANNEL = "kos_file_settled";

    /**
     * The channel that carries a completed file's id when the file or a copy of one of its chunks
     * changes (migration V3's triggers send it at commit): caches of completed files listen on it.
     */
    public static final String CHANGED_CHANNEL = "kos_file_changed";

    /**
     * The channel told (empty payload) when anything a file list shows changes: a file added,
     * removed, or one of its listed columns updated (migration V3's triggers, at commit).
     */
    public static final String LISTED_CHANNEL = "kos_files_listed";

    /** In this order: {@link #read(ResultSet, int)} reads them by position. */
    static final String COLUMNS = "file_id, name, content_type, size_bytes, sha256, status, owner, chunk_size, chunk_count, "
            + "failure_reason, created_at, updated_at, sealed_at, completed_at, deleted_at, event_seq";

    /** The outbox insert of the statements that write their events themselves; values bound by {@link #bindOutboxRow}. */
    private static final String OUTBOX_INSERT = "INSERT INTO outbox (event_id, topic, record_key, event_type, payload)";

    /** {@link #COLUMNS} of the alias {@code f}, for joins (chunks have a size_bytes and a created_at too). */
    private static final String FILE_COLUMNS_OF_F = Arrays.stream(COLUMNS.split(", "))
            .map(col -> "f." + col).collect(Collectors.joining(", "));

    /**
     * A file completes only once sealed and every chunk 0..chunk_count-1 is recorded with at least
     * one stored copy and the sizes add up, so no consumer ever sees a completed file whose bytes
     * are not durable, whatever the caller checked before.
     */
    private static final String COMPLETION_GUARD = """
             AND sealed_at IS NOT NULL
             AND (SELECT count(*) = files.chunk_count
                         AND coalesce(sum(c.size_bytes), 0) = files.size_bytes
                         AND bool_and(c.chunk_index < files.chunk_count
                                      AND EXISTS (SELECT 1 FROM chunk_locations l
                                                  WHERE l.chunk_id = c.chunk_id AND l.state = 'stored')) IS NOT FALSE
                  FROM chunks c WHERE c.file_id = files.file_id)""";

    /** Inserts a file in status {@code pending}. A second create with the same id is refused. */
    public FileRecord create(Connection c, NewFile file) throws SQLException {
        return create(c, file, 0);
    }

    /**
     * {@link #create} that also reserves the file's first {@code events} event sequences (1 to
     * {@code events}) for the events the caller appends in this transaction with
     * {@code OutboxWriter.appendReserved}: one statement instead of an insert and a sequence update.
     */
    public FileRecord create(Connection c, NewFile file, int events) throws SQLException {
        return insert(c, file, FileStatus.PENDING, null, events);
    }

    /**
     * Records a whole upload whose bytes are all stored already, in one statement: the file
     * {@code uploading} and sealed with its size, SHA-256 (lowercase hex) and chunk count, as if
     * created, started and {@link #seal sealed} at once (only the placement service's completion
     * is left); its one chunk, if it has one, with the stored copy; and its outbox rows, whose
     * sequences must be 1 to {@code outbox.size()} (the statement reserves them).
     *
     * <p>One statement so that a caller on an auto-commit connection pays one round trip and one
     * commit for all of it, where an insert per table in a transaction paid five; PostgreSQL runs
     * a statement atomically, so a reader sees all of it or nothing. If the file exists already
     * nothing is written. The outbox rows are inserted in the order given, so their ids, and the
     * relay's publish order, follow their sequences.
     *
     * @param chunk the file's only chunk (index 0, {@code sizeBytes} long) and the node that
     *     stores it; empty for an empty file
     * @throws MetadataException the file exists already
     * @throws UnknownReferenceException the chunk's node is not registered
     */
    public FileRecord createSealed(Connection c, NewFile file, long sizeBytes, String sha256, Optional<ChunkOnNode> chunk,
                                   List<OutboxRow> outbox) throws SQLException {
        requireSeal(sizeBytes, sha256, chunk.isPresent() ? 1 : 0);
        if (outbox.isEmpty()) {
            throw new IllegalArgumentException("a sealed upload reports itself: at least one outbox row is needed");
        }
        chunk.ifPresent(k -> {
            Jdbc.requireChunkId(k.chunkId());
            if (!k.fileId().equals(file.fileId()) || k.index() != 0 || k.size() != sizeBytes
                    || k.state() != LocationState.STORED) {
                throw new IllegalArgumentException("the chunk of a file recorded at once is its stored chunk 0 of "
                        + sizeBytes + " bytes, got " + k);
            }
        });
        StringBuilder sql = new StringBuilder(1024)
                .append("WITH f AS (INSERT INTO files (file_id, name, content_type, owner, chunk_size, status, size_bytes, ")
                .append("sha256, chunk_count, sealed_at, event_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, now(), ?) ")
                .append("ON CONFLICT (file_id) DO NOTHING RETURNING ").append(COLUMNS).append(')');
        if (chunk.isPresent()) {
            sql.append(", c AS (INSERT INTO chunks (file_id, chunk_index, chunk_id, size_bytes, crc32c) ")
                    .append("SELECT file_id, 0, ?, ?, ? FROM f RETURNING chunk_id)")
                    .append(", l AS (INSERT INTO chunk_locations (chunk_id, node_id, state) SELECT chunk_id, ?, ? FROM c)");
        }
        sql.append(", o AS (").append(OUTBOX_INSERT).append(' ')
                .append("SELECT e.event_id, e.topic, e.record_key, e.event_type, e.payload FROM f, (VALUES ");
        for (int i = 0; i < outbox.size(); i++) {
            sql.append(i == 0 ? "" : ", ").append('(').append(i).append(", ?::uuid, ?::text, ?::text, ?::text, ?::bytea)");
        }
        sql.append(") AS e (n, event_id, topic, record_key, event_type, payload) ORDER BY e.n) SELECT * FROM f");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int p = 0;
            ps.setObject(++p, file.fileId());
            ps.setString(++p, file.name());
            ps.setString(++p, file.contentType());
            ps.setString(++p, file.owner().orElse(null));
            ps.setLong(++p, file.chunkSize());
            ps.setString(++p, FileStatus.UPLOADING.dbValue());
            ps.setLong(++p, sizeBytes);
            ps.setString(++p, sha256);
            ps.setInt(++p, chunk.isPresent() ? 1 : 0);
            ps.setLong(++p, outbox.size());
            if (chunk.isPresent()) {
                ps.setString(++p, chunk.get().chunkId());
                ps.setLong(++p, chunk.get().size());
                ps.setBytes(++p, Jdbc.crcBytes(chunk.get().crc32c()));
                ps.setString(++p, chunk.get().nodeId());
                ps.setString(++p, LocationState.STORED.dbValue());
            }
            for (OutboxRow row : outbox) {
                p = bindOutboxRow(ps, p, row);
            }
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new MetadataException("file " + file.fileId() + " already exists");
                }
                return read(rs);
            }
        } catch (SQLException e) {
            if (Jdbc.FOREIGN_KEY_VIOLATION.equals(e.getSQLState()) && chunk.isPresent()) {
                throw new UnknownReferenceException("unknown storage node '" + chunk.get().nodeId() + "'", e);
            }
            throw e;
        }
    }

    /**
     * Inserts a file whose upload failed before anything of it was recorded, in status
     * {@code failed} with its reason: the failure stays visible as it would for an upload that
     * had begun. Reserves the first {@code events} event sequences.
     */
    public FileRecord createFailed(Connection c, NewFile file, String reason, int events) throws SQLException {
        return insert(c, file, FileStatus.FAILED, requireReason(reason), events);
    }

    /**
     * One statement text for the unsealed inserts (pending, failed), so each connection prepares it
     * once; a sealed file goes in with its chunk and events through {@link #createSealed}.
     */
    private FileRecord insert(Connection c, NewFile file, FileStatus status, String reason, int events) throws SQLException {
        requireEvents(events);
        String sql = "INSERT INTO files (file_id, name, content_type, owner, chunk_size, status, failure_reason, event_seq) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (file_id) DO NOTHING RETURNING " + COLUMNS;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, file.fileId());
            ps.setString(2, file.name());
            ps.setString(3, file.contentType());
            ps.setString(4, file.owner().orElse(null));
            ps.setLong(5, file.chunkSize());
            ps.setString(6, status.dbValue());
            ps.setString(7, reason);
            ps.setLong(8, events);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new MetadataException("file " + file.fileId() + " already exists");
                }
                return read(rs);
            }
        }
    }

    /**
     * Moves the file to {@code to} from any status the state machine allows. A move to
     * {@code completed} also needs the completion guard of {@link #complete}.
     *
     * @return whether it applied (false: unknown file, or a status that cannot move to {@code to})
     */
    public boolean transition(Connection c, UUID fileId, FileStatus to) throws SQLException {
        return update(c, fileId, to.predecessors(), to, null);
    }

    /**
     * Moves the file to {@code to} only if it is in one of {@code expected} now; for example a
     * delete that must not overtake a completion passes {@code Set.of(UPLOADING)}.
     *
     * @return whether it applied (false: unknown file, or a status outside {@code expected})
     * @throws IllegalArgumentException when an expected status can never move to {@code to}
     */
    public boolean transition(Connection c, UUID fileId, Set<FileStatus> expected, FileStatus to) throws SQLException {
        for (FileStatus from : expected) {
            if (!from.canMoveTo(to)) {
                throw new IllegalArgumentException("a file cannot move from " + from.dbValue() + " to " + to.dbValue());
            }
        }
        return update(c, fileId, expected, to, null);
    }

    /** pending -> uploading: the first bytes arrived. */
    public boolean startUpload(Connection c, UUID fileId) throws SQLException {
        return transition(c, fileId, FileStatus.UPLOADING);
    }

    /**
     * Records that every byte arrived: size, SHA-256 (lowercase hex) and chunk count. The file
     * stays {@code uploading} until {@link #complete}. Sealing again with the same values is a
     * harmless replay (true); with different values it is refused (false).
     */
    public boolean seal(Connection c, UUID fileId, long sizeBytes, String sha256, int chunkCount) throws SQLException {
        return seal(c, fileId, sizeBytes, sha256, chunkCount, 0).isPresent();
    }

    /**
     * {@link #seal} that also reserves the file's next {@code events} event sequences for the
     * events the caller appends in this transaction ({@code OutboxWriter.appendReserved}).
     *
     * @return the last sequence reserved (the row's new {@code event_seq}), or empty when refused
     */
    public OptionalLong seal(Connection c, UUID fileId, long sizeBytes, String sha256, int chunkCount, int events)
            throws SQLException {
        requireEvents(events);
        requireSeal(sizeBytes, sha256, chunkCount);
        String sql = "UPDATE files SET size_bytes = ?, sha256 = ?, chunk_count = ?, sealed_at = coalesce(sealed_at, now()), "
                + "updated_at = now(), event_seq = event_seq + ? WHERE file_id = ? AND status = 'uploading' "
                + "AND (sealed_at IS NULL OR (size_bytes = ? AND sha256 = ? AND chunk_count = ?)) RETURNING event_seq";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setLong(1, sizeBytes);
            ps.setString(2, sha256);
            ps.setInt(3, chunkCount);
            ps.setInt(4, events);
            ps.setObject(5, fileId);
            ps.setLong(6, sizeBytes);
            ps.setString(7, sha256);
            ps.setInt(8, chunkCount);
            return eventSeqIfUpdated(ps);
        }
    }

    private static void requireSeal(long sizeBytes, String sha256, int chunkCount) {
        if (sizeBytes < 0) {
            throw new IllegalArgumentException("size must not be negative, got " + sizeBytes);
        }
        if (sha256 == null || !SHA256.matcher(sha256).matches()) {
            throw new IllegalArgumentException("sha256 must be 64 lowercase hex characters, got '" + sha256 + "'");
        }
        if (chunkCount < 0) {
            throw new IllegalArgumentException("chunk count must not be negative, got " + chunkCount);
        }
    }

    private static OptionalLong eventSeqIfUpdated(PreparedStatement ps) throws SQLException {
        try (ResultSet rs = ps.executeQuery()) {
            return rs.next() ? OptionalLong.of(rs.getLong(1)) : OptionalLong.empty();
        }
    }

    private static void requireEvents(int events) {
        if (events < 0) {
            throw new IllegalArgumentException("the number of events to reserve must not be negative, got " + events);
        }
    }

    /**
     * uploading -> completed, only for a sealed file whose every chunk has a stored copy (see
     * the guard above); false otherwise.
     */
    public boolean complete(Connection c, UUID fileId) throws SQLException {
        return transition(c, fileId, FileStatus.COMPLETED);
    }

    /**
     * {@link #complete} that also reserves the file's next {@code events} event sequences
     * ({@code OutboxWriter.appendReserved}); returns the last one, or empty when refused.
     */
    public OptionalLong complete(Connection c, UUID fileId, int events) throws SQLException {
        requireEvents(events);
        return update(c, fileId, FileStatus.COMPLETED.predecessors(), FileStatus.COMPLETED, null, events);
    }

    /**
     * uploading -> completed in one statement, when every check of a finalization passes at
     * once: the seal recorded equals {@code sizeBytes}, {@code sha256} and {@code chunkCount}
     * (what the events reported), each recorded chunk's CRC32C equals {@code reportedCrcs[its
     * index]} (null: not reported), and the completion guard of {@link #complete} holds. Reserves
     * {@code events} event sequences and announces the settle on {@link #SETTLED_CHANNEL} (at
     * commit) in the same statement.
     *
     * @return the completed file (its event_seq the last sequence reserved), or empty when any
     *     check failed or the file is not uploading; the caller then finds out which, under a lock
     */
    public Optional<FileRecord> completeIfVerified(Connection c, UUID fileId, long sizeBytes, String sha256, int chunkCount,
                                                   Integer[] reportedCrcs, int events) throws SQLException {
        requireEvents(events);
        return completeVerified(c, fileId, sizeBytes, sha256, chunkCount, reportedCrcs, events, Optional.empty());
    }

    /**
     * What the seal's event said of the file, and the file_completed row built from it before the
     * statement that completes the file: see {@link #completeAsSealed}.
     *
     * @param sequence the seal event's sequence, the file's last one when nothing happened to it since
     * @param owner empty for a file without an owner
     * @param completed file_completed's outbox row, with sequence {@code sequence + 1}
     */
    public record AsSealed(long sequence, String name, String contentType, String owner, OutboxRow completed) {
        public AsSealed {
            if (sequence < 1) {
                throw new IllegalArgumentException("a seal's event sequence is at least 1, got " + sequence);
            }
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(contentType, "contentType");
            Objects.requireNonNull(owner, "owner");
            Objects.requireNonNull(completed, "completed");
        }
    }

    /**
     * {@link #completeIfVerified} with file_completed's outbox row inserted by the same statement,
     * for a caller on an auto-commit connection: one round trip and one commit where a transaction
     * took three (update, insert, commit). The row was built before the statement from what the
     * seal's event said, so the statement applies only where that still holds: the file's event
     * sequence is still the seal's (no event of the file since, so the row's sequence is the next
     * one) and its name, content type and owner are the ones the row reports. Reserves that one
     * sequence and announces the settle on {@link #SETTLED_CHANNEL}, as {@link #completeIfVerified}.
     *
     * @return the completed file, or empty when any check failed or the file is not uploading; then
     *     nothing was written, and the caller finds out why as after {@link #completeIfVerified}
     */
    public Optional<FileRecord> completeAsSealed(Connection c, UUID fileId, long sizeBytes, String sha256, int chunkCount,
                                                 Integer[] reportedCrcs, AsSealed sealed) throws SQLException {
        return completeVerified(c, fileId, sizeBytes, sha256, chunkCount, reportedCrcs, 1, Optional.of(sealed));
    }

    private Optional<FileRecord> completeVerified(Connection c, UUID fileId, long sizeBytes, String sha256, int chunkCount,
                                                  Integer[] reportedCrcs, int events, Optional<AsSealed> sealed)
            throws SQLException {
        String sql = "WITH done AS (UPDATE files SET status = 'completed', updated_at = now(), completed_at = now(), "
                + "event_seq = event_seq + ? WHERE file_id = ? AND status = 'uploading' AND size_bytes = ? AND sha256 = ? "
                + "AND chunk_count = ? "
                + (sealed.isPresent() ? "AND event_seq = ? AND name = ? AND content_type = ? AND coalesce(owner, '') = ? " : "")
                + COMPLETION_GUARD
                + " AND NOT EXISTS (SELECT 1 FROM chunks k WHERE k.file_id = files.file_id "
                + "AND k.crc32c IS DISTINCT FROM int4send((?::int4[])[k.chunk_index + 1])) RETURNING " + COLUMNS + ") "
                + (sealed.isPresent() ? ", o AS (" + OUTBOX_INSERT + " "
                        + "SELECT ?::uuid, ?::text, ?::text, ?::text, ?::bytea FROM done) " : "")
                + "SELECT done.*, pg_notify('" + SETTLED_CHANNEL + "', " + SettledNotice.completionPayloadSql("done")
                + ") FROM done";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int p = 0;
            ps.setInt(++p, events);
            ps.setObject(++p, fileId);
            ps.setLong(++p, sizeBytes);
            ps.setString(++p, sha256);
            ps.setInt(++p, chunkCount);
            if (sealed.isPresent()) {
                ps.setLong(++p, sealed.get().sequence());
                ps.setString(++p, sealed.get().name());
                ps.setString(++p, sealed.get().contentType());
                ps.setString(++p, sealed.get().owner());
            }
            ps.setArray(++p, c.createArrayOf("int4", reportedCrcs));
            if (sealed.isPresent()) {
                bindOutboxRow(ps, p, sealed.get().completed());
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    /**
     * Binds an outbox row's five values after parameter {@code p}, in the order of
     * {@link #OUTBOX_INSERT}'s columns; returns the last parameter bound.
     */
    private static int bindOutboxRow(PreparedStatement ps, int p, OutboxRow row) throws SQLException {
        ps.setObject(++p, row.eventId());
        ps.setString(++p, row.topic());
        ps.setString(++p, row.recordKey());
        ps.setString(++p, row.eventType());
        ps.setBytes(++p, row.payload());
        return p;
    }

    /** pending|uploading -> failed, with the reason operators and clients will see. */
    public boolean fail(Connection c, UUID fileId, String reason) throws SQLException {
        return update(c, fileId, FileStatus.FAILED.predecessors(), FileStatus.FAILED, requireReason(reason));
    }

    /**
     * Announces on {@link #SETTLED_CHANNEL} that the file's upload settled. PostgreSQL delivers
     * it at the caller's commit and drops it on rollback, so a listener never hears of a change
     * it cannot read yet.
     */
    public void notifySettled(Connection c, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, SETTLED_CHANNEL);
            ps.setString(2, fileId.toString());
            ps.execute();
        }
    }

    /** pending|uploading -> expired: the upload session timed out. */
    public boolean expire(Connection c, UUID fileId, String reason) throws SQLException {
        return update(c, fileId, FileStatus.EXPIRED.predecessors(), FileStatus.EXPIRED, requireReason(reason));
    }

    /** Any live status -> deleting: the delete was requested; chunks go next. */
    public boolean markDeleting(Connection c, UUID fileId) throws SQLException {
        return transition(c, fileId, FileStatus.DELETING);
    }

    /** deleting -> deleted: every chunk is gone. The row stays as a tombstone for replays. */
    public boolean markDeleted(Connection c, UUID fileId) throws SQLException {
        return transition(c, fileId, FileStatus.DELETED);
    }

    private static String requireReason(String reason) {
        if (reason == null || reason.isBlank()) {
            throw new IllegalArgumentException("a failure needs a reason");
        }
        return reason;
    }

    private boolean update(Connection c, UUID fileId, Set<FileStatus> from, FileStatus to, String reason) throws SQLException {
        return update(c, fileId, from, to, reason, 0).isPresent();
    }

    /** The move, with {@code events} event sequences reserved; the row's new event_seq, or empty when it did not apply. */
    private OptionalLong update(Connection c, UUID fileId, Set<FileStatus> from, FileStatus to, String reason, int events)
            throws SQLException {
        if (from.isEmpty()) {
            return OptionalLong.empty(); // nothing may move to pending: it is only ever the initial status
        }
        StringBuilder sql = new StringBuilder("UPDATE files SET status = ?, updated_at = now()");
        if (events > 0) {
            sql.append(", event_seq = event_seq + ").append(events); // an int, never caller text
        }
        switch (to) {
            case COMPLETED -> sql.append(", completed_at = now()");
            case DELETED -> sql.append(", deleted_at = now()");
            default -> {
            }
        }
        if (reason != null) {
            sql.append(", failure_reason = ?");
        }
        // Status values are enum constants, never caller text, so inlining them is safe.
        sql.append(" WHERE file_id = ? AND status IN (")
                .append(from.stream().map(s -> "'" + s.dbValue() + "'").collect(Collectors.joining(", ")))
                .append(')');
        if (to == FileStatus.COMPLETED) {
            sql.append(COMPLETION_GUARD);
        }
        sql.append(" RETURNING event_seq");
        try (PreparedStatement ps = c.prepareStatement(sql.toString())) {
            int i = 1;
            ps.setString(i++, to.dbValue());
            if (reason != null) {
                ps.setString(i++, reason);
            }
            ps.setObject(i, fileId);
            return eventSeqIfUpdated(ps);
        }
    }

    /**
     * Takes the next per-file event sequence number (1, 2, ...). The row lock it takes orders
     * concurrent writers of the same file's events until their transactions end.
     */
    public long nextEventSequence(Connection c, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE files SET event_seq = event_seq + 1 WHERE file_id = ? RETURNING event_seq")) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    throw new UnknownFileException(fileId);
                }
                return rs.getLong(1);
            }
        }
    }

    public Optional<FileRecord> find(Database db, UUID fileId) {
        return db.withConnection(c -> find(c, fileId));
    }

    public Optional<FileRecord> find(Connection c, UUID fileId) throws SQLException {
        return selectOne(c, "SELECT " + COLUMNS + " FROM files WHERE file_id = ?", fileId);
    }

    public Optional<FileDetail> findWithChunks(Database db, UUID fileId) {
        return db.withConnection(c -> findWithChunks(c, fileId));
    }

    /**
     * The file with its chunks and their copies in one statement: one round trip and one pool
     * checkout instead of two (the metadata GET's cost was mostly per statement), and file and
     * chunks come from one snapshot. The file's columns repeat on each chunk-location row; a file
     * has at most max-file-size / chunk-size chunks, so the repetition stays bounded.
     */
    public Optional<FileDetail> findWithChunks(Connection c, UUID fileId) throws SQLException {
        String sql = "SELECT " + FILE_COLUMNS_OF_F + ", ch.chunk_index, ch.chunk_id, ch.size_bytes AS chunk_size_bytes, "
                + "ch.crc32c, l.node_id, l.state FROM files f "
                + "LEFT JOIN chunks ch ON ch.file_id = f.file_id LEFT JOIN chunk_locations l ON l.chunk_id = ch.chunk_id "
                + "WHERE f.file_id = ? ORDER BY ch.chunk_index, l.node_id";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                FileRecord file = read(rs);
                return Optional.of(new FileDetail(file, ChunkRepository.groupByChunk(rs, true, "chunk_size_bytes")));
            }
        }
    }

    /**
     * Reads the file and locks its row until the transaction ends, for a caller that must decide
     * on several rows (file, chunks, session) without another writer changing the file meanwhile.
     */
    public Optional<FileRecord> lockForUpdate(Connection c, UUID fileId) throws SQLException {
        if (c.getAutoCommit()) {
            throw new IllegalStateException("lockForUpdate needs a transaction: the lock would end with the statement");
        }
        return selectOne(c, "SELECT " + COLUMNS + " FROM files WHERE file_id = ? FOR UPDATE", fileId);
    }

    private Optional<FileRecord> selectOne(Connection c, String sql, UUID fileId) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setObject(1, fileId);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(read(rs)) : Optional.empty();
            }
        }
    }

    public Page<FileRecord> list(Database db, FileQuery query) {
        return db.withConnection(c -> list(c, query));
    }

    /**
     * One page and the total count, from one statement so both come from one snapshot (a
     * concurrent upload cannot make the total disagree with the page).
     */
    public Page<FileRecord> list(Connection c, FileQuery query) throws SQLException {
        String filter = query.status().isPresent()
                ? "status = ?"
                : "status IN (" + EnumSet.allOf(FileStatus.class).stream().filter(FileStatus::listedByDefault)
                        .map(s -> "'" + s.dbValue() + "'").collect(Collectors.joining(", ")) + ")";
        String dir = query.order().sql();
        String sql = "SELECT t.total, f.* FROM (SELECT count(*) AS total FROM files WHERE " + filter + ") t "
                + "LEFT JOIN LATERAL (SELECT " + COLUMNS + " FROM files WHERE " + filter
                + " ORDER BY created_at " + dir + ", file_id " + dir + " LIMIT ? OFFSET ?) f ON true"
                + " ORDER BY f.created_at " + dir + ", f.file_id " + dir;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            int i = 1;
            if (query.status().isPresent()) {
                ps.setString(i++, query.status().get().dbValue());
                ps.setString(i++, query.status().get().dbValue());
            }
            ps.setInt(i++, query.perPage());
            ps.setLong(i, query.offset());
            List<FileRecord> items = new ArrayList<>(Math.min(query.perPage(), 64));
            long total = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    total = rs.getLong(1);
                    if (rs.getObject(2) != null) { // a page past the end: the count's row only
                        items.add(read(rs, 2));
                    }
                }
            }
            return new Page<>(items, total, query.page(), query.perPage());
        }
    }

    static FileRecord read(ResultSet rs) throws SQLException {
        return read(rs, 1);
    }

    /**
     * The file whose {@link #COLUMNS} start at column {@code first}. By position, not by name: a
     * lookup by name costs a map search per column and row, a tenth of a list request's CPU.
     */
    static FileRecord read(ResultSet rs, int first) throws SQLException {
        int i = first;
        UUID fileId = rs.getObject(i++, UUID.class);
        String name = rs.getString(i++);
        String contentType = rs.getString(i++);
        long size = rs.getLong(i++);
        Optional<Long> sizeBytes = rs.wasNull() ? Optional.empty() : Optional.of(size);
        Optional<String> sha256 = Optional.ofNullable(rs.getString(i++));
        FileStatus status = FileStatus.parse(rs.getString(i++));
        Optional<String> owner = Optional.ofNullable(rs.getString(i++));
        long chunkSize = rs.getLong(i++);
        int count = rs.getInt(i++);
        Optional<Integer> chunkCount = rs.wasNull() ? Optional.empty() : Optional.of(count);
        Optional<String> failureReason = Optional.ofNullable(rs.getString(i++));
        Instant createdAt = Jdbc.instant(rs, i++);
        Instant updatedAt = Jdbc.instant(rs, i++);
        Optional<Instant> sealedAt = Optional.ofNullable(Jdbc.instant(rs, i++));
        Optional<Instant> completedAt = Optional.ofNullable(Jdbc.instant(rs, i++));
        Optional<Instant> deletedAt = Optional.ofNullable(Jdbc.instant(rs, i++));
        long eventSeq = rs.getLong(i);
        return new FileRecord(fileId, name, contentType, sizeBytes, sha256, status, owner, chunkSize, chunkCount,
                failureReason, createdAt, updatedAt, sealedAt, completedAt, deletedAt, eventSeq);
    }
}
