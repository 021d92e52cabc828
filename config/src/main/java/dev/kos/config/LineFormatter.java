package dev.kos.config;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.logging.Formatter;
import java.util.logging.LogRecord;

/**
 * One line per record: {@code 2026-11-30T20:19:45.681Z INFO dev.kos.gateway.FilesService - message},
 * a throwable's trace on the lines after it.
 *
 * <p>Why not {@code SimpleFormatter}: it asks every record for its source class whether the
 * format prints it or not, and a record that was not given one walks the stack to find it. A
 * storage node logs a line per chunk read, and that walk alone took 3.6 % of its CPU under 1 MiB
 * downloads (async-profiler); this formatter never asks. The time is UTC, as its {@code Z} says
 * (the old format printed local time followed by a literal Z).
 */
public final class LineFormatter extends Formatter {
    private static final DateTimeFormatter TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

    @Override
    public String format(LogRecord record) {
        StringBuilder line = new StringBuilder(160);
        TIME.formatTo(record.getInstant(), line);
        line.append(' ').append(record.getLevel().getLocalizedName())
                .append(' ').append(record.getLoggerName())
                .append(" - ").append(formatMessage(record))
                .append(System.lineSeparator());
        if (record.getThrown() != null) {
            StringWriter trace = new StringWriter();
            try (PrintWriter pw = new PrintWriter(trace)) {
                record.getThrown().printStackTrace(pw);
            }
            line.append(trace);
        }
        return line.toString();
    }
}
