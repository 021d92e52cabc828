package dev.kos.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/** Samples a process's resident memory (VmRSS in /proc/<pid>/status) in the background and keeps the peak. */
final class RssSampler implements AutoCloseable {
    private final Path status;
    private final AtomicLong peakBytes = new AtomicLong();
    private final AtomicLong samples = new AtomicLong();
    private final ScheduledExecutorService timer;

    RssSampler(long pid) {
        this.status = Path.of("/proc", String.valueOf(pid), "status");
        sample();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> Thread.ofPlatform().daemon()
                .name("rss-sampler-" + pid).unstarted(r));
        timer.scheduleAtFixedRate(this::sample, 100, 100, TimeUnit.MILLISECONDS);
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
            timer.shutdown();
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
        timer.shutdownNow();
        timer.awaitTermination(5, TimeUnit.SECONDS);
    }
}
