package dev.kos.bench;

import dev.kos.config.Settings;
import dev.kos.storageclient.ChunkReadStream;
import dev.kos.storageclient.StorageClientConfig;
import dev.kos.storageclient.StorageNodeClient;
import dev.kos.storageclient.StorageNodeClients;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * CPU milliseconds a storage node spends per chunk read, for two nodes in turn (an A/B of two
 * builds on one machine, without the rest of a stack around them): one chunk is put on each, then
 * for each round each node serves {@code bench.clients} concurrent readers reading that chunk in
 * a loop for {@code bench.seconds}, as the gateway reads (every byte checked against the chunk's
 * CRC32C). The chunk stays in the page cache, so this is the read path's own cost: the file read,
 * the block checks, gRPC and the socket. Prints one line per round; the first rounds are the JIT's.
 *
 * <p>Settings: bench.nodes (host:port,host:port), bench.node-pids (pid,pid), bench.rounds (10),
 * bench.seconds (10), bench.clients (8), bench.chunk-kib (1024).
 */
public final class NodeReadBench {
    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux x86-64

    private NodeReadBench() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.from(args);
        String[] nodes = s.string("bench.nodes", "127.0.0.1:18701,127.0.0.1:18702").split(",");
        String[] pids = s.string("bench.node-pids", "").split(",");
        if (pids.length != nodes.length) {
            throw new IllegalArgumentException("bench.node-pids needs one pid per node in bench.nodes");
        }
        int rounds = s.integer("bench.rounds", 10);
        int seconds = s.integer("bench.seconds", 10);
        int clients = s.integer("bench.clients", 8);
        byte[] chunk = new byte[s.integer("bench.chunk-kib", 1024) << 10];
        new SplittableRandom(5).nextBytes(chunk);
        CRC32C c = new CRC32C();
        c.update(chunk);
        int crc = (int) c.getValue();
        String id = "read-bench-" + Long.toString(System.nanoTime(), 36);

        try (StorageNodeClients all = new StorageNodeClients(StorageClientConfig.defaults())) {
            for (String node : nodes) {
                all.client(node).put(id, ByteBuffer.wrap(chunk), crc, Duration.ofMinutes(1));
            }
            for (int r = 1; r <= rounds; r++) {
                StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "round %2d", r));
                for (int n = 0; n < nodes.length; n++) {
                    long pid = Long.parseLong(pids[n].trim());
                    long before = cpuTicks(pid);
                    long reads = readFor(all.client(nodes[n]), id, chunk.length, crc, clients, seconds);
                    long ticks = cpuTicks(pid) - before;
                    line.append(String.format(Locale.ROOT, "   %s: %6.0f reads/s %6.3f CPU-ms/read", nodes[n],
                            (double) reads / seconds, ticks * 1000.0 / TICKS_PER_SECOND / Math.max(1, reads)));
                }
                System.out.println(line);
            }
            for (String node : nodes) {
                all.client(node).delete(id);
            }
        }
    }

    /** Whole reads of the chunk completed by {@code clients} readers in {@code seconds}. */
    private static long readFor(StorageNodeClient client, String id, int length, int crc, int clients, int seconds)
            throws Exception {
        AtomicLong reads = new AtomicLong();
        long deadline = System.nanoTime() + seconds * 1_000_000_000L;
        try (ExecutorService readers = Executors.newVirtualThreadPerTaskExecutor()) {
            List<Future<?>> running = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                running.add(readers.submit(() -> {
                    while (System.nanoTime() < deadline) {
                        readOnce(client, id, length, crc);
                        reads.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (Future<?> f : running) {
                f.get(); // a failed read fails the bench
            }
        }
        return reads.get();
    }

    private static void readOnce(StorageNodeClient client, String id, int length, int crc) throws IOException {
        try (ChunkReadStream in = client.openRead(id, 0, 0)) {
            CRC32C check = new CRC32C();
            long got = 0;
            int n;
            while ((n = in.transferFrame(OutputStream.nullOutputStream(), Integer.MAX_VALUE, check)) > 0) {
                got += n;
            }
            if (got != length || (int) check.getValue() != crc) {
                throw new IOException("read " + got + " of " + length + " bytes, CRC32C "
                        + ((int) check.getValue() == crc ? "matching" : "not matching"));
            }
            in.awaitEnd();
        }
    }

    /** User + system ticks of a process. */
    private static long cpuTicks(long pid) throws IOException {
        long[] t = PutCpuBench.cpuTicks(pid);
        return t[0] + t[1];
    }
}
