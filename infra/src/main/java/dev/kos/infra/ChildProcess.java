package dev.kos.infra;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One kos service running as its own JVM, with the launcher's classpath, its output appended
 * to a log file. Stopping sends SIGTERM first so the service drains, then kills it after the
 * grace period.
 */
final class ChildProcess {
    private final String name;
    private final Process process;
    private final Path log;
    private final ProcessBuilder builder;

    private ChildProcess(String name, Process process, Path log, ProcessBuilder builder) {
        this.name = name;
        this.process = process;
        this.log = log;
        this.builder = builder;
    }

    static ChildProcess start(String name, String mainClass, List<String> jvmArgs, List<String> args,
                              Map<String, String> env, Path logDir) throws IOException {
        Files.createDirectories(logDir);
        Path log = logDir.resolve(name + ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmArgs);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(mainClass);
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new ChildProcess(name, pb.start(), log, pb);
    }

    /** The same command again (after a kill or stop), appending to the same log. */
    ChildProcess startAgain() throws IOException {
        return new ChildProcess(name, builder.start(), log, builder);
    }

    /** SIGKILL, as a crash would; waits until the process is gone. */
    void kill() {
        process.destroyForcibly();
        try {
            process.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String name() {
        return name;
    }

    long pid() {
        return process.pid();
    }

    Path log() {
        return log;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** Waits up to {@code timeout} for the process to end by itself; true when it has. */
    boolean awaitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    int exitCode() {
        return process.exitValue();
    }

    /** SIGTERM: the service starts draining; {@link #awaitStop} waits for it. */
    void signalStop() {
        if (process.isAlive()) {
            process.destroy();
        }
    }

    /** Waits up to {@code graceSeconds} after {@link #signalStop}, then SIGKILL. */
    void awaitStop(long graceSeconds) {
        try {
            if (!process.waitFor(graceSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
