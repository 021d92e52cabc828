package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.ChunkRecord;
import dev.kos.storageclient.StorageNodeClients;
import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
import dev.kos.testkit.Metrics;
import dev.kos.testkit.Poll;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.Future;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.CountDownLatch;
import java.io.InterruptedIOException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ChunkStreamer} against two real storage nodes on loopback: read-ahead of the next chunk,
 * cancellation of both open reads when the client goes away, failover of a read that was opened
 * ahead, relocation, whole-chunk verification, and the budget of open reads all downloads share.
 */
class ChunkStreamerTest {
    private static final int MIB = 1 << 20;
    private static final long CHUNK = 8L * MIB;
    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path dir;
    private StorageNodeServer a;
    private StorageNodeServer b;
    private StorageNodeClients clients;
    private ReadPermits permits;
    private ChunkStreamer streamer;
    private final GatewayMetrics metrics = new GatewayMetrics();
    // Held here: the logging framework keeps loggers only weakly.
    private final Logger nodeReads = Logger.getLogger("dev.kos.storagenode.GetChunkCall");
    private final List<String> nodeLog = new CopyOnWriteArrayList<>();
    private final Handler recorder = new Handler() {
        @Override
        public void publish(LogRecord r) {
            nodeLog.add(r.getMessage());
        }

        @Override
        public void flush() {
        }

        @Override
        public void close() {
        }
    };
    private Level previousLevel;

    @BeforeEach
    void start() {
        a = StorageNodeServer.start(StorageNodeConfig.loopback("node-a", dir.resolve("a")));
        b = StorageNodeServer.start(StorageNodeConfig.loopback("node-b", dir.resolve("b")));
        clients = new StorageNodeClients();
        permits = new ReadPermits(GatewayConfig.DEFAULT_READ_STREAMS, WAIT);
        streamer = new ChunkStreamer(clients, permits, metrics);
        previousLevel = nodeReads.getLevel();
        nodeReads.setLevel(Level.FINE);
        recorder.setLevel(Level.ALL);
        nodeReads.addHandler(recorder);
    }

    @AfterEach
    void stop() {
        nodeReads.removeHandler(recorder);
        nodeReads.setLevel(previousLevel);
        clients.close();
        a.close();
        b.close();
    }

    /** A file of {@code size} bytes cut into CHUNK-sized chunks, chunk i stored on node a (even) or b (odd). */
    private record StoredFile(byte[] data, List<ReadableChunk> chunks) {
    }

    private StoredFile store(long size, long seed) {
        byte[] data = new byte[(int) size];
        new Random(seed).nextBytes(data);
        UUID fileId = UUID.randomUUID();
        List<ReadableChunk> chunks = new ArrayList<>();
        for (int i = 0; i * CHUNK < size; i++) {
            int from = (int) (i * CHUNK);
            int len = (int) Math.min(CHUNK, size - from);
            String id = fileId.toString().replace("-", "") + "-" + i;
            StorageNodeServer node = i % 2 == 0 ? a : b;
            clients.client(address(node)).put(id, ByteBuffer.wrap(data, from, len), crc(data, from, len), WAIT);
            chunks.add(new ReadableChunk(new ChunkRecord(fileId, i, id, len, crc(data, from, len), List.of()),
                    List.of(copy(node))));
        }
        return new StoredFile(data, chunks);
    }

    /** One unlabelled sample of this test's gateway metrics (0 when it has none yet). */
    private double metric(String name) {
        return Metrics.value(Metrics.parse(metrics.registry().scrape()), name);
    }

    private static String address(StorageNodeServer node) {
        return "127.0.0.1:" + node.port();
    }

    private static ReadableChunk.Copy copy(StorageNodeServer node) {
        return new ReadableChunk.Copy(node.nodeId(), address(node));
    }

    private static int crc(byte[] data, int from, int len) {
        CRC32C c = new CRC32C();
        c.update(data, from, len);
        return (int) c.getValue();
    }

