package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kos.helidonpatch.HelidonPatch;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The gateway's own class path (its pom lists helidon-patch first) loads the patched DataReader. */
class HelidonPatchOrderTest {
    @Test
    void thePatchedDataReaderComesFirst() {
        assertEquals(Optional.empty(), HelidonPatch.check());
    }
}
