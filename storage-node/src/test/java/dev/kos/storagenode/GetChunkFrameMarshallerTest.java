package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.Checksum;
import dev.kos.schemas.storage.v1.ChecksumAlgorithm;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A frame sent from the reader's buffer is, byte for byte, the GetChunkResponse the generated
 * code would have serialized, whichever way gRPC takes it (drained or read), and its data passes
 * through the small piece array, never whole.
 */
class GetChunkFrameMarshallerTest {
    private static final GetChunkResponse HEAD = GetChunkResponse.newBuilder().setChunkLength(3L << 20)
            .setChecksum(Checksum.newBuilder().setAlgorithm(ChecksumAlgorithm.CRC32C)
                    .setValue(ByteString.copyFrom(new byte[] {(byte) 0x9a, (byte) 0xbc, (byte) 0xde, (byte) 0xf0}))).build();
    private final GetChunkFrameMarshaller marshaller = new GetChunkFrameMarshaller();

    @Test
    void drainedAndReadFramesAreTheMessageTheGeneratedCodeWouldSend() throws IOException {
        int piece = GetChunkFrameMarshaller.PIECE_BYTES;
        for (int n : new int[] {0, 1, 127, 128, piece - 1, piece, piece + 1, 3 * piece + 5, 1 << 20}) {
            for (long offset : new long[] {0, 1, 1L << 20, 5L << 30}) {
                for (GetChunkResponse head : new GetChunkResponse[] {null, HEAD}) {
                    byte[] data = TestBytes.random(n + offset, n);
                    GetChunkResponse.Builder expected = head == null ? GetChunkResponse.newBuilder() : head.toBuilder();
                    byte[] wire = expected.setOffset(offset).setData(ByteString.copyFrom(data)).build().toByteArray();
                    for (ByteBuffer b : buffers(data)) {
                        String what = n + " bytes at " + offset + (head == null ? "" : " with its head") + ", "
                                + (b.isDirect() ? "direct" : "heap");
                        GetChunkFrame frame = new GetChunkFrame(offset, b, head);

                        InputStream drained = marshaller.stream(frame);
                        assertEquals(wire.length, drained.available(), what);
                        ByteArrayOutputStream out = new ByteArrayOutputStream();
                        assertEquals(wire.length, ((io.grpc.Drainable) drained).drainTo(out), what);
                        assertArrayEquals(wire, out.toByteArray(), "drained: " + what);
                        assertEquals(0, drained.available(), what);
                        assertEquals(-1, drained.read(), what);

                        InputStream read = marshaller.stream(frame);
                        assertArrayEquals(wire, readInSmallSteps(read), "read: " + what);
                        assertEquals(data.length, b.remaining(), "the frame's own buffer is left as it was: " + what);
                    }
                }
            }
        }
    }

    @Test
    void aDirectFramesDataReachesTheTransportInPiecesOfAtMostTheArraysSize() throws IOException {
        byte[] data = TestBytes.random(7, (1 << 20) + 3);
        List<Integer> writes = new ArrayList<>();
        OutputStream transport = new OutputStream() {
            @Override
            public void write(int b) {
                writes.add(1);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                writes.add(len);
            }
        };
        ((io.grpc.Drainable) marshaller.stream(new GetChunkFrame(0, direct(data), null))).drainTo(transport);
        int prefix = 1 + 3; // tag, and a length of 2^20 + 3 as a varint
        assertEquals(prefix + data.length, writes.stream().mapToInt(Integer::intValue).sum());
        assertEquals(GetChunkFrameMarshaller.PIECE_BYTES,
                writes.stream().mapToInt(Integer::intValue).filter(w -> w != prefix).max().orElseThrow(),
                "the largest write of data is one piece");
    }

    @Test
    void parsingGivesTheFrameBackWithItsHeadOnlyWhenItHadOne() {
        byte[] data = TestBytes.random(3, 1000);
        GetChunkFrame first = marshaller.parse(marshaller.stream(new GetChunkFrame(42, ByteBuffer.wrap(data), HEAD)));
        assertEquals(42, first.offset());
        assertArrayEquals(data, TestBytes.of(first.data()));
        assertEquals(HEAD, first.head());
        GetChunkFrame later = marshaller.parse(marshaller.stream(new GetChunkFrame(1042, ByteBuffer.wrap(data), null)));
        assertNull(later.head());
        assertEquals(new GetChunkFrame(42, ByteBuffer.wrap(data), HEAD).toResponse(),
                GetChunkResponse.newBuilder(HEAD).setOffset(42).setData(ByteString.copyFrom(data)).build());
    }

    private static List<ByteBuffer> buffers(byte[] data) {
        // A view in the middle of a larger buffer, as the reader hands out (a range cut from whole blocks).
        ByteBuffer big = ByteBuffer.allocateDirect(data.length + 10);
        big.position(7).put(data);
        return List.of(ByteBuffer.wrap(data), ByteBuffer.wrap(data).asReadOnlyBuffer(), direct(data),
                big.slice(7, data.length).asReadOnlyBuffer());
    }

    private static ByteBuffer direct(byte[] data) {
        return ByteBuffer.allocateDirect(data.length).put(data).flip();
    }

    private static byte[] readInSmallSteps(InputStream in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] step = new byte[1000];
        int b = in.read(); // one byte alone first, then runs that straddle the parts
        while (b != -1) {
            out.write(b);
            int n = in.read(step, 0, step.length);
            if (n < 0) {
                break;
            }
            out.write(step, 0, n);
            b = in.read();
        }
        return out.toByteArray();
    }
}
