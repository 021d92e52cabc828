package dev.kos.bench;

import com.sun.nio.file.ExtendedOpenOption;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * What reading a file in 1 MiB reads costs this machine, through the page cache or with O_DIRECT,
 * the way a storage node reads a chunk: each read's bytes end in a heap array (protobuf takes
 * arrays) and are CRC32C-checked there. Through the page cache the JDK reads into its temporary
 * direct buffer and copies out of it; with O_DIRECT the disk fills an aligned direct buffer and
 * one copy moves it to the array.
 *
 * <p>Whether the file is in the page cache is the caller's choice: drop the caches first
 * ({@code sync; echo 1 > /proc/sys/vm/drop_caches}, as root) for a cold read. Dependency-free, run
 * as a single source file: {@code java ColdRead.java FILE cached|direct}; prints MB/s (10^6 bytes
 * per second) and the process's CPU seconds per GiB.
 */
public final class ColdRead {
    private static final int READ = 1 << 20;

    private ColdRead() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2 || !args[1].matches("cached|direct")) {
            System.err.println("usage: java ColdRead.java FILE cached|direct");
            System.exit(2);
        }
        boolean direct = args[1].equals("direct");
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        byte[] frame = new byte[READ];
        ByteBuffer heap = ByteBuffer.wrap(frame);
        ByteBuffer aligned = ByteBuffer.allocateDirect(READ + 4096).alignedSlice(4096).limit(READ).slice();
        CRC32C crc = new CRC32C();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        long total = 0;
        try (FileChannel ch = direct
                ? FileChannel.open(Path.of(args[0]), StandardOpenOption.READ, ExtendedOpenOption.DIRECT)
                : FileChannel.open(Path.of(args[0]), StandardOpenOption.READ)) {
            while (true) {
                int n = ch.read(direct ? aligned.clear() : heap.clear(), total);
                if (n <= 0) {
                    break;
                }
                if (direct) {
                    aligned.flip().get(frame, 0, n);
                }
                crc.update(frame, 0, n);
                total += n;
            }
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        // The checksum is printed so that the check is no work thrown away.
        System.out.printf("%s: %.0f MB/s, %.2f CPU-s per GiB (CRC32C %08x)%n", args[1], total / seconds / 1e6,
                cpu / (total / (double) (1L << 30)), crc.getValue());
    }
}