    private byte[] read(StoredFile f, ByteRange range) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        streamer.write(f.chunks(), CHUNK, range, out);
        return out.toByteArray();
    }

    private static void await(BooleanSupplier condition, String what) {
        Poll.until(WAIT, condition, what);
    }

    private boolean logged(String chunkId, String outcome) {
        return nodeLog.stream().anyMatch(m -> m.startsWith("get chunk=" + chunkId + " ") && m.contains(outcome));
    }

    @Test
    void streamsWholeFilesAndRangesAcrossChunkBoundaries() throws IOException {
        StoredFile f = store(2 * CHUNK + 3 * MIB + 17, 1);
        int n = f.data().length;
        assertArrayEquals(f.data(), read(f, ByteRange.whole(n)));
        assertEquals(n, metric("kos_gateway_served_bytes_total"), "every byte written counted as served");
        int first = (int) CHUNK - 5;
        int last = (int) (2 * CHUNK) + 100;
        assertArrayEquals(Arrays.copyOfRange(f.data(), first, last + 1), read(f, new ByteRange(first, last)));
        assertArrayEquals(Arrays.copyOfRange(f.data(), MIB + 1, 3 * MIB), read(f, new ByteRange(MIB + 1, 3 * MIB - 1)));
        assertArrayEquals(Arrays.copyOfRange(f.data(), n - 1, n), read(f, new ByteRange(n - 1, n - 1)));
    }

    @Test
    void theNextChunkIsFetchedWhileOneStreamsAndAClientThatLeavesCancelsBoth() {
        StoredFile f = store(3 * CHUNK, 2);
        String c0 = f.chunks().get(0).chunk().chunkId();
        String c1 = f.chunks().get(1).chunk().chunkId();
        String c2 = f.chunks().get(2).chunk().chunkId();
        OutputStream leaving = new OutputStream() {
            @Override
            public void write(int x) throws IOException {
                write(new byte[] {(byte) x}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int off, int len) throws IOException {
                // Still inside chunk 0: the read of chunk 1 must already be under way.
                await(() -> logged(c1, "started"), "chunk 1 read ahead while chunk 0 streams");
                throw new IOException("client closed the connection");
            }
        };
        assertThrows(IOException.class, () -> streamer.write(f.chunks(), CHUNK, ByteRange.whole(3 * CHUNK), leaving));
        await(() -> logged(c0, "outcome=cancelled") && logged(c1, "outcome=cancelled"),
                "both open reads cancelled, log: " + nodeLog);
        assertFalse(logged(c2, "started"), "never more than one chunk ahead");
    }

    @Test
    void aCopyOpenedAheadThatFailsIsReadFromTheNextCopy() throws IOException {
        StoredFile f = store(3 * CHUNK, 3);
        List<ReadableChunk> chunks = new ArrayList<>(f.chunks());
        // Chunk 1 is on b only: a does not have it (NOT_FOUND). Chunk 2 is on a: first try a dead address.
        ReadableChunk c1 = chunks.get(1);
        chunks.set(1, new ReadableChunk(c1.chunk(), List.of(copy(a), copy(b))));
        ReadableChunk c2 = chunks.get(2);
        chunks.set(2, new ReadableChunk(c2.chunk(), List.of(new ReadableChunk.Copy("node-gone", "127.0.0.1:1"), copy(a))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        streamer.write(chunks, CHUNK, ByteRange.whole(3 * CHUNK), out);
        assertArrayEquals(f.data(), out.toByteArray());
        assertEquals(2, metric("kos_gateway_chunk_read_failovers_total"), "one failover for chunk 1, one for chunk 2");
    }

    @Test
    void aChunkWithNoKnownCopyIsRelocatedOnce() throws IOException {
        StoredFile f = store(2 * CHUNK + MIB, 4);
        List<ReadableChunk> chunks = new ArrayList<>(f.chunks());
        ReadableChunk moved = chunks.get(1);
        chunks.set(1, new ReadableChunk(moved.chunk(), List.of()));
        AtomicInteger asked = new AtomicInteger();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        streamer.write(chunks, CHUNK, ByteRange.whole(f.data().length), out, chunk -> {
            asked.incrementAndGet();
            assertEquals(moved.chunk().chunkId(), chunk.chunkId());
            return moved;
        });
        assertArrayEquals(f.data(), out.toByteArray());
        assertEquals(1, asked.get());
    }

    @Test
    void aWholeChunkThatFailsItsRecordedChecksumCutsTheResponse() {
        StoredFile f = store(3 * CHUNK, 5);
        List<ReadableChunk> chunks = new ArrayList<>(f.chunks());
        ChunkRecord r = chunks.get(1).chunk();
        chunks.set(1, new ReadableChunk(new ChunkRecord(r.fileId(), r.index(), r.chunkId(), r.size(), r.crc32c() ^ 1,
                List.of()), chunks.get(1).copies()));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThrows(ChunkStreamer.ChunkVerificationException.class,
                () -> streamer.write(chunks, CHUNK, ByteRange.whole(3 * CHUNK), out));
        assertTrue(out.size() <= 2 * CHUNK, "nothing after the bad chunk");
        assertEquals(1, metric("kos_gateway_chunk_checksum_failures_total"));
        String c2 = chunks.get(2).chunk().chunkId();
        // Chunk 2 was opened ahead; the failure must not leave it open here nor running on the node.
        assertEquals(0, permits.inUse(), "the read opened ahead is closed, its permit returned");
        // The node's read ends cancelled, or already sent whole when the stream's HTTP/2 window
        // (auto-tuned, and large on loopback) took all 8 MiB before chunk 1 failed: a race the test
        // cannot order. A read left open would log neither.
        await(() -> logged(c2, "outcome=cancelled") || logged(c2, "outcome=ok"), "read of chunk 2 ended, log: " + nodeLog);
    }

    /** Counts {@code entered} down on its first write, then blocks every write until {@code open} is. */
    private static OutputStream gated(CountDownLatch entered, CountDownLatch open, ByteArrayOutputStream sink) {
        return new OutputStream() {
            @Override
            public void write(int x) throws IOException {
                write(new byte[] {(byte) x}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int off, int len) throws IOException {
                entered.countDown();
                try {
                    open.await();
                } catch (InterruptedException e) {
                    throw new InterruptedIOException();
                }
                sink.write(bytes, off, len);
            }
        };
    }

    @Test
    void aReadAheadTakesASparePermitAndDownloadsBeyondTheBudgetWait() throws Exception {
        StoredFile f = store(3 * CHUNK, 6);
        ReadPermits budget = new ReadPermits(2, WAIT);
        ChunkStreamer budgeted = new ChunkStreamer(clients, budget, metrics);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        ByteArrayOutputStream first = new ByteArrayOutputStream();
        ByteArrayOutputStream second = new ByteArrayOutputStream();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> one = pool.submit(() -> {
                budgeted.write(f.chunks(), CHUNK, ByteRange.whole(3 * CHUNK), gated(entered, open, first));
                return null;
            });
            assertTrue(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS), "the first download writes");
            assertEquals(2, budget.inUse(), "streaming chunk 0 with chunk 1 read ahead");
            Future<?> two = pool.submit(() -> {
                budgeted.write(f.chunks(), CHUNK, ByteRange.whole(3 * CHUNK), second);
                return null;
            });
            await(() -> budget.waiting() == 1, "the second download waits for a permit");
            assertEquals(0, second.size());
            open.countDown();
            one.get(WAIT.toSeconds(), TimeUnit.SECONDS);
            two.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        assertArrayEquals(f.data(), first.toByteArray());
        assertArrayEquals(f.data(), second.toByteArray());
        assertEquals(0, budget.inUse(), "every permit is returned");
    }

    @Test
    void aDownloadWhosePermitDoesNotComeIsCutBeforeAnyByte() throws Exception {
        StoredFile f = store(CHUNK, 8);
        ReadPermits budget = new ReadPermits(1, Duration.ofMillis(200));
        ChunkStreamer budgeted = new ChunkStreamer(clients, budget, metrics);
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch open = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            Future<?> holder = pool.submit(() -> {
                budgeted.write(f.chunks(), CHUNK, ByteRange.whole(CHUNK), gated(entered, open, new ByteArrayOutputStream()));
                return null;
            });
            assertTrue(entered.await(WAIT.toSeconds(), TimeUnit.SECONDS));
            ByteArrayOutputStream late = new ByteArrayOutputStream();
            IOException e = assertThrows(IOException.class,
                    () -> budgeted.write(f.chunks(), CHUNK, ByteRange.whole(CHUNK), late));
            assertTrue(e.getMessage().contains("gateway.read-streams"), e.getMessage());
            assertEquals(0, late.size());
            open.countDown();
            holder.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        assertEquals(0, budget.inUse());
    }
}
