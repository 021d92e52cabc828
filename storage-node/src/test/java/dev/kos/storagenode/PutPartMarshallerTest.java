package dev.kos.storagenode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import dev.kos.schemas.storage.v1.ChunkHeader;
import dev.kos.schemas.storage.v1.PutChunkRequest;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The parse of put messages against a stand-in for gRPC's receive stream (the real one is
 * exercised by every put in StorageNodeGrpcTest): views of the received buffers for a bare data
 * frame, held until the part is closed; an ordinary parse for anything else; a typed error for
 * garbage; and every received buffer released exactly once whatever the path.
 */
class PutPartMarshallerTest {
    private final PutPartMarshaller marshaller = new PutPartMarshaller(4 << 20);

    @Test
    void bareDataFrameIsViewsOfTheReceivedBuffersReleasedOnlyOnClose() {
        byte[] data = TestBytes.random(1, 300_000);
        Received in = Received.of(PutChunkRequest.newBuilder().setData(ByteString.copyFrom(data)).build()
                .toByteArray(), 16_375);
        PutPart part = marshaller.parse(in);

        assertTrue(part.isData());
        assertTrue(part.data().size() > 1, "one view per received buffer, no merged copy");
        assertTrue(part.data().stream().allMatch(ByteBuffer::isDirect));
        assertArrayEquals(data, concat(part.data()));
        assertEquals(0, in.released.size(), "released before the put wrote them");
        part.close();
        assertEquals(in.buffers.size(), in.released.size(), "every buffer released once");
    }

    @Test
    void headerIsParsedAndItsBuffersReleasedAtOnce() {
        PutChunkRequest header = PutChunkRequest.newBuilder()
                .setHeader(ChunkHeader.newBuilder().setChunkId("abc").setLength(42)).build();
        Received in = Received.of(header.toByteArray(), 5);
        PutPart part = marshaller.parse(in);

        assertFalse(part.isData());
        assertEquals(header, part.header());
        assertEquals(in.buffers.size(), in.released.size());
    }

    @Test
    void dataFrameWithAnotherFieldIsParsedTheOrdinaryWay() throws IOException {
        byte[] data = TestBytes.random(2, 70_000);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        out.writeBytes(2, ByteString.copyFrom(data));
        out.writeUInt64(99, 7); // a field this node does not know: protobuf skips it
        out.flush();
        Received in = Received.of(bytes.toByteArray(), 4096);
        PutPart part = marshaller.parse(in);

        assertTrue(part.isData());
        assertArrayEquals(data, concat(part.data()));
        assertEquals(in.buffers.size(), in.released.size(), "the ordinary parse copied: nothing stays held");
    }

    @Test
    void truncatedFrameIsInvalidArgumentAndReleasesItsBuffers() {
        byte[] whole = PutChunkRequest.newBuilder().setData(ByteString.copyFrom(TestBytes.random(3, 10_000))).build()
                .toByteArray();
        byte[] cut = java.util.Arrays.copyOf(whole, 5_000); // declares 10,000 bytes, carries fewer
        Received in = Received.of(cut, 1024);
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> marshaller.parse(in));

        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals(in.buffers.size(), in.released.size());
    }

    private static byte[] concat(List<ByteBuffer> views) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (ByteBuffer v : views) {
            out.writeBytes(TestBytes.of(v));
        }
        return out.toByteArray();
    }

    /**
     * Like gRPC's stream over its composite receive buffer: direct buffers in pieces; a buffer
     * read to its end is released at once unless a mark is set; close releases the rest.
     */
    static final class Received extends InputStream implements KnownLength, Detachable, HasByteBuffer {
        final List<ByteBuffer> buffers;
        final Set<ByteBuffer> released; // by identity: equal contents are not the same buffer
        private int current;
        private boolean marked;
        private boolean detached;

        private Received(List<ByteBuffer> buffers, Set<ByteBuffer> released) {
            this.buffers = buffers;
            this.released = released;
        }

        static Received of(byte[] message, int piece) {
            List<ByteBuffer> buffers = new ArrayList<>();
            for (int at = 0; at < message.length; at += piece) {
                int n = Math.min(piece, message.length - at);
                buffers.add(ByteBuffer.allocateDirect(n).put(message, at, n).flip());
            }
            return new Received(buffers, Collections.newSetFromMap(new IdentityHashMap<>()));
        }

        @Override
        public InputStream detach() {
            Received owner = new Received(buffers, released);
            owner.current = current;
            detached = true;
            return owner;
        }

        @Override
        public boolean byteBufferSupported() {
            return true;
        }

        @Override
        public ByteBuffer getByteBuffer() {
            return current < buffers.size() ? buffers.get(current).slice() : null;
        }

        @Override
        public boolean markSupported() {
            return true;
        }

        @Override
        public void mark(int limit) {
            marked = true;
        }

        @Override
        public int available() {
            if (detached) {
                return 0;
            }
            int n = 0;
            for (int i = current; i < buffers.size(); i++) {
                n += buffers.get(i).remaining();
            }
            return n;
        }

        @Override
        public int read() {
            if (detached || current >= buffers.size()) {
                return -1;
            }
            int b = buffers.get(current).get() & 0xff;
            advance();
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            if (detached || current >= buffers.size()) {
                return -1;
            }
            ByteBuffer c = buffers.get(current);
            int n = Math.min(len, c.remaining());
            c.get(b, off, n);
            advance();
            return n;
        }

        @Override
        public long skip(long n) {
            long done = 0;
            while (done < n && current < buffers.size()) {
                ByteBuffer c = buffers.get(current);
                int k = (int) Math.min(n - done, c.remaining());
                c.position(c.position() + k);
                done += k;
                advance();
            }
            return done;
        }

        @Override
        public void close() {
            if (detached) {
                return;
            }
            released.addAll(buffers);
        }

        private void advance() {
            while (current < buffers.size() && !buffers.get(current).hasRemaining()) {
                if (!marked) {
                    ByteBuffer done = buffers.get(current);
                    assertTrue(released.add(done), "released twice");
                    done.put(0, (byte) 0xEE); // what a reused buffer would hold
                }
                current++;
            }
        }
    }
}
