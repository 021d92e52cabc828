package dev.kos.bench;

import dev.kos.config.Settings;
import dev.kos.storageclient.StorageClientConfig;
import dev.kos.storageclient.StorageNodeClient;
import dev.kos.storageclient.StorageNodeClients;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * CPU seconds per GiB of the put path, split into the sender (this JVM: the gateway's side,
 * storage-client's ChunkPut from a heap chunk buffer, as the gateway sends) and the storage node
 * (another process, by pid). On a shared machine wall-clock MB/s is noise; CPU per byte is not.
 *
 * <p>Settings: bench.node (host:port), bench.node-pid, bench.gib (2), bench.chunk-mib (16, the
 * gateway's chunk), bench.warmup-gib (0.5), bench.label (printed with the figures), bench.read-back
 * (false: true also reads the chunks back right after and prints the same figures for the gets,
 * which shows whether they came from the page cache or the disk).
 */
public final class PutCpuBench {
    private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux x86-64

    private PutCpuBench() {
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.from(args);
        String node = s.string("bench.node", "127.0.0.1:18700");
        long nodePid = Long.parseLong(s.string("bench.node-pid", "0"));
        double gib = Double.parseDouble(s.string("bench.gib", "2"));
        int chunkBytes = s.integer("bench.chunk-mib", 16) << 20;
        double warmupGib = Double.parseDouble(s.string("bench.warmup-gib", "0.5"));
        String label = s.string("bench.label", "");

        ByteBuffer chunk = ByteBuffer.allocate(chunkBytes);
        new SplittableRandom(7).nextBytes(chunk.array());
        CRC32C c = new CRC32C();
        c.update(chunk.array());
        int crc = (int) c.getValue();
        String run = Long.toString(System.nanoTime(), 36);

        try (StorageNodeClients clients = new StorageNodeClients(StorageClientConfig.defaults())) {
            StorageNodeClient client = clients.client(node);
            int warm = (int) Math.ceil(warmupGib * (1L << 30) / chunkBytes);
            putAll(client, "w" + run, warm, chunk, crc);
            int count = (int) Math.ceil(gib * (1L << 30) / chunkBytes);
            long[] self0 = cpuTicks(ProcessHandle.current().pid());
            long[] node0 = nodePid > 0 ? cpuTicks(nodePid) : new long[2];
            long t0 = System.nanoTime();
            putAll(client, "m" + run, count, chunk, crc);
            double secs = (System.nanoTime() - t0) / 1e9;
            long[] self1 = cpuTicks(ProcessHandle.current().pid());
            long[] node1 = nodePid > 0 ? cpuTicks(nodePid) : new long[2];
            double gibs = (double) count * chunkBytes / (1L << 30);
            System.out.printf(Locale.ROOT,
                    "%s put %.2f GiB in %d MiB chunks: %.0f MB/s; CPU s/GiB sender %.2f (user %.2f sys %.2f),"
                            + " node %.2f (user %.2f sys %.2f)%n",
                    label, gibs, chunkBytes >> 20, count * (double) chunkBytes / 1e6 / secs,
                    perGib(self1, self0, 0, gibs) + perGib(self1, self0, 1, gibs), perGib(self1, self0, 0, gibs),
                    perGib(self1, self0, 1, gibs), perGib(node1, node0, 0, gibs) + perGib(node1, node0, 1, gibs),
                    perGib(node1, node0, 0, gibs), perGib(node1, node0, 1, gibs));
            if (s.bool("bench.read-back", false)) {
                readBack(client, "m" + run, count, gibs, nodePid, label);
            }
            deleteAll(client, "w" + run, warm);
            deleteAll(client, "m" + run, count);
        }
    }

    private static void putAll(StorageNodeClient client, String prefix, int count, ByteBuffer chunk, int crc) {
        for (int i = 0; i < count; i++) {
            client.put(prefix + "-" + i, chunk, crc, Duration.ofMinutes(2));
        }
    }

    private static void readBack(StorageNodeClient client, String prefix, int count, double gibs, long nodePid,
            String label) throws IOException {
        long[] self0 = cpuTicks(ProcessHandle.current().pid());
        long[] node0 = nodePid > 0 ? cpuTicks(nodePid) : new long[2];
        long t0 = System.nanoTime();
        byte[] buf = new byte[1 << 20];
        long bytes = 0;
        for (int i = 0; i < count; i++) {
            try (InputStream in = client.openRead(prefix + "-" + i, 0, 0)) {
                for (int n; (n = in.read(buf)) > 0; ) {
                    bytes += n;
                }
            }
        }
        double secs = (System.nanoTime() - t0) / 1e9;
        long[] self1 = cpuTicks(ProcessHandle.current().pid());
        long[] node1 = nodePid > 0 ? cpuTicks(nodePid) : new long[2];
        System.out.printf(Locale.ROOT, "%s get back %.2f GiB: %.0f MB/s; CPU s/GiB reader %.2f, node %.2f (user %.2f sys %.2f)%n",
                label, bytes / (double) (1L << 30), bytes / 1e6 / secs,
                perGib(self1, self0, 0, gibs) + perGib(self1, self0, 1, gibs),
                perGib(node1, node0, 0, gibs) + perGib(node1, node0, 1, gibs), perGib(node1, node0, 0, gibs),
                perGib(node1, node0, 1, gibs));
    }

    private static void deleteAll(StorageNodeClient client, String prefix, int count) {
        for (int i = 0; i < count; i++) {
            client.delete(prefix + "-" + i);
        }
    }

    private static double perGib(long[] after, long[] before, int i, double gibs) {
        return (after[i] - before[i]) / (double) TICKS_PER_SECOND / gibs;
    }

    /** utime and stime of a process, in clock ticks (fields 14 and 15 of /proc/pid/stat). */
    static long[] cpuTicks(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
    }
}
