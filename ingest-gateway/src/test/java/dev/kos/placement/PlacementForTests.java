package dev.kos.placement;

import dev.kos.events.Topics;
import dev.kos.metadata.Database;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Starts the real placement service from another module's tests. PlacementConfig is
 * package-private in placement-service, so this bridge lives in its package (test sources only).
 */
public final class PlacementForTests {
    private PlacementForTests() {
    }

    public static PlacementService start(String bootstrap, String applicationId, Path stateDir, Database db) {
        return PlacementService.start(new PlacementConfig(bootstrap, applicationId, stateDir, Duration.ofMillis(50)),
                db, Topics.defaults());
    }
}
