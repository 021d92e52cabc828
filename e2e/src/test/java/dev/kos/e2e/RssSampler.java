package dev.kos.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

/** Samples a process's resident memory (VmRSS in /proc/<pid>/status) in the background and keeps the peak. */
final class RssSampler implements AutoCloseable {
    private final Path status;
    private final AtomicLong peakBytes = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final Thread thread;
    private volatile boolean running = true;

    RssSampler(long pid) {
        this.status = Path.of("/proc", String.valueOf(pid), "status");
        sample();
        this.thread = Thread.ofPlatform().daemon().name("rss-sampler-" + pid).start(this::run);
    }

    private void run() {
        while (running) {
            sample();
            try {
                Thread.sleep(100); // the sampling period
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void sample() {
        try {
            for (String line : Files.readAllLines(status)) {
                if (line.startsWith("VmRSS:")) {
                    long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
                    peakBytes.accumulateAndGet(kib * 1024, Math::max);
                    samples.incrementAndGet();
                }
            }
        } catch (IOException processGone) {
            running = false;
        }
    }

    long peakBytes() {
        return peakBytes.get();
    }

    long samples() {
        return samples.get();
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.interrupt();
        thread.join();
    }
}
