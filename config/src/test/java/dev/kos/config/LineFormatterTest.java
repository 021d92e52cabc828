package dev.kos.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;

class LineFormatterTest {
    private static final String NL = System.lineSeparator();

    /** A record that fails the test if asked for its source, which would mean a stack walk. */
    private static final class NoSourceRecord extends LogRecord {
        NoSourceRecord(Level level, String msg) {
            super(level, msg);
        }

        @Override
        public String getSourceClassName() {
            throw new AssertionError("the formatter asked for the source class (a stack walk)");
        }

        @Override
        public String getSourceMethodName() {
            throw new AssertionError("the formatter asked for the source method (a stack walk)");
        }
    }

    @Test
    void oneLineWithUtcTimeLevelLoggerAndMessageWithoutAskingForTheSource() {
        LogRecord r = new NoSourceRecord(Level.INFO, "get chunk={0} bytes={1}");
        r.setInstant(Instant.parse("2026-11-30T20:19:45.681923Z"));
        r.setLoggerName("dev.kos.storagenode.GetChunkCall");
        r.setParameters(new Object[] {"c1", "1048576"});
        assertEquals("2026-11-30T20:19:45.681Z INFO dev.kos.storagenode.GetChunkCall - get chunk=c1 bytes=1048576" + NL,
                new LineFormatter().format(r));
    }

    @Test
    void aThrowablesTraceFollowsItsLine() {
        LogRecord r = new NoSourceRecord(Level.WARNING, "relay round failed");
        r.setInstant(Instant.parse("2026-01-02T03:04:05Z"));
        r.setLoggerName("dev.kos.events.OutboxRelay");
        r.setThrown(new IllegalStateException("broker down"));
        String out = new LineFormatter().format(r);
        assertTrue(out.startsWith("2026-01-02T03:04:05.000Z WARNING dev.kos.events.OutboxRelay - relay round failed" + NL
                + "java.lang.IllegalStateException: broker down" + NL + "\tat "), out);
        assertTrue(out.endsWith(NL), out);
    }
}
