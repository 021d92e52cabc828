package dev.kos.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.config.Settings;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CleanupConfigTest {
    private static CleanupConfig config(String[] args, Map<String, String> env) {
        return CleanupConfig.fromSettings(Settings.of(args, env));
    }

    @Test
    void processedEventsRetentionDefaultsToThirtyDaysAndZeroKeepsEverything() {
        assertEquals(Duration.ofDays(30), config(new String[0], Map.of()).processedRetention());
        assertEquals(Duration.ofDays(7),
                config(new String[0], Map.of("KOS_CLEANUP_PROCESSED_EVENTS_RETENTION", "7d")).processedRetention());
        assertEquals(Duration.ZERO,
                config(new String[] {"--cleanup-processed-events-retention=0"}, Map.of()).processedRetention());
        IllegalArgumentException parse = assertThrows(IllegalArgumentException.class,
                () -> config(new String[] {"--cleanup-processed-events-retention=-1h"}, Map.of()));
        assertTrue(parse.getMessage().contains("KOS_CLEANUP_PROCESSED_EVENTS_RETENTION"), parse.getMessage());
        CleanupConfig d = CleanupConfig.defaults("localhost:9092");
        IllegalArgumentException built = assertThrows(IllegalArgumentException.class, () -> new CleanupConfig(d.bootstrapServers(),
                d.consumerGroup(), d.reapInterval(), d.expireInterval(), d.orphanInterval(), d.orphanGrace(), d.batchSize(),
                d.nodeDeadline(), Duration.ofHours(-1)));
        assertEquals("cleanup.processed-events-retention must be >= 0 (0: keep forever), got PT-1H", built.getMessage());
    }
}
