package dev.kos.bench;

import com.google.protobuf.ByteString;
import dev.kos.config.Settings;
import dev.kos.schemas.storage.v1.Checksum;
import dev.kos.schemas.storage.v1.ChecksumAlgorithm;
import dev.kos.schemas.storage.v1.ChunkHeader;
import dev.kos.schemas.storage.v1.DeleteChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.zip.CRC32C;

/**
 * Storage-node throughput over loopback gRPC: one 1 GiB chunk and 1000 chunks of 1 MiB, put
 * then get, each repeated; prints a markdown table with the ratio to dd's figures, which
 * bench/storage-node.sh measures on the same disk in the same run.
 *
 * <p>Settings: bench.data-dir (./bench/work/node), bench.repeats (3), bench.dd-write-mbps and
 * bench.dd-read-mbps (0 = unknown), bench.small-concurrency (8), bench.drop-caches (true: before
 * "cold" gets, when /proc/sys/vm/drop_caches is writable).
 */
public final class StorageNodeBench {
    private static final int MIB = 1024 * 1024;
    private static final int DISTINCT_FRAMES = 64;

    private final StorageNodeGrpc.StorageNodeStub async;
    private final StorageNodeGrpc.StorageNodeBlockingStub blocking;
    private final ByteString[] frames = new ByteString[DISTINCT_FRAMES];
    private final boolean dropCaches;

    private StorageNodeBench(ManagedChannel ch, boolean dropCaches) {
        this.async = StorageNodeGrpc.newStub(ch);
        this.blocking = StorageNodeGrpc.newBlockingStub(ch);
        this.dropCaches = dropCaches;
        SplittableRandom r = new SplittableRandom(2026);
        for (int i = 0; i < DISTINCT_FRAMES; i++) {
            byte[] b = new byte[MIB];
            r.nextBytes(b);
            frames[i] = ByteString.copyFrom(b);
        }
    }

    public static void main(String[] args) throws Exception {
        Settings s = Settings.from(args);
        Path dir = Path.of(s.string("bench.data-dir", "./bench/work/node"));
        int repeats = s.integer("bench.repeats", 3);
        double ddWrite = Double.parseDouble(s.string("bench.dd-write-mbps", "0"));
        double ddRead = Double.parseDouble(s.string("bench.dd-read-mbps", "0"));
        int concurrency = s.integer("bench.small-concurrency", 8);
        boolean drop = s.bool("bench.drop-caches", true) && Files.isWritable(Path.of("/proc/sys/vm/drop_caches"));
        Logger.getLogger("dev.kos.storagenode").setLevel(Level.WARNING); // one line per put would time the console

        Files.createDirectories(dir);
        StorageNodeConfig config = StorageNodeConfig.loopback("bench-node", dir).withReserveBytes(2L << 30);
        try (StorageNodeServer node = StorageNodeServer.start(config)) {
            ManagedChannel ch = NettyChannelBuilder.forAddress("127.0.0.1", node.port()).usePlaintext()
                    .maxInboundMessageSize(4 * MIB).build();
            StorageNodeBench b = new StorageNodeBench(ch, drop);
            b.warmUp();
            List<Row> rows = new ArrayList<>();
            double[][] big = new double[3][repeats];
            for (int i = 0; i < repeats; i++) {
                String id = "bench-1g-" + i;
                big[0][i] = b.put(id, 1L << 30);
                big[1][i] = b.get(id, false);
                big[2][i] = drop ? b.get(id, true) : Double.NaN;
                b.delete(id);
            }
            rows.add(new Row("put 1 x 1 GiB chunk", big[0], ddWrite));
            rows.add(new Row("get 1 x 1 GiB chunk (page cache)", big[1], ddRead));
            if (drop) {
                rows.add(new Row("get 1 x 1 GiB chunk (cold: caches dropped)", big[2], ddRead));
            }
            for (int c : new int[] {1, concurrency}) {
                double[][] small = new double[2][repeats];
                for (int i = 0; i < repeats; i++) {
                    small[0][i] = b.putMany("bench-s" + c + "r" + i + "-", 1000, MIB, c);
                    small[1][i] = b.getMany("bench-s" + c + "r" + i + "-", 1000, c);
                    b.deleteMany("bench-s" + c + "r" + i + "-", 1000);
                }
                rows.add(new Row("put 1000 x 1 MiB chunks, " + c + " in flight", small[0], ddWrite));
                rows.add(new Row("get 1000 x 1 MiB chunks, " + c + " in flight (page cache)", small[1], ddRead));
            }
            ch.shutdownNow();
            System.out.println(table(rows, repeats, ddWrite, ddRead));
        }
    }

    record Row(String name, double[] mbps, double dd) {
    }

