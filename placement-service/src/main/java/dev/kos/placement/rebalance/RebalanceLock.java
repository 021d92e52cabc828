package dev.kos.placement.rebalance;

import dev.kos.metadata.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * One rebalancing pass at a time across every placement-service instance: a PostgreSQL
 * session advisory lock on a connection held for the pass. Two passes at once would each see
 * the other's half-done moves (copying rows) as interrupted ones and undo them. A process that
 * dies loses its connection, and with it the lock, so the next pass elsewhere resumes.
 */
final class RebalanceLock implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(RebalanceLock.class.getName());
    /** Arbitrary, fixed: "kos rebalance" in ASCII. */
    static final long KEY = 0x6b6f_7352_6562_616cL;

    private final Database db;
    private final Connection connection;

    private RebalanceLock(Database db, Connection connection) {
        this.db = db;
        this.connection = connection;
    }

    /** The lock, or empty when another pass holds it. */
    static Optional<RebalanceLock> tryAcquire(Database db) {
        Connection c = null;
        try {
            c = db.dataSource().getConnection();
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?)")) {
                ps.setLong(1, KEY);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        return Optional.of(new RebalanceLock(db, c));
                    }
                }
            }
            c.close();
            return Optional.empty();
        } catch (SQLException e) {
            closeQuietly(c);
            throw new RebalanceException("cannot take the rebalance lock: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try (PreparedStatement ps = connection.prepareStatement("SELECT pg_advisory_unlock(?)")) {
            ps.setLong(1, KEY);
            ps.execute();
            connection.close();
        } catch (SQLException e) {
            // A pooled connection must not go back still holding the lock: drop it from the pool,
            // which closes it, and PostgreSQL releases the lock with the session.
            LOG.warning("rebalance lock release failed, evicting its connection: " + e.getMessage());
            db.pool().evictConnection(connection);
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already failing; the first error is the one worth reporting
            }
        }
    }
}
