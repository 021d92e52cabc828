package dev.kos.storageclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.ChunkInfo;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.HealthCheckResponse;
import dev.kos.schemas.storage.v1.NodeStatus;
import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
import dev.kos.testkit.Poll;
import io.grpc.Server;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.RandomAccessFile;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class StorageNodeClientTest {
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path dir;
    private StorageNodeServer node;
    private StorageNodeClients clients;
    private StorageNodeClient client;

    @BeforeEach
    void start() {
        node = StorageNodeServer.start(StorageNodeConfig.loopback("node-a", dir.resolve("a")));
        clients = new StorageNodeClients();
        client = clients.client("127.0.0.1:" + node.port());
    }

    @AfterEach
    void stop() {
        clients.close();
        node.close();
    }

    static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    static int crc(byte[] b, int off, int len) {
        CRC32C c = new CRC32C();
        c.update(b, off, len);
        return (int) c.getValue();
    }

    @Test
    void putThenReadWholeAndRangesAcrossFrames() throws IOException {
        byte[] data = random(5 * StorageClientConfig.MIB + 123, 1);
        PutResult r = client.put("chunk-1", ByteBuffer.wrap(data), crc(data, 0, data.length), DEADLINE);
        assertEquals(data.length, r.length());
        assertEquals("node-a", r.nodeId());
        assertFalse(r.alreadyPresent());

        try (ChunkReadStream in = client.openRead("chunk-1", 0, 0)) {
            assertArrayEquals(data, in.readAllBytes());
            assertEquals(data.length, in.chunkLength());
            assertEquals(crc(data, 0, data.length), in.crc32c().orElseThrow());
        }
        int off = StorageClientConfig.MIB - 10;
        int len = 2 * StorageClientConfig.MIB + 20;
        try (InputStream in = client.openRead("chunk-1", off, len)) {
            byte[] part = in.readAllBytes();
            assertEquals(len, part.length);
            assertArrayEquals(java.util.Arrays.copyOfRange(data, off, off + len), part);
        }
    }

    @Test
    void transferFrameHandsOutEveryByteOnceMixedWithReadsAndFeedsTheChecksum() throws IOException {
        byte[] data = random(3 * StorageClientConfig.MIB + 77, 11);
        client.put("frames", ByteBuffer.wrap(data), crc(data, 0, data.length), DEADLINE);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        CRC32C checksum = new CRC32C();
        try (ChunkReadStream in = client.openRead("frames", 0, 0)) {
            byte[] head = new byte[1000];
            assertEquals(1000, in.read(head));
            out.write(head);
            checksum.update(head);
            // The rest of the first frame, capped, then whole frames.
            assertEquals(500, in.transferFrame(out, 500, checksum));
            assertEquals(StorageClientConfig.MIB - 1500, in.transferFrame(out, Integer.MAX_VALUE, checksum));
            int n;
            while ((n = in.transferFrame(out, Integer.MAX_VALUE, checksum)) > 0) {
                assertTrue(n <= StorageClientConfig.MIB, "one frame at a time");
            }
            assertEquals(-1, n);
            assertEquals(-1, in.read());
        }
        assertArrayEquals(data, out.toByteArray());
        assertEquals(crc(data, 0, data.length), (int) checksum.getValue());
    }

    @Test
    void frameArraysAreReusedAndEachReadSeesOnlyItsOwnBytes() throws Exception {
        byte[] a = random(3 * StorageClientConfig.MIB + 11, 21);
        byte[] b = random(2 * StorageClientConfig.MIB + 7, 22);
        client.put("reuse-a", ByteBuffer.wrap(a), crc(a, 0, a.length), DEADLINE);
        client.put("reuse-b", ByteBuffer.wrap(b), crc(b, 0, b.length), DEADLINE);
        FramePool pool = clients.frames();
        assertArrayEquals(a, transferAll(client.openRead("reuse-a", 0, 0)));
        assertTrue(pool.idle() > 0, "a consumed frame's array comes back");

        // Two reads on one thread, frame by frame in turn: each frame's array is given back
        // while the other read's frames are in use.
        java.io.ByteArrayOutputStream outA = new java.io.ByteArrayOutputStream();
        java.io.ByteArrayOutputStream outB = new java.io.ByteArrayOutputStream();
        try (ChunkReadStream inA = client.openRead("reuse-a", 0, 0); ChunkReadStream inB = client.openRead("reuse-b", 0, 0)) {
            boolean moreA = true;
            boolean moreB = true;
            while (moreA || moreB) {
                moreA = moreA && inA.transferFrame(outA, Integer.MAX_VALUE, null) > 0;
                moreB = moreB && inB.transferFrame(outB, Integer.MAX_VALUE, null) > 0;
            }
        }
        assertArrayEquals(a, outA.toByteArray());
        assertArrayEquals(b, outB.toByteArray());

        // Many reads at once on their own threads, more than the pool holds: fresh and reused
        // arrays mixed, and never a byte of another read.
        try (var threads = Executors.newVirtualThreadPerTaskExecutor()) {
            List<java.util.concurrent.Future<Boolean>> reads = new java.util.ArrayList<>();
            for (int i = 0; i < 24; i++) {
                boolean readA = i % 2 == 0;
                reads.add(threads.submit(() -> java.util.Arrays.equals(readA ? a : b,
                        transferAll(client.openRead(readA ? "reuse-a" : "reuse-b", 0, 0)))));
            }
            for (var r : reads) {
                assertTrue(r.get(60, TimeUnit.SECONDS), "every read gets its own chunk's bytes");
            }
        }
        assertTrue(pool.idle() <= 8, "the pool keeps at most its capacity");
    }

    @Test
    void closingEarlyGivesBackTheFramesItHeld() throws Exception {
        byte[] data = random(8 * StorageClientConfig.MIB, 23);
        client.put("held", ByteBuffer.wrap(data), crc(data, 0, data.length), DEADLINE);
        FramePool pool = clients.frames();
        int prefetch = clients.config().readPrefetch();
        ChunkReadStream in = client.openRead("held", 0, 0);
        assertEquals(data[0], (byte) in.read());
        Poll.until(Duration.ofSeconds(10), () -> in.bufferedFrames() == prefetch, "the prefetched frames arrive");
        int idle = pool.idle();
        in.close();
        assertEquals(idle + prefetch + 1, pool.idle(), "the frame being read and the queued ones come back");
    }

    private static byte[] transferAll(ChunkReadStream stream) throws IOException {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        try (stream) {
            while (stream.transferFrame(out, Integer.MAX_VALUE, null) >= 0) {
                // until the end
            }
        }
        return out.toByteArray();
    }

    @Test
    void putDoesNotMoveTheCallersBufferAndIsIdempotent() {
        byte[] data = random(300_000, 2);
        ByteBuffer buf = ByteBuffer.wrap(data);
        client.put("same", buf, crc(data, 0, data.length), DEADLINE);
        assertEquals(0, buf.position());
        assertTrue(client.put("same", buf, crc(data, 0, data.length), DEADLINE).alreadyPresent());
        byte[] other = random(300_000, 3);
        assertThrows(ChunkConflictException.class,
                () -> client.put("same", ByteBuffer.wrap(other), crc(other, 0, other.length), DEADLINE));
    }

    @Test
    void emptyChunkRoundTrips() throws IOException {
        client.put("empty", ByteBuffer.allocate(0), crc(new byte[0], 0, 0), DEADLINE);
        try (InputStream in = client.openRead("empty", 0, 0)) {
            assertEquals(0, in.readAllBytes().length);
        }
    }

    @Test
    void wrongChecksumIsRejectedAndNothingIsVisible() {
        byte[] data = random(100_000, 4);
        assertThrows(InvalidChunkRequestException.class,
                () -> client.put("bad-crc", ByteBuffer.wrap(data), crc(data, 0, data.length) ^ 1, DEADLINE));
        ChunkReadStream in = client.openRead("bad-crc", 0, 0);
        assertThrows(ChunkNotFoundException.class, in::read);
    }

    @Test
    void invalidChunkIdIsRejected() {
        assertThrows(InvalidChunkRequestException.class,
                () -> client.put("../etc", ByteBuffer.wrap(new byte[10]), 0, DEADLINE));
    }

    @Test
    void corruptedCopyIsChunkCorrupted() throws IOException {
        byte[] data = random(200_000, 5);
        client.put("rot", ByteBuffer.wrap(data), crc(data, 0, data.length), DEADLINE);
        Path file = dir.resolve("a").resolve("ro").resolve("rot");
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(1000);
            int b = f.read();
            f.seek(1000);
            f.write(b ^ 0xff);
        }
        try (ChunkReadStream in = client.openRead("rot", 0, 0)) {
            assertThrows(ChunkCorruptedException.class, in::readAllBytes);
        }
        try (ChunkReadStream in = client.openRead("rot", 0, 0)) {
            assertThrows(ChunkCorruptedException.class,
                    () -> in.transferFrame(java.io.OutputStream.nullOutputStream(), Integer.MAX_VALUE, null));
        }
    }

    @Test
    void deleteHealthAndList() {
        for (int i = 0; i < 3; i++) {
            byte[] d = random(1000 + i, 10 + i);
            client.put("list-" + i, ByteBuffer.wrap(d), crc(d, 0, d.length), DEADLINE);
        }
        byte[] d = random(10, 9);
        client.put("other", ByteBuffer.wrap(d), crc(d, 0, d.length), DEADLINE);
        try (Stream<ChunkInfo> s = client.list("list-")) {
            List<String> ids = s.map(ChunkInfo::getChunkId).sorted().toList();
            assertEquals(List.of("list-0", "list-1", "list-2"), ids);
        }
        HealthCheckResponse h = client.health();
        assertEquals("node-a", h.getNodeId());
        assertEquals(NodeStatus.SERVING, h.getStatus());
        assertEquals(4, h.getChunkCount());
        assertTrue(client.delete("list-1"));
        assertFalse(client.delete("list-1"));
        try (Stream<ChunkInfo> s = client.list("list-")) {
            assertEquals(2, s.count());
        }
    }

    @Test
    void readerHoldsAFewFramesAtMostAndClosingCancels() throws Exception {
        byte[] data = random(16 * StorageClientConfig.MIB, 6);
        client.put("big", ByteBuffer.wrap(data), crc(data, 0, data.length), DEADLINE);
        ChunkReadStream in = client.openRead("big", 0, 0);
        assertEquals(data[0], (byte) in.read());
        long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        int prefetch = clients.config().readPrefetch();
        while (in.bufferedFrames() < prefetch && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        assertEquals(prefetch, in.bufferedFrames(), "the node sends what was asked for");
        // Keep watching for a while: an unbounded reader would keep receiving frames.
        long watchUntil = System.nanoTime() + Duration.ofMillis(500).toNanos();
        while (System.nanoTime() < watchUntil) {
            assertTrue(in.bufferedFrames() <= prefetch, "never more than the frames asked for");
        }
        in.close();
        assertThrows(IOException.class, in::read);
        // The channel is still usable after a cancelled stream.
        try (InputStream again = client.openRead("big", data.length - 10, 10)) {
            assertArrayEquals(java.util.Arrays.copyOfRange(data, data.length - 10, data.length), again.readAllBytes());
        }
    }

    @Test
    void awaitEndSeesTheCallEndAfterTheLastByteAskedFor() throws IOException {
        byte[] data = random(3 * StorageClientConfig.MIB + 5, 9);
        client.put("ends", ByteBuffer.wrap(data), crc(data, 0, data.length), DEADLINE);
        try (ChunkReadStream in = client.openRead("ends", 100, 2 * StorageClientConfig.MIB)) {
            byte[] got = new byte[2 * StorageClientConfig.MIB];
            assertEquals(got.length, in.readNBytes(got, 0, got.length));
            assertArrayEquals(java.util.Arrays.copyOfRange(data, 100, 100 + got.length), got);
            assertTrue(in.awaitEnd(), "the node ends the call after the range");
            assertEquals(-1, in.read());
        }
        try (ChunkReadStream in = client.openRead("ends", 0, 0)) {
            assertEquals(data[0], (byte) in.read());
            assertFalse(in.awaitEnd(), "bytes are left: not the end");
            assertEquals(data[1], (byte) in.read(), "and awaitEnd consumed none of them");
        }
    }

    @Test
    @Timeout(60) // a reader that nothing wakes would otherwise wait for ever
    void aNodeThatStopsSendingFailsTheReadAfterTheIdleTimeoutButASlowOneDoesNot() throws Exception {
        Duration idle = Duration.ofMillis(400);
        // 1.5 idle timeouts apart: a slow node whose every frame comes later than the idle timeout.
        StallingNode stalling = new StallingNode(3, Duration.ofMillis(300));
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0)).addService(stalling).build().start();
        StorageClientConfig d = StorageClientConfig.defaults();
        try (StorageNodeClients short_ = new StorageNodeClients(new StorageClientConfig(d.frameSize(), d.readPrefetch(), idle,
                d.callDeadline(), d.keepAliveTime(), d.maxInboundMessageSize()))) {
            StorageNodeClient c = short_.client("127.0.0.1:" + server.getPort());
            try (ChunkReadStream in = c.openRead("slow", 0, 0)) {
                assertEquals(3 * 1000, in.readAllBytes().length, "frames 300 ms apart are not a stall");
            }
            stalling.stallAfter = 1;
            long start = System.nanoTime();
            try (ChunkReadStream in = c.openRead("stalls", 0, 0)) {
                assertEquals(1000, in.readNBytes(1000).length, "the first frame");
                NodeUnavailableException e = assertThrows(NodeUnavailableException.class, in::read);
                assertTrue(e.getMessage().contains("no data within"), e.getMessage());
            }
            long waitedMs = (System.nanoTime() - start) / 1_000_000;
            assertTrue(waitedMs >= idle.toMillis(), "failed only after the idle timeout: " + waitedMs + " ms");
            assertTrue(waitedMs < idle.toMillis() * 10, "and soon after it: " + waitedMs + " ms");
            Poll.until(Duration.ofSeconds(5), () -> stalling.cancelled, "the stalled call is cancelled");
        } finally {
            server.shutdownNow();
            stalling.close();
        }
    }

    /** A node that sends 1000-byte frames {@code gap} apart, {@code frames} of them, or stops after {@code stallAfter}. */
    private static final class StallingNode extends StorageNodeGrpc.StorageNodeImplBase implements AutoCloseable {
        private final int frames;
        private final Duration gap;
        volatile int stallAfter = Integer.MAX_VALUE;
        volatile boolean cancelled;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                Thread.ofPlatform().daemon().factory());

        StallingNode(int frames, Duration gap) {
            this.frames = frames;
            this.gap = gap;
        }

        @Override
        public void getChunk(GetChunkRequest request, StreamObserver<GetChunkResponse> out) {
            var call = (ServerCallStreamObserver<GetChunkResponse>) out;
            call.setOnCancelHandler(() -> cancelled = true);
            send(call, 0);
        }

        private void send(ServerCallStreamObserver<GetChunkResponse> call, int i) {
            if (i == stallAfter || call.isCancelled()) {
                return; // sends nothing more, and never ends the call
            }
            if (i == frames) {
                call.onCompleted();
                return;
            }
            call.onNext(GetChunkResponse.newBuilder().setOffset(i * 1000L).setChunkLength(frames * 1000L)
                    .setData(ByteString.copyFrom(new byte[1000])).build());
            timer.schedule(() -> send(call, i + 1), i + 1 == stallAfter ? 0 : gap.toMillis(), TimeUnit.MILLISECONDS);
        }

        @Override
        public void close() {
            timer.shutdownNow();
        }
    }

    @Test
    void fullNodeIsNodeFull() {
        try (StorageNodeServer full = StorageNodeServer.start(
                StorageNodeConfig.loopback("node-full", dir.resolve("full")).withReserveBytes(Long.MAX_VALUE / 4))) {
            StorageNodeClient c = clients.client("127.0.0.1:" + full.port());
            byte[] d = random(1000, 7);
            NodeFullException e = assertThrows(NodeFullException.class,
                    () -> c.put("x", ByteBuffer.wrap(d), crc(d, 0, d.length), DEADLINE));
            assertTrue(e.retryableElsewhere());
        }
    }

    @Test
    void stoppedNodeIsNodeUnavailable() {
        String address = "127.0.0.1:" + node.port();
        node.close();
        byte[] d = random(1000, 8);
        NodeUnavailableException e = assertThrows(NodeUnavailableException.class,
                () -> clients.client(address).put("x", ByteBuffer.wrap(d), crc(d, 0, d.length), Duration.ofSeconds(5)));
        assertEquals(address, e.nodeAddress());
        assertThrows(NodeUnavailableException.class, () -> clients.client(address).health());
        assertThrows(NodeUnavailableException.class, () -> clients.client(address).openRead("x", 0, 0).read());
    }
}
