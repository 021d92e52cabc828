package dev.kos.events;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.UUID;

/**
 * De-duplication for idempotent consumers. A consumer runs its effect and
 * {@link #markProcessed} in one transaction: a replayed or re-published event finds its row,
 * gets false, and the consumer skips the effect (rolling back or simply doing nothing).
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
}
