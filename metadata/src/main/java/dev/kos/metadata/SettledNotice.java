package dev.kos.metadata;

import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * What one notification on {@link FileRepository#SETTLED_CHANNEL} says: the file that settled and,
 * when the settle was its completion, the values the completing statement gave the row.
 *
 * <p>The payload is {@code <file id>} alone, or {@code <file id> <event_seq> <created_at>
 * <sealed_at> <updated_at> <completed_at>} (timestamps in UTC to the microsecond, the precision
 * of {@code timestamptz}, as {@code 2026-12-03T09:41:07.123456Z}). The statement that completes the file sends it, and
 * PostgreSQL delivers it only when that statement commits, so a completion's values are the
 * committed row's, not a hint: the gateway that sealed the file knows the rest of the row (name,
 * type, owner, size, digest, chunks: what it wrote, and what completion checked against) and
 * answers its upload without reading the row back. Fixed-size, well under NOTIFY's 8000 bytes.
 */
public record SettledNotice(UUID fileId, Optional<Completion> completion) {

    /** The completed row's values that only PostgreSQL assigned. */
    public record Completion(long eventSeq, Instant createdAt, Instant sealedAt, Instant updatedAt,
                             Instant completedAt) {

        /**
         * The completed row of a file sealed as {@code f} with this size, digest and chunk count:
         * what reading it back right after the completion's commit would return.
         */
        public FileRecord file(NewFile f, long sizeBytes, String sha256, int chunkCount) {
            return new FileRecord(f.fileId(), f.name(), f.contentType(), Optional.of(sizeBytes), Optional.of(sha256),
                    FileStatus.COMPLETED, f.owner(), f.chunkSize(), Optional.of(chunkCount), Optional.empty(),
                    createdAt, updatedAt, Optional.of(sealedAt), Optional.of(completedAt), Optional.empty(), eventSeq);
        }
    }

    /** The payload of a completion, from the completing statement's row (its columns under {@code alias}). */
    static String completionPayloadSql(String alias) {
        // Every operand text: text || bigint is textanycat, a SQL-language function that the planner
        // inlines, parsing its body, each time it plans the completing statement, which a session
        // that has come to prefer custom plans for it does on every execution (pgbench, custom plans
        // forced: 0.51-0.54 -> 0.44-0.47 PostgreSQL CPU-ms per execution with the cast).
        return alias + ".file_id::text || ' ' || " + alias + ".event_seq::text"
                + " || ' ' || " + utc(alias + ".created_at") + " || ' ' || " + utc(alias + ".sealed_at")
                + " || ' ' || " + utc(alias + ".updated_at") + " || ' ' || " + utc(alias + ".completed_at");
    }

    private static String utc(String column) {
        // Text, not extract(epoch ...): exact to the microsecond on every PostgreSQL version (epoch
        // is a double before 14), and readable to an operator who LISTENs in psql.
        return "to_char(" + column + " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')";
    }

    /** The notice in {@code payload}, or empty when it is neither form (a sender this code does not know). */
    public static Optional<SettledNotice> parse(String payload) {
        if (payload == null) {
            return Optional.empty();
        }
        List<String> parts = List.of(payload.split(" ", -1));
        try {
            UUID fileId = UUID.fromString(parts.getFirst());
            if (parts.size() == 1) {
                return Optional.of(new SettledNotice(fileId, Optional.empty()));
            }
            if (parts.size() != 6) {
                return Optional.empty();
            }
            return Optional.of(new SettledNotice(fileId, Optional.of(new Completion(Long.parseLong(parts.get(1)),
                    Instant.parse(parts.get(2)), Instant.parse(parts.get(3)), Instant.parse(parts.get(4)),
                    Instant.parse(parts.get(5))))));
        } catch (IllegalArgumentException | DateTimeParseException e) { // also NumberFormatException
            return Optional.empty();
        }
    }
}
