package dev.kos.infra;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kos.helidonpatch.HelidonPatch;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * bin/start runs every service on this module's class path (bin/build-classpath.sh), in the order
 * Maven resolves it here: the gateway must find helidon-patch's DataReader before Helidon's.
 */
class GatewayClassPathTest {
    @Test
    void theGatewayOnThisClassPathGetsThePatchedDataReader() {
        assertEquals(Optional.empty(), HelidonPatch.check());
    }
}
