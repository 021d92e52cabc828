package dev.kos.storagenode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Disk I/O run off the thread that moves the bytes (a put's O_DIRECT write or early fsync, a
 * read's next frame), and the one way its failure comes back: as the IOException it was, thrown
 * by the next wait on it.
 */
final class BackgroundIo {
    /** Platform threads, as they sit in blocking file system calls; one per put or read at work, reused after. */
    private static final ExecutorService THREADS = Executors.newCachedThreadPool(
            Thread.ofPlatform().daemon().name("chunk-io-", 0).factory());

    /** A disk call that may fail. */
    interface Action {
        void run() throws IOException;
    }

    private BackgroundIo() {
    }

    static CompletableFuture<Void> start(Action action) {
        return CompletableFuture.runAsync(() -> {
            try {
                action.run();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }, THREADS);
    }

    /** Waits for {@code io}; its IOException is rethrown as is, anything else wrapped and named by {@code what}. */
    static void await(CompletableFuture<Void> io, String what) throws IOException {
        try {
            io.join();
        } catch (CompletionException e) {
            if (e.getCause() instanceof UncheckedIOException u) {
                throw u.getCause();
            }
            throw new IOException(what + " failed", e.getCause());
        }
    }
}
