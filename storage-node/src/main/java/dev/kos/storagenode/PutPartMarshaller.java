package dev.kos.storagenode;

import dev.kos.schemas.storage.v1.PutChunkRequest;
import io.grpc.Detachable;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.SequenceInputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Receives PutChunk messages so that a data frame's bytes stay in the direct buffers gRPC read
 * them into: it takes ownership of those buffers (detach) and hands the put views of them,
 * released once the put has written them ({@link PutPart#close()}). Before, every byte was
 * copied out into a fresh 1 MiB array (zeroed, then garbage), and that array into the file
 * write's buffer.
 *
 * <p>A data frame on the wire is field 2 alone: tag 0x12, the length as a varint, the bytes.
 * Anything else (the header, or a frame with other fields) is parsed the ordinary way by
 * {@link AliasingMarshaller}, as is everything from a transport without detachable buffers
 * (in-process).
 */
final class PutPartMarshaller implements MethodDescriptor.Marshaller<PutPart> {
    /** Field 2 (data), wire type 2 (length-delimited). */
    private static final int DATA_TAG = (2 << 3) | 2;

    private final AliasingMarshaller<PutChunkRequest> ordinary;
    private final int maxBytes;

    PutPartMarshaller(int maxBytes) {
        this.ordinary = new AliasingMarshaller<>(PutChunkRequest.getDefaultInstance(), maxBytes);
        this.maxBytes = maxBytes;
    }

    @Override
    public InputStream stream(PutPart value) {
        if (!value.isData()) {
            return ordinary.stream(value.header());
        }
        // Only for completeness (a server never sends requests): copy the frame into a message.
        var b = com.google.protobuf.ByteString.newOutput();
        for (ByteBuffer d : value.data()) {
            byte[] a = new byte[d.remaining()];
            d.duplicate().get(a);
            b.write(a, 0, a.length);
        }
        return ordinary.stream(PutChunkRequest.newBuilder().setData(b.toByteString()).build());
    }

    @Override
    public PutPart parse(InputStream in) {
        if (!(in instanceof KnownLength && in instanceof Detachable && in instanceof HasByteBuffer h
                && h.byteBufferSupported())) {
            return PutPart.of(ordinary.parse(in));
        }
        InputStream owned = null;
        try {
            int size = in.available();
            if (size > maxBytes) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("message of " + size + " bytes exceeds " + maxBytes)
                        .asRuntimeException();
            }
            owned = ((Detachable) in).detach();
            PutPart part = dataFrame(owned, size);
            owned = null; // the part owns the buffers now (or parsed a copy and released them)
            return part;
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read message: " + e).withCause(e).asRuntimeException();
        } finally {
            if (owned != null) {
                closeQuietly(owned);
            }
        }
    }

    /** The frame as views of {@code owned}'s buffers, or, when it is not a bare data frame, parsed as a copy. */
    private PutPart dataFrame(InputStream owned, int size) throws IOException {
        byte[] head = new byte[6];
        int read = 0;
        long length = -1;
        if (size > 0) {
            head[read++] = (byte) owned.read();
            if ((head[0] & 0xff) == DATA_TAG) {
                long v = 0;
                for (int shift = 0; read < head.length && read < size; shift += 7) {
                    int b = owned.read();
                    head[read++] = (byte) b;
                    v |= (long) (b & 0x7f) << shift;
                    if ((b & 0x80) == 0) {
                        length = v;
                        break;
                    }
                }
            }
        }
        if (length != size - read || !owned.markSupported()) {
            // Not field 2 alone: let protobuf decide what it is (and reject what it is not).
            try (InputStream whole = new SequenceInputStream(new ByteArrayInputStream(head, 0, read), owned)) {
                return PutPart.of(ordinary.parse(new KnownLengthStream(whole, size)));
            }
        }
        // Without a mark, skipping past a receive buffer releases it at once (gRPC's composite
        // buffer closes what it has read); with one it keeps them all until the part is closed.
        owned.mark(size);
        List<ByteBuffer> views = new ArrayList<>();
        HasByteBuffer buffers = (HasByteBuffer) owned;
        long left = length;
        while (left > 0) {
            ByteBuffer b = buffers.getByteBuffer();
            if (b == null || !b.hasRemaining()) {
                throw new IOException("message ended " + left + " bytes early");
            }
            int n = (int) Math.min(b.remaining(), left);
            views.add(b.slice(b.position(), n).asReadOnlyBuffer());
            long skipped = owned.skip(n);
            if (skipped != n) {
                throw new IOException("skipped " + skipped + " of " + n + " bytes");
            }
            left -= n;
        }
        return new PutPart(null, views, owned);
    }

    private static void closeQuietly(InputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // Releasing reference-counted buffers does no I/O.
        }
    }

    /** Lets {@link AliasingMarshaller} take its one-array path on a stream that lost gRPC's type. */
    private static final class KnownLengthStream extends java.io.FilterInputStream implements KnownLength {
        private int left;

        KnownLengthStream(InputStream in, int size) {
            super(in);
            this.left = size;
        }

        @Override
        public int available() {
            return left;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                left--;
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0) {
                left -= n;
            }
            return n;
        }
    }
}
