package dev.kos.events;

import dev.kos.metrics.MetricRegistry;

/**
 * An outbox relay as metrics. The lag is the age of the oldest event not yet on Kafka, whichever
 * process's relay is active: the figure to alert on, as downstream consumers see nothing newer.
 */
public final class RelayMetrics {
    private RelayMetrics() {
    }

    public static void register(MetricRegistry registry, OutboxRelay relay) {
        registry.counterOf("kos_outbox_published_total", "Events this process's relay published to Kafka.",
                relay::publishedCount);
        registry.counterOf("kos_outbox_rounds_total", "Relay rounds that published at least one event (published / rounds is the mean batch).",
                relay::roundCount);
        registry.counterOf("kos_outbox_failures_total", "Relay rounds that failed (publish or database) and were retried.",
                relay::failureCount);
        registry.gauge("kos_outbox_relay_active", "1 while this process's relay holds the lock and publishes, 0 on standby.",
                () -> relay.isActive() ? 1 : 0);
        registry.gauge("kos_outbox_lag_seconds", "Age of the oldest unpublished event, on the database's clock (0 when the outbox is empty).",
                () -> relay.lag().toMillis() / 1e3);
    }
}
