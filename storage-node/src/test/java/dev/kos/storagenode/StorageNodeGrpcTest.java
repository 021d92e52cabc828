package dev.kos.storagenode;

import dev.kos.testkit.Poll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.ChecksumAlgorithm;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import dev.kos.schemas.storage.v1.HealthCheckResponse;
import dev.kos.schemas.storage.v1.ListChunksRequest;
import dev.kos.schemas.storage.v1.NodeStatus;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import dev.kos.schemas.storage.v1.PutChunkResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The storage node over real gRPC on loopback, with a real data dir. Names follow the brief. */
class StorageNodeGrpcTest {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path tmp;
    TestNode node;
    ChunkClient client;

    @BeforeEach
    void start() {
        node = TestNode.start(tmp.resolve("data"));
        client = node.client;
    }

    @AfterEach
    void stop() throws InterruptedException {
        node.close();
    }

    @Test
    void TestPutChunk_Success() throws IOException {
        TestData data = new TestData(1, 5L * MIB + 12_345); // several frames, a partial last block
        PutChunkResponse r = client.put("chunk-ok_1", data);

        assertEquals("chunk-ok_1", r.getChunkId());
        assertEquals(data.length(), r.getLength());
        assertFalse(r.getAlreadyPresent());
        assertEquals("test-node", r.getNodeId());
        assertEquals(ProtoMapping.toProto(data.crc32c()), r.getChecksum());
        Path file = node.dataDir().resolve("ch").resolve("chunk-ok_1");
        assertTrue(Files.isRegularFile(file), "chunk under <data>/<first two chars>/<id>");
        assertEquals(data.length(), Files.size(file) - ChunkFooter.overhead(data.length(), ChunkStore.BLOCK_SIZE));
        byte[] onDisk = Files.readAllBytes(file);
        assertArrayEquals(data.range(0, (int) data.length()), java.util.Arrays.copyOf(onDisk, (int) data.length()),
                "the chunk's bytes start at offset 0 of its file");
        assertTempDirEmpty();
        assertEquals(1, client.health().getChunkCount());
        assertEquals(data.length(), client.health().getChunkBytes());
    }

    @Test
    @Tag("large-data")
    void putChunkSuccess1GiB() {
        TestData data = new TestData(7, 1L << 30);
        long t0 = System.nanoTime();
        PutChunkResponse r = client.put("big-chunk", data);
        double putS = (System.nanoTime() - t0) / 1e9;
        assertEquals(1L << 30, r.getLength());

        long t1 = System.nanoTime();
        CRC32C crc = new CRC32C();
        long expectedOffset = 0;
        long frames = 0;
        Iterator<GetChunkResponse> it = client.get("big-chunk", 0, 0);
        while (it.hasNext()) {
            GetChunkResponse f = it.next();
            assertEquals(expectedOffset, f.getOffset());
            assertTrue(f.getData().size() <= MIB, "frames are at most 1 MiB");
            if (frames % 97 == 0) { // spot-check content, a full compare would double the test time
                assertArrayEquals(data.range(f.getOffset(), f.getData().size()), f.getData().toByteArray());
            }
            f.getData().asReadOnlyByteBufferList().forEach(crc::update);
            expectedOffset += f.getData().size();
            frames++;
        }
        double getS = (System.nanoTime() - t1) / 1e9;
        assertEquals(1L << 30, expectedOffset);
        assertEquals(data.crc32c(), ChunkChecksum.crc32c((int) crc.getValue()));
        System.out.printf("1 GiB chunk: put %.0f MB/s, get %.0f MB/s%n", 1073.741824 / putS, 1073.741824 / getS);
    }