    static String table(List<Row> rows, int repeats, double ddWrite, double ddRead) {
        StringBuilder t = new StringBuilder();
        t.append(String.format(Locale.ROOT, "dd write (conv=fdatasync): %.0f MB/s; dd read (cold): %s%n%n", ddWrite,
                ddRead > 0 ? String.format(Locale.ROOT, "%.0f MB/s", ddRead) : "n/a"));
        t.append("| measurement (").append(repeats).append(" runs) | median MB/s | min | max | median / dd |\n");
        t.append("|---|---:|---:|---:|---:|\n");
        for (Row r : rows) {
            double[] v = r.mbps.clone();
            Arrays.sort(v);
            double median = v[v.length / 2];
            t.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %.0f | %s |%n", r.name, median, v[0],
                    v[v.length - 1], r.dd > 0 ? String.format(Locale.ROOT, "%.2f", median / r.dd) : "n/a"));
        }
        return t.toString();
    }

    private void warmUp() throws Exception {
        putMany("warm-", 200, MIB, 4);
        getMany("warm-", 200, 4);
        deleteMany("warm-", 200);
        put("warm-big", 256L * MIB);
        get("warm-big", false);
        delete("warm-big");
    }

    /** MB/s of one streamed put of {@code length} bytes. */
    double put(String id, long length) throws Exception {
        int crc = crcOf(length);
        long t0 = System.nanoTime();
        putAsync(id, length, crc).get();
        return length / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    double get(String id, boolean cold) throws Exception {
        if (cold) {
            dropCaches();
        }
        long t0 = System.nanoTime();
        long n = drain(id);
        return n / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    double putMany(String prefix, int count, int size, int inFlight) throws Exception {
        int crc = crcOf(size);
        Semaphore slots = new Semaphore(inFlight);
        List<CompletableFuture<PutChunkResponse>> all = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            slots.acquire();
            CompletableFuture<PutChunkResponse> f = putAsync(prefix + i, size, crc);
            f.whenComplete((r, e) -> slots.release());
            all.add(f);
        }
        for (CompletableFuture<PutChunkResponse> f : all) {
            f.get();
        }
        return (double) count * size / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    double getMany(String prefix, int count, int inFlight) throws Exception {
        Semaphore slots = new Semaphore(inFlight);
        List<CompletableFuture<Long>> all = new ArrayList<>();
        long t0 = System.nanoTime();
        for (int i = 0; i < count; i++) {
            String id = prefix + i;
            slots.acquire();
            all.add(CompletableFuture.supplyAsync(() -> {
                try {
                    return drain(id);
                } finally {
                    slots.release();
                }
            }));
        }
        long bytes = 0;
        for (CompletableFuture<Long> f : all) {
            bytes += f.get();
        }
        return bytes / 1e6 / ((System.nanoTime() - t0) / 1e9);
    }

    void deleteMany(String prefix, int count) {
        for (int i = 0; i < count; i++) {
            delete(prefix + i);
        }
    }

    void delete(String id) {
        blocking.deleteChunk(DeleteChunkRequest.newBuilder().setChunkId(id).build());
    }

    private long drain(String id) {
        long n = 0;
        Iterator<GetChunkResponse> it = blocking.getChunk(GetChunkRequest.newBuilder().setChunkId(id).build());
        while (it.hasNext()) {
            n += it.next().getData().size();
        }
        return n;
    }

    /** The content of a chunk of {@code length}: the distinct frames in turn. */
    private ByteString frame(long index, long length) {
        ByteString f = frames[(int) (index % DISTINCT_FRAMES)];
        long left = length - index * MIB;
        return left >= MIB ? f : f.substring(0, (int) left);
    }

    private int crcOf(long length) {
        CRC32C crc = new CRC32C();
        for (long i = 0; i * MIB < length; i++) {
            frame(i, length).asReadOnlyByteBufferList().forEach(crc::update);
        }
        return (int) crc.getValue();
    }

    private CompletableFuture<PutChunkResponse> putAsync(String id, long length, int crc) {
        ChunkHeader header = ChunkHeader.newBuilder().setChunkId(id).setLength(length)
                .setChecksum(Checksum.newBuilder().setAlgorithm(ChecksumAlgorithm.CRC32C)
                        .setValue(ByteString.copyFrom(new byte[] {(byte) (crc >>> 24), (byte) (crc >>> 16),
                            (byte) (crc >>> 8), (byte) crc})))
                .build();
        long frameCount = (length + MIB - 1) / MIB;
        CompletableFuture<PutChunkResponse> result = new CompletableFuture<>();
        async.putChunk(new ClientResponseObserver<PutChunkRequest, PutChunkResponse>() {
            long next = -1;
            boolean done;

            @Override
            public void beforeStart(ClientCallStreamObserver<PutChunkRequest> out) {
                // Send only while the transport is ready: the client never buffers the chunk.
                out.setOnReadyHandler(() -> {
                    while (out.isReady() && !done) {
                        if (next < 0) {
                            out.onNext(PutChunkRequest.newBuilder().setHeader(header).build());
                        } else if (next < frameCount) {
                            out.onNext(PutChunkRequest.newBuilder().setData(frame(next, length)).build());
                        } else {
                            done = true;
                            out.onCompleted();
                            return;
                        }
                        next++;
                    }
                });
            }

            @Override
            public void onNext(PutChunkResponse r) {
                result.complete(r);
            }

            @Override
            public void onError(Throwable t) {
                result.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
            }
        });
        return result;
    }

    private void dropCaches() throws Exception {
        if (dropCaches) {
            new ProcessBuilder("sync").inheritIO().start().waitFor();
            Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
        }
    }
}
