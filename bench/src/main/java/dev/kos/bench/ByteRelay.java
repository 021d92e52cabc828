package dev.kos.bench;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.zip.CRC32C;

/**
 * The floor of a download's byte path on this machine: what a GET could at most reach here with
 * no HTTP, no gRPC, no framing and no per-request work, only the moves our design cannot skip.
 * A "node" thread reads the file in 1 MiB reads and checks each 64 KiB block's CRC32C, as a
 * storage node does before it sends; a "gateway" thread receives it over loopback TCP, keeps the
 * chunk's CRC32C as it passes, and sends it on over a second loopback connection to a "client"
 * thread that counts and drops it. nginx serves a cached file with {@code sendfile}: one hop, no
 * copy through user space, no checksum.
 *
 * <p>With {@code direct} the node thread reads with O_DIRECT, as a storage node reads a range
 * longer than 1 MiB (a GET of a large file); without it through the page cache, as a node reads
 * a small chunk. Whether the file is in the page cache then is the caller's choice: {@code
 * bench/run.sh} writes it with O_DIRECT, as the nodes write chunks, relays it once with O_DIRECT
 * (a GET after a PUT), then reads it into the page cache and relays it from there (a small file
 * read again and again).
 *
 * <p>Dependency-free so that bench/run.sh starts it as a single source file
 * ({@code java ByteRelay.java FILE [direct]}); prints MB/s (10^6 bytes per second) on stdout and
 * the process's CPU seconds per GiB on stderr.
 */
public final class ByteRelay {
    private static final int READ = 1 << 20;
    private static final int BLOCK = 64 << 10;

    private ByteRelay() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1 || args.length > 2 || (args.length == 2 && !args[1].equals("direct"))) {
            System.err.println("usage: java ByteRelay.java FILE [direct]");
            System.exit(2);
        }
        Path file = Path.of(args[0]);
        boolean direct = args.length == 2;
        InetAddress loopback = InetAddress.getLoopbackAddress();
        try (ServerSocketChannel toGateway = ServerSocketChannel.open().bind(new InetSocketAddress(loopback, 0));
                ServerSocketChannel toClient = ServerSocketChannel.open().bind(new InetSocketAddress(loopback, 0))) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            // Each thread's result: the node's XOR of its block checksums, the gateway's checksum
            // of the stream, the client's byte count. Printed, so no checksum is work thrown away.
            long[] results = new long[3];
            var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            threads.add(start("node", failure, () -> results[0] = node(file, direct, toGateway)));
            threads.add(start("gateway", failure, () -> results[1] = gateway(toGateway, toClient)));
            threads.add(start("client", failure, () -> results[2] = client(toClient)));
            for (Thread t : threads) {
                t.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            if (failure.get() != null) {
                throw new IllegalStateException("relay failed", failure.get());
            }
            long size = Files.size(file);
            if (results[2] != size) {
                throw new IllegalStateException("relayed " + results[2] + " of " + size + " bytes");
            }
            System.out.printf("%.1f%n", size / seconds / 1e6);
            System.err.printf("ByteRelay: %.2f CPU-s per GiB (block CRC32C xor %08x, stream CRC32C %08x)%n",
                    cpu / (size / (double) (1L << 30)), results[0], results[1]);
        }
    }

    private interface Work {
        void run() throws IOException;
    }

    private static Thread start(String name, AtomicReference<Throwable> failure, Work work) {
        return Thread.ofPlatform().name(name).start(() -> {
            try {
                work.run();
            } catch (Throwable e) {
                failure.compareAndSet(null, e);
            }
        });
    }

    /** Returns the XOR of the blocks' CRC32Cs. */
    private static long node(Path file, boolean direct, ServerSocketChannel gateway) throws IOException {
        try (FileChannel in = direct
                        ? FileChannel.open(file, StandardOpenOption.READ, ExtendedOpenOption.DIRECT)
                        : FileChannel.open(file);
                SocketChannel out = SocketChannel.open(gateway.getLocalAddress())) {
            // Aligned for O_DIRECT: reads of whole 1 MiB units at multiples of 1 MiB.
            ByteBuffer buf = ByteBuffer.allocateDirect(READ + 4096).alignedSlice(4096).limit(READ).slice();
            CRC32C crc = new CRC32C();
            long blockCrcs = 0;
            for (long pos = 0;; pos += buf.limit()) {
                buf.clear();
                if (in.read(buf, pos) < 0) {
                    break;
                }
                buf.flip();
                for (int at = 0; at < buf.limit(); at += BLOCK) {
                    crc.reset();
                    crc.update(buf.slice(at, Math.min(BLOCK, buf.limit() - at)));
                    blockCrcs ^= crc.getValue();
                }
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
            }
            return blockCrcs;
        }
    }

    /** Returns the CRC32C of the whole stream. */
    private static long gateway(ServerSocketChannel fromNode, ServerSocketChannel client) throws IOException {
        try (SocketChannel in = fromNode.accept(); SocketChannel out = SocketChannel.open(client.getLocalAddress())) {
            ByteBuffer buf = ByteBuffer.allocateDirect(READ);
            CRC32C crc = new CRC32C();
            while (true) {
                buf.clear();
                if (in.read(buf) < 0) {
                    break;
                }
                buf.flip();
                crc.update(buf.duplicate());
                while (buf.hasRemaining()) {
                    out.write(buf);
                }
            }
            return crc.getValue();
        }
    }

    private static long client(ServerSocketChannel server) throws IOException {
        try (SocketChannel in = server.accept()) {
            ByteBuffer buf = ByteBuffer.allocateDirect(READ);
            long total = 0;
            for (int n; (n = in.read(buf.clear())) >= 0;) {
                total += n;
            }
            return total;
        }
    }
}
