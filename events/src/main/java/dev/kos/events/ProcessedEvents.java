package dev.kos.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.UUID;

/**
 * De-duplication for idempotent consumers. A consumer runs its effect and
 * {@link #markProcessed} in one transaction: a replayed or re-published event finds its row,
 * gets false, and the consumer skips the effect (rolling back or simply doing nothing).
 *
 * <p>The rows are a first line only: every kos consumer's effect is idempotent on its own (its
 * state transitions are guarded), so a replay of an event whose row is gone, or through a new
 * consumer group, changes nothing. That is what makes {@link #pruneOlderThan} safe, and it keeps
 * the table from growing with every event ever acted on.
 */
public final class ProcessedEvents {
    private ProcessedEvents() {
    }

    /**
     * Records that {@code consumer} handled {@code eventId}.
     *
     * @return true the first time, false when this consumer already processed the event
     */
    public static boolean markProcessed(Connection c, String consumer, UUID eventId) throws SQLException {
        if (consumer == null || consumer.isBlank()) {
            throw new IllegalArgumentException("markProcessed needs a consumer name");
        }
        try (PreparedStatement ps = c.prepareStatement(
                "INSERT INTO processed_events (consumer, event_id) VALUES (?, ?) ON CONFLICT DO NOTHING")) {
            ps.setString(1, consumer);
            ps.setObject(2, eventId);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Deletes up to {@code limit} rows, oldest first, of any consumer, processed more than
     * {@code age} ago (by the database's clock, which wrote them).
     *
     * @return the rows deleted; fewer than {@code limit} means none older is left
     */
    public static int pruneOlderThan(Connection c, Duration age, int limit) throws SQLException {
        if (age.isNegative() || age.isZero() || limit < 1) {
            throw new IllegalArgumentException("pruning needs an age > 0 and a limit >= 1, got " + age + ", " + limit);
        }
        // A batch at a time along processed_at's index, so one statement never holds a long delete.
        try (PreparedStatement ps = c.prepareStatement(
                "DELETE FROM processed_events WHERE (consumer, event_id) IN (SELECT consumer, event_id FROM processed_events"
                        + " WHERE processed_at < now() - make_interval(secs => ?) ORDER BY processed_at LIMIT ?)")) {
            ps.setDouble(1, age.toMillis() / 1000.0);
            ps.setInt(2, limit);
            return ps.executeUpdate();
        }
    }
}
