package dev.kos.cleanup;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.kos.schemas.events.v1.EventEnvelope.PayloadCase;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Which events the consumer loop may pass over without a transaction (pure unit test). */
class DeletionRequestsTest {
    @Test
    void actsOnDeleteRequestsAndAbortsOnly() {
        DeletionRequests handler = new DeletionRequests();
        Set<PayloadCase> acted = EnumSet.noneOf(PayloadCase.class);
        for (PayloadCase type : PayloadCase.values()) {
            if (handler.actsOn(type)) {
                acted.add(type);
            }
        }
        // An upload's own events (started, chunk stored, sealed, completed) must cost cleanup nothing.
        assertEquals(EnumSet.of(PayloadCase.DELETE_REQUESTED, PayloadCase.UPLOAD_ABORTED), acted);
    }
}
