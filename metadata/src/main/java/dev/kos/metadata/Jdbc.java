package dev.kos.metadata;

import java.nio.ByteBuffer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/** Column conversions and error translation shared by the repositories. */
final class Jdbc {
    /** Same rule as the CHECK on chunks.chunk_id: checked here too so bad input gets a typed error. */
    static final Pattern CHUNK_ID = Pattern.compile("^[A-Za-z0-9_-]{1,128}$");
    static final String FOREIGN_KEY_VIOLATION = "23503";

    private Jdbc() {
    }

    static Instant instant(ResultSet rs, String column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static Instant instant(ResultSet rs, int column) throws SQLException {
        OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }

    static void setInstant(PreparedStatement ps, int index, Instant instant) throws SQLException {
        ps.setObject(index, OffsetDateTime.ofInstant(instant, ZoneOffset.UTC));
    }

    static UUID uuid(ResultSet rs, String column) throws SQLException {
        return rs.getObject(column, UUID.class);
    }

    static byte[] crcBytes(int crc32c) {
        return ByteBuffer.allocate(4).putInt(crc32c).array();
    }

    static int crcInt(byte[] bytes) {
        return ByteBuffer.wrap(bytes).getInt();
    }

    /** A TTL as whole milliseconds, refused when not positive (an upload that expires at once is a bug). */
    static long ttlMillis(Duration ttl) {
        if (ttl == null || ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, got " + ttl);
        }
        return ttl.toMillis();
    }

    static String requireChunkId(String chunkId) {
        if (chunkId == null || !CHUNK_ID.matcher(chunkId).matches()) {
            throw new IllegalArgumentException("invalid chunk id '" + chunkId + "': 1 to 128 of [A-Za-z0-9_-]");
        }
        return chunkId;
    }

    /** The constraint a PostgreSQL error names, when it names one. */
    static Optional<String> constraint(SQLException e) {
        if (e instanceof PSQLException p) {
            ServerErrorMessage m = p.getServerErrorMessage();
            return Optional.ofNullable(m == null ? null : m.getConstraint());
        }
        return Optional.empty();
    }
}
