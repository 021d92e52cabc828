package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The idle clock blames the client only for time the gateway spent waiting on the client. */
class IdleWatchdogTest {
    static final long LIMIT = Duration.ofSeconds(1).toNanos();

    @Test
    void aPausedTicketNeverFiresAndResumingRestartsTheClock() {
        try (IdleWatchdog watchdog = new IdleWatchdog(Duration.ofHours(1));
                IdleWatchdog.Ticket ticket = watchdog.watch("test upload")) {
            long later = System.nanoTime() + Duration.ofMinutes(5).toNanos();
            ticket.pause();
            ticket.expireIfIdle(later, LIMIT);
            assertFalse(ticket.fired(), "fired while the gateway itself was waiting on storage");
            ticket.resume();
            ticket.expireIfIdle(System.nanoTime(), LIMIT);
            assertFalse(ticket.fired(), "resuming must restart the idle clock");
            ticket.expireIfIdle(later, LIMIT);
            assertTrue(ticket.fired(), "a client silent for 5 minutes while the gateway reads must time out");
        } finally {
            Thread.interrupted(); // the fired ticket interrupted this thread
        }
    }
}