    @Test
    void TestPutChunk_InvalidChunkID() {
        String tooLong = "a".repeat(129);
        for (String bad : List.of("", tooLong, "a b", "a.b", "chunk\u00e9", "a\u0000b", "a:b", "*")) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> client.put(bad, new byte[] {1, 2, 3}), "id '" + bad + "'");
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode(), "id '" + bad + "'");
        }
        assertEquals("a".repeat(128), client.put("a".repeat(128), new byte[] {1}).getChunkId(), "128 chars is fine");
        assertEquals(1, client.health().getChunkCount());
    }

    @Test
    void TestPutChunk_PathTraversalRefused() throws IOException {
        Path outside = tmp.resolve("outside");
        Files.createDirectories(outside);
        Files.writeString(outside.resolve("victim"), "keep me");
        for (String bad : List.of("..", "../outside/victim", "../../etc/passwd", "/etc/passwd", "ab/../../outside",
                "..\\..\\x", "./ab", "%2e%2e%2fvictim")) {
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(bad, new byte[] {9})), "put " + bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.read(bad, 0, 0)), "get " + bad);
            assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.delete(bad)), "delete " + bad);
        }
        assertEquals("keep me", Files.readString(outside.resolve("victim")));
        try (Stream<Path> s = Files.list(tmp)) {
            assertEquals(Set.of("data", "outside"), s.map(p -> p.getFileName().toString())
                    .collect(java.util.stream.Collectors.toSet()));
        }
        assertEquals(0, client.health().getChunkCount());
    }

    @Test
    void TestPutChunk_IdempotentReput() {
        TestData data = new TestData(2, 3L * MIB);
        assertFalse(client.put("same", data).getAlreadyPresent());
        PutChunkResponse again = client.put("same", data);
        assertTrue(again.getAlreadyPresent());
        assertEquals(data.length(), again.getLength());
        // Same bytes declared with SHA-256 this time: still the same chunk.
        PutChunkResponse sha = client.put(ChunkClient.header("same", data.length(), data.sha256()), data.frames(),
                data::frame);
        assertTrue(sha.getAlreadyPresent());
        assertEquals(1, client.health().getChunkCount());
        assertTempDirEmpty();
    }

    @Test
    void TestPutChunk_ConflictingReputRefused() {
        TestData original = new TestData(3, 2L * MIB);
        client.put("taken", original);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                () -> client.put("taken", new TestData(4, 2L * MIB)));
        assertEquals(Status.Code.ALREADY_EXISTS, e.getStatus().getCode());
        assertArrayEquals(original.range(0, (int) original.length()), client.read("taken", 0, 0), "original intact");
        assertEquals(Status.Code.ALREADY_EXISTS, code(() -> client.put("taken", new TestData(3, 2L * MIB - 1))),
                "a different length is a different chunk");
        assertTempDirEmpty();
    }

    @Test
    void TestPutChunk_BadStreamsLeaveNothing() {
        TestData data = new TestData(5, 2L * MIB + 3);
        // Checksum mismatch.
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(
                ChunkClient.header("bad-sum", data.length(), ChunkChecksum.crc32c(12345)), data.frames(), data::frame)));
        // Fewer bytes than declared.
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(
                ChunkClient.header("short", data.length() + 10, data.crc32c()), data.frames(), data::frame)));
        // More bytes than declared.
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(
                ChunkClient.header("long", data.length() - 10, data.crc32c()), data.frames(), data::frame)));
        // Negative length, missing checksum, wrong checksum size.
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(
                ChunkClient.header("neg", -1, data.crc32c()), 0, i -> new byte[0])));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(
                ChunkClient.header("nosum", 1, data.crc32c()).toBuilder().clearChecksum().build(), 1, i -> new byte[1])));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.put(ChunkClient.header("sumsize", 1,
                data.crc32c()).toBuilder().setChecksum(dev.kos.schemas.storage.v1.Checksum.newBuilder()
                .setAlgorithm(ChecksumAlgorithm.SHA256).setValue(ByteString.copyFrom(new byte[4]))).build(), 1,
                i -> new byte[1])));
        for (String id : List.of("bad-sum", "short", "long", "neg", "nosum", "sumsize")) {
            assertEquals(Status.Code.NOT_FOUND, code(() -> client.read(id, 0, 0)), id);
        }
        assertTempDirEmpty();
        assertEquals(0, client.health().getChunkCount());
    }

    @Test
    void TestPutChunk_Sha256() {
        TestData data = new TestData(6, MIB + 1);
        PutChunkResponse r = client.put(ChunkClient.header("sha", data.length(), data.sha256()), data.frames(),
                data::frame);
        assertEquals(ChecksumAlgorithm.SHA256, r.getChecksum().getAlgorithm());
        GetChunkResponse first = client.get("sha", 0, 0).next();
        assertEquals(ProtoMapping.toProto(data.sha256()), first.getChecksum());
    }

    @Test
    void TestPutChunk_EmptyChunk() {
        PutChunkResponse r = client.put("empty", new byte[0]);
        assertEquals(0, r.getLength());
        Iterator<GetChunkResponse> it = client.get("empty", 0, 0);
        GetChunkResponse first = it.next();
        assertEquals(0, first.getChunkLength());
        assertTrue(first.hasChecksum());
        assertEquals(0, first.getData().size());
        assertFalse(it.hasNext());
    }

    @Test
    void TestPutChunk_CancelledMidStreamLeavesNoChunk() throws Exception {
        TestData data = new TestData(8, 8L * MIB);
        AtomicReference<Throwable> error = new AtomicReference<>();
        StreamObserver<PutChunkRequest> out = client.async.putChunk(new StreamObserver<>() {
            @Override
            public void onNext(PutChunkResponse value) {
                error.set(new AssertionError("a cancelled put must not succeed"));
            }

            @Override
            public void onError(Throwable t) {
                error.compareAndSet(null, t);
            }

            @Override
            public void onCompleted() {
            }
        });
        out.onNext(PutChunkRequest.newBuilder().setHeader(ChunkClient.header("cancelled", data.length(),
                data.crc32c())).build());
        for (int i = 0; i < 3; i++) {
            out.onNext(PutChunkRequest.newBuilder().setData(ByteString.copyFrom(data.frame(i))).build());
        }
        Poll.until(Duration.ofSeconds(10), () -> tempFiles() == 1 && tempBytes() > 0, "the put to reach the disk");
        out.onError(Status.CANCELLED.withDescription("client gave up").asRuntimeException());

        Poll.until(Duration.ofSeconds(10), () -> tempFiles() == 0, "the temp file to be removed");
        // The client hears of its own cancel on another thread, not necessarily before the node cleans up.
        Poll.until(Duration.ofSeconds(10), () -> error.get() != null, "the client to see the cancellation");
        assertEquals(Status.Code.CANCELLED, Status.fromThrowable(error.get()).getCode());
        assertEquals(Status.Code.NOT_FOUND, code(() -> client.read("cancelled", 0, 0)));
        assertEquals(0, client.health().getChunkCount());
        // Its reservation is released: a later put of the same id succeeds.
        assertFalse(client.put("cancelled", data).getAlreadyPresent());
    }

    @Test
    void TestGetChunk_Success() {
        TestData data = new TestData(9, 3L * MIB + 777);
        client.put("readable", data);
        Iterator<GetChunkResponse> it = client.get("readable", 0, 0);
        long offset = 0;
        boolean first = true;
        CRC32C crc = new CRC32C();
        while (it.hasNext()) {
            GetChunkResponse f = it.next();
            assertEquals(offset, f.getOffset());
            assertTrue(f.getData().size() <= MIB);
            if (first) {
                assertEquals(data.length(), f.getChunkLength());
                assertEquals(ProtoMapping.toProto(data.crc32c()), f.getChecksum());
                first = false;
            } else {
                assertFalse(f.hasChecksum(), "only the first frame carries the checksum");
            }
            assertArrayEquals(data.range(offset, f.getData().size()), f.getData().toByteArray());
            f.getData().asReadOnlyByteBufferList().forEach(crc::update);
            offset += f.getData().size();
        }
        assertEquals(data.length(), offset);
        assertEquals(data.crc32c(), ChunkChecksum.crc32c((int) crc.getValue()), "end-to-end checksum");
    }

    @Test
    void TestGetChunk_NotFound() {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.read("nothing-here", 0, 0));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    @Test
    void TestGetChunk_RangedReads() {
        TestData data = new TestData(10, 3L * MIB + 100);
        client.put("ranged", data);
        long len = data.length();
        long[][] ranges = {{0, 1}, {1, 10}, {65_535, 2}, {65_536, 65_536}, {100_000, 2L * MIB}, {len - 1, 1},
            {len - 100, 0}, {MIB - 5, MIB + 10}, {0, len}};
        for (long[] r : ranges) {
            long expectLen = r[1] == 0 ? len - r[0] : r[1];
            assertArrayEquals(data.range(r[0], (int) expectLen), client.read("ranged", r[0], r[1]),
                    "range " + r[0] + "+" + r[1]);
        }
        GetChunkResponse atEnd = client.get("ranged", len, 0).next();
        assertEquals(0, atEnd.getData().size(), "offset == length reads nothing");
        assertEquals(len, atEnd.getChunkLength());
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.read("ranged", len + 1, 0)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.read("ranged", 10, len)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.read("ranged", -1, 5)));
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> client.read("ranged", 0, -5)));
    }

    @Test
    void TestGetChunk_CorruptedFile() throws IOException {
        TestData data = new TestData(11, 2L * MIB);
        client.put("corrupt", data);
        flipByte(node.dataDir().resolve("co").resolve("corrupt"), 5);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> client.read("corrupt", 0, 0));
        assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());

        // A truncated file (its trailer gone) is corrupt too.
        client.put("truncated", data);
        try (RandomAccessFile f = new RandomAccessFile(node.dataDir().resolve("tr").resolve("truncated").toFile(), "rw")) {
            f.setLength(f.length() - 40);
        }
        assertEquals(Status.Code.DATA_LOSS, code(() -> client.read("truncated", 0, 0)));
    }

    @Test
    void TestGetChunk_CorruptedBlockDetectedOnRangedRead() throws IOException {
        TestData data = new TestData(12, 4L * MIB);
        client.put("mid-corrupt", data);
        long badByte = 2L * MIB + 70_000; // block 33, in the third frame
        flipByte(node.dataDir().resolve("mi").resolve("mid-corrupt"), badByte);
        long badBlockStart = badByte / ChunkStore.BLOCK_SIZE * ChunkStore.BLOCK_SIZE;

        // Ranges that do not touch the bad block are served and correct.
        assertArrayEquals(data.range(0, MIB), client.read("mid-corrupt", 0, MIB));
        assertArrayEquals(data.range(badBlockStart + ChunkStore.BLOCK_SIZE, 1000),
                client.read("mid-corrupt", badBlockStart + ChunkStore.BLOCK_SIZE, 1000));
        assertArrayEquals(data.range(badBlockStart - 10, 10), client.read("mid-corrupt", badBlockStart - 10, 10));

        // A range touching it fails with DATA_LOSS, and no byte of the bad block was sent.
        for (long[] r : new long[][] {{badByte, 1}, {badBlockStart + 1, 10}, {MIB, 2L * MIB}, {0, 0}}) {
            long received = 0;
            Iterator<GetChunkResponse> it = client.get("mid-corrupt", r[0], r[1]);
            StatusRuntimeException e = null;
            try {
                while (it.hasNext()) {
                    GetChunkResponse f = it.next();
                    received = f.getOffset() + f.getData().size();
                }
            } catch (StatusRuntimeException x) {
                e = x;
            }
            assertTrue(e != null, "range " + r[0] + "+" + r[1] + " must fail");
            assertEquals(Status.Code.DATA_LOSS, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("block " + badByte / ChunkStore.BLOCK_SIZE),
                    e.getStatus().getDescription());
            assertTrue(received <= badBlockStart, "sent bytes up to " + received + " past the bad block");
        }
    }

    @Test
    void TestDeleteChunk_Success() {
        TestData data = new TestData(13, MIB);
        client.put("doomed", data);
        client.put("kept", data);
        assertEquals(2, client.health().getChunkCount());

        assertTrue(client.delete("doomed"));
        assertEquals(Status.Code.NOT_FOUND, code(() -> client.read("doomed", 0, 0)));
        assertFalse(Files.exists(node.dataDir().resolve("do").resolve("doomed")));
        assertFalse(client.delete("doomed"), "idempotent: the second delete reports it was absent");
        assertFalse(client.delete("never-existed"));
        HealthCheckResponse h = client.health();
        assertEquals(1, h.getChunkCount());
        assertEquals(MIB, h.getChunkBytes());
        assertArrayEquals(data.range(0, MIB), client.read("kept", 0, 0));
        // Once deleted, the id can be reused for other content.
        assertFalse(client.put("doomed", new TestData(14, 100)).getAlreadyPresent());
    }

    @Test
    void TestHealthCheck() throws Exception {
        HealthCheckResponse h = client.health();
        var store = Files.getFileStore(node.dataDir());
        assertEquals("test-node", h.getNodeId());
        assertEquals(NodeStatus.SERVING, h.getStatus());
        assertEquals(store.getTotalSpace(), h.getDiskTotalBytes());
        assertTrue(Math.abs(store.getUsableSpace() - h.getDiskFreeBytes()) < 256L * MIB, "real free space");
        assertTrue(h.getDiskFreeBytes() > 0 && h.getDiskFreeBytes() <= h.getDiskTotalBytes());
        assertEquals(0, h.getDiskReservedBytes());
        assertEquals("localhost:" + node.server.port(), h.getAdvertisedAddress());
        assertEquals(0, h.getChunkCount());

        client.put("h1", new TestData(15, 1000));
        client.put("h2", new TestData(16, 2L * MIB));
        h = client.health();
        assertEquals(2, h.getChunkCount());
        assertEquals(1000 + 2L * MIB, h.getChunkBytes());

        // A restart rebuilds the counts from disk and removes leftovers of interrupted puts.
        Path data = node.dataDir();
        node.close();
        Files.write(data.resolve(".tmp").resolve("h3.crashed-put"), new byte[4096]);
        node = TestNode.start(data);
        client = node.client;
        h = client.health();
        assertEquals(2, h.getChunkCount());
        assertEquals(1000 + 2L * MIB, h.getChunkBytes());
        assertTempDirEmpty();
        assertEquals(NodeStats.class, node.server.stats().getClass());
        assertEquals(2, node.server.stats().chunkCount());
    }

    @Test
    void TestHealthCheck_FullWhenFreeSpaceBelowReserve() throws Exception {
        Path data = node.dataDir();
        node.close();
        long free = Files.getFileStore(data).getUsableSpace();
        node = TestNode.start(StorageNodeConfig.loopback("full-node", data).withReserveBytes(free + (1L << 30)),
                ChunkFileSystem.local());
        client = node.client;
        HealthCheckResponse h = client.health();
        assertEquals(NodeStatus.FULL, h.getStatus());
        assertEquals(free + (1L << 30), h.getDiskReservedBytes());
    }

    @Test
    void TestListChunks() {
        Set<String> ids = new TreeSet<>(List.of("aa1", "aa2", "ab1", "b", "bz-9", "zz_top"));
        for (String id : ids) {
            client.put(id, new TestData(id.hashCode(), 10 + id.length()));
        }
        assertEquals(ids, listed("", 2));
        assertEquals(Set.of("aa1", "aa2", "ab1"), listed("a", 0));
        assertEquals(Set.of("aa1", "aa2"), listed("aa", 1));
        assertEquals(Set.of("aa2"), listed("aa2", 0));
        assertEquals(Set.of("b", "bz-9"), listed("b", 0));
        assertEquals(Set.of(), listed("q", 0));
        var first = client.blocking.listChunks(ListChunksRequest.newBuilder().setPrefix("zz").build()).next();
        assertEquals(10 + "zz_top".length(), first.getChunks(0).getLength(), "length from the trailer");
        assertEquals(ChecksumAlgorithm.CRC32C, first.getChunks(0).getChecksum().getAlgorithm());
        assertTrue(first.getChunks(0).getStoredAtUnixMs() > System.currentTimeMillis() - 600_000);
        assertEquals(Status.Code.INVALID_ARGUMENT, code(() -> listed("../", 0)));
    }

    @Test
    void TestConcurrentStreams() throws Exception {
        int n = 10;
        List<TestData> datas = new ArrayList<>();
        List<CompletableFuture<PutChunkResponse>> puts = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            TestData d = new TestData(100 + i, 4L * MIB + i * 1000L);
            datas.add(d);
            puts.add(client.putAsync(ChunkClient.header("concurrent-" + i, d.length(), d.crc32c()), d.frames(),
                    d::frame));
        }
        for (int i = 0; i < n; i++) {
            PutChunkResponse r = puts.get(i).get();
            assertEquals("concurrent-" + i, r.getChunkId());
            assertEquals(datas.get(i).length(), r.getLength());
            assertFalse(r.getAlreadyPresent());
        }
        for (int i = 0; i < n; i++) {
            TestData d = datas.get(i);
            assertArrayEquals(d.range(0, (int) d.length()), client.read("concurrent-" + i, 0, 0), "chunk " + i);
        }
        assertEquals(n, client.health().getChunkCount());
        assertTempDirEmpty();
    }

    @Test
    void TestConcurrentStreams_SameIdOneChunk() throws Exception {
        TestData d = new TestData(200, 3L * MIB);
        List<CompletableFuture<PutChunkResponse>> puts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            puts.add(client.putAsync(ChunkClient.header("contended", d.length(), d.crc32c()), d.frames(), d::frame));
        }
        int stored = 0;
        for (var p : puts) {
            stored += p.get().getAlreadyPresent() ? 0 : 1;
        }
        assertEquals(1, stored, "exactly one put stores it, the others find it present");
        assertEquals(1, client.health().getChunkCount());
        assertArrayEquals(d.range(0, (int) d.length()), client.read("contended", 0, 0));
        assertTempDirEmpty();
    }

    @Test
    void TestStreamingPerformance() {
        TestData data = new TestData(300, 256L * MIB);
        data.crc32c(); // warm the generator outside the timing
        long t0 = System.nanoTime();
        client.put("perf", data);
        double put = (System.nanoTime() - t0) / 1e9;
        long t1 = System.nanoTime();
        long bytes = 0;
        Iterator<GetChunkResponse> it = client.get("perf", 0, 0);
        while (it.hasNext()) {
            bytes += it.next().getData().size();
        }
        double get = (System.nanoTime() - t1) / 1e9;
        assertEquals(data.length(), bytes);
        System.out.printf("TestStreamingPerformance: 256 MiB chunk over loopback gRPC: put %.0f MB/s (%.2f s), "
                + "get %.0f MB/s (%.2f s)%n", data.length() / put / 1e6, put, data.length() / get / 1e6, get);
    }

    @Test
    void TestShutdown_InFlightPutFinishesWithinGrace() throws Exception {
        TestData data = new TestData(400, 32L * MIB);
        CompletableFuture<PutChunkResponse> put = client.putAsync(
                ChunkClient.header("in-flight", data.length(), data.crc32c()), data.frames(), data::frame);
        Poll.until(Duration.ofSeconds(10), () -> tempFiles() == 1, "the put to start");
        CompletableFuture<Void> closing = CompletableFuture.runAsync(node.server::close);
        assertEquals(data.length(), put.get().getLength(), "the in-flight put completes");
        closing.get();
        assertTrue(node.server.draining());
        // New calls are refused once the node is stopping.
        assertEquals(Status.Code.UNAVAILABLE, code(() -> client.health()));
        try (TestNode again = TestNode.start(node.dataDir())) {
            assertArrayEquals(data.range(0, 1000), again.client.read("in-flight", 0, 1000));
        }
    }

    // ---- helpers ----

    private Set<String> listed(String prefix, int batch) {
        Set<String> out = new TreeSet<>();
        client.blocking.listChunks(ListChunksRequest.newBuilder().setPrefix(prefix).setBatchSize(batch).build())
                .forEachRemaining(r -> {
                    assertTrue(batch <= 0 || r.getChunksCount() <= batch, "batch size respected");
                    r.getChunksList().forEach(c -> out.add(c.getChunkId()));
                });
        return out;
    }

    private static Status.Code code(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("expected a gRPC error");
    }

    private long tempFiles() {
        try (Stream<Path> s = Files.list(node.dataDir().resolve(".tmp"))) {
            return s.count();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private long tempBytes() {
        try (Stream<Path> s = Files.list(node.dataDir().resolve(".tmp"))) {
            return s.mapToLong(p -> p.toFile().length()).sum();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    private void assertTempDirEmpty() {
        assertEquals(0, tempFiles(), "no temp files left");
    }

    static void flipByte(Path file, long at) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(at);
            int b = f.read();
            f.seek(at);
            f.write(b ^ 0x40);
        }
    }
}
