package dev.kos.config;

import java.io.IOException;
import java.io.InputStream;
import java.util.logging.LogManager;

/**
 * One-line log records for every kos process: time (UTC), level, logger, message ({@link LineFormatter}). One
 * event per line keeps logs greppable and lets a collector ship them without parsing stacks
 * that span lines (a throwable's trace follows its line, indented).
 */
public final class Logging {
    private Logging() {
    }

    /** Installs the kos format unless the operator passed -Djava.util.logging.config.file. */
    public static void configure(String service) {
        System.setProperty("kos.service", service);
        if (System.getProperty("java.util.logging.config.file") != null) {
            return;
        }
        try (InputStream in = Logging.class.getResourceAsStream("/kos-logging.properties")) {
            if (in != null) {
                LogManager.getLogManager().readConfiguration(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read kos-logging.properties", e);
        }
    }
}
