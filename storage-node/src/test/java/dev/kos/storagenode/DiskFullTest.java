package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.schemas.storage.v1.PutChunkResponse;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Disk full over real gRPC. The real file system is used except for one thing: writes fail
 * with the kernel's ENOSPC message once a byte budget is spent, as a full disk does mid-write.
 */
class DiskFullTest {
    private static final int MIB = 1024 * 1024;

    @TempDir
    Path dir;

    @Test
    void TestPutChunk_DiskFull() throws Exception {
        EnospcAfter fs = new EnospcAfter(5L * MIB + 123);
        try (TestNode node = TestNode.start(StorageNodeConfig.loopback("full", dir), fs)) {
            TestData data = new TestData(1, 12L * MIB);
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> node.client.put("filling", data));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("disk full"), e.getStatus().getDescription());
            assertTrue(fs.failures.get() > 0, "the write really hit ENOSPC");

            try (Stream<Path> s = Files.list(node.dataDir().resolve(".tmp"))) {
                assertEquals(0, s.count(), "partial file removed");
            }
            assertFalse(Files.exists(node.dataDir().resolve("fi").resolve("filling")));
            assertEquals(Status.Code.NOT_FOUND, codeOf(() -> node.client.read("filling", 0, 0)));
            assertEquals(0, node.client.health().getChunkCount());

            // Space freed: the node works again, its reservation of the failed put released.
            fs.budget.set(Long.MAX_VALUE);
            PutChunkResponse ok = node.client.put("filling", data);
            assertEquals(data.length(), ok.getLength());
        }
    }

    @Test
    void TestPutChunk_NoRoomBeforeWriting() throws Exception {
        long free = Files.getFileStore(dir).getUsableSpace();
        StorageNodeConfig c = StorageNodeConfig.loopback("reserved", dir).withReserveBytes(free + (1L << 30));
        try (TestNode node = TestNode.start(c, ChunkFileSystem.local())) {
            StatusRuntimeException e = assertThrows(StatusRuntimeException.class,
                    () -> node.client.put("no-room", new TestData(2, MIB)));
            assertEquals(Status.Code.RESOURCE_EXHAUSTED, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().contains("reserve"), e.getStatus().getDescription());
            try (Stream<Path> s = Files.list(node.dataDir().resolve(".tmp"))) {
                assertEquals(0, s.count());
            }
        }
    }

    private static Status.Code codeOf(Runnable r) {
        try {
            r.run();
        } catch (StatusRuntimeException e) {
            return e.getStatus().getCode();
        }
        throw new AssertionError("expected an error");
    }

    /** Real files; writes past a byte budget fail the way the JDK reports ENOSPC. */
    static final class EnospcAfter implements ChunkFileSystem {
        final AtomicLong budget;
        final AtomicLong failures = new AtomicLong();

        EnospcAfter(long bytes) {
            this.budget = new AtomicLong(bytes);
        }

        @Override
        public ChunkOutput create(Path path) throws IOException {
            ChunkOutput real = ChunkFileSystem.local().create(path);
            return new ChunkOutput() {
                @Override
                public void write(ByteBuffer src) throws IOException {
                    long left = budget.get();
                    if (src.remaining() > left) {
                        // Like write(2): what fits is written, then the call fails.
                        ByteBuffer part = src.duplicate();
                        part.limit(part.position() + (int) left);
                        real.write(part);
                        budget.addAndGet(-left);
                        failures.incrementAndGet();
                        throw new IOException("No space left on device");
                    }
                    budget.addAndGet(-src.remaining());
                    real.write(src);
                }

                @Override
                public void finish(ByteBuffer last) throws IOException {
                    write(last); // the table and trailer take room on the disk too
                    real.finish(ByteBuffer.allocate(0));
                }

                @Override
                public void sync() throws IOException {
                    real.sync();
                }

                @Override
                public boolean cached() {
                    return real.cached();
                }

                @Override
                public void close() throws IOException {
                    real.close();
                }
            };
        }

        @Override
        public long usableSpace(Path d) throws IOException {
            return ChunkFileSystem.local().usableSpace(d);
        }

        @Override
        public long totalSpace(Path d) throws IOException {
            return ChunkFileSystem.local().totalSpace(d);
        }
    }
}
