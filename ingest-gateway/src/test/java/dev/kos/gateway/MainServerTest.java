package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class MainServerTest {
    @Test
    void serverUsesBlockingSocketsSoResponsesAreNotWrittenEightKibAtATime() {
        // Helidon's NIO socket copies every write through an 8 KiB buffer; GatewayApiTest and
        // the large-file tests run on the same builder, so they cover the blocking socket.
        assertFalse(Main.server("127.0.0.1", 0).useNio());
    }

    @Test
    void connectionsDoNotHoldADownloadsLastSegmentForAnAck() {
        assertTrue(Main.server("127.0.0.1", 0).connectionOptions().orElseThrow().tcpNoDelay());
    }
}
