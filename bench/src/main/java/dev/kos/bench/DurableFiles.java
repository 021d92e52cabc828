package dev.kos.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.LongAdder;

/**
 * The disk's own rate of durable small files: what a store that acknowledges only fsynced data
 * could at most reach for 1 MiB uploads on this file system, whatever its software. Each writer
 * does what a storage node does per chunk (write a temporary file, fsync it, rename it into
 * place, fsync the directory) in a loop for a fixed time. nginx, the other baseline, does none of
 * the syncs, so its 1 MiB rate is not a disk limit; this one is.
 *
 * <p>Dependency-free so that bench/run.sh starts it as a single source file
 * ({@code java DurableFiles.java DIR WRITERS SECONDS BYTES}); prints files per second.
 */
public final class DurableFiles {
    private DurableFiles() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 4) {
            System.err.println("usage: java DurableFiles.java DIR WRITERS SECONDS BYTES");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int writers = Integer.parseInt(args[1]);
        long seconds = Long.parseLong(args[2]);
        int bytes = Integer.parseInt(args[3]);
        Files.createDirectories(dir);
        byte[] data = new byte[bytes];
        ThreadLocalRandom.current().nextBytes(data);
        LongAdder files = new LongAdder();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        Thread[] threads = new Thread[writers];
        IOException[] failure = new IOException[1];
        for (int w = 0; w < writers; w++) {
            int writer = w;
            threads[w] = Thread.ofPlatform().start(() -> {
                try {
                    for (long n = 0; System.nanoTime() < deadline; n++) {
                        writeDurably(dir, writer + "-" + n, data);
                        files.increment();
                    }
                } catch (IOException e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
        }
        long started = System.nanoTime();
        for (Thread t : threads) {
            t.join();
        }
        double elapsed = (System.nanoTime() - started) / 1e9;
        if (failure[0] != null) {
            throw failure[0];
        }
        System.out.printf("%.1f%n", files.sum() / elapsed);
    }

    private static void writeDurably(Path dir, String name, byte[] data) throws IOException {
        Path tmp = dir.resolve(name + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(data);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true); // as the storage node does: the size is metadata a reader needs
        }
        Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        }
    }
}
