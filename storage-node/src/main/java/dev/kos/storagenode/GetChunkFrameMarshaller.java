package dev.kos.storagenode;

import com.google.protobuf.CodedOutputStream;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * Sends a GetChunk frame from the reader's checked direct buffer into gRPC's transport buffer
 * through a 4 KiB array, instead of through a 1 MiB one. Why: protobuf (4.36) copies a wrapped
 * direct buffer into a fresh array, so the node copied every frame twice at full size (direct
 * buffer, then a heap frame, then Netty's buffer), each copy missing the caches; in 4 KiB pieces
 * the array stays in the first-level cache. The copies measured apart
 * ({@code bench/src/main/java/dev/kos/bench/CopyPieces.java}): 66–70 µs per MiB through a 1 MiB
 * array, 36–49 through 4 KiB pieces; a node's whole CPU per 1 MiB read moved by about that, at the
 * edge of what {@code bench/read-cpu.sh} resolves.
 *
 * <p>The bytes are those of {@link GetChunkResponse} serialized: field 1 (offset), field 2 (data)
 * as tag 0x12, its length as a varint and the bytes, then fields 3 and 4 (chunk_length and
 * checksum) when the frame has them, so any protobuf parser reads it as the message.
 */
final class GetChunkFrameMarshaller implements MethodDescriptor.Marshaller<GetChunkFrame> {
    /** Field 2 (data), wire type 2 (length-delimited). */
    private static final int DATA_TAG = (2 << 3) | 2;
    /** The array each frame's bytes pass through: small enough to stay in the first-level cache. */
    static final int PIECE_BYTES = 4096;

    private static final MethodDescriptor.Marshaller<GetChunkResponse> STANDARD =
            ProtoUtils.marshaller(GetChunkResponse.getDefaultInstance());

    @Override
    public InputStream stream(GetChunkFrame frame) {
        return new FrameStream(frame);
    }

    /** Only for completeness (a server never parses its responses): reads the message the ordinary way. */
    @Override
    public GetChunkFrame parse(InputStream in) {
        GetChunkResponse r = STANDARD.parse(in);
        GetChunkResponse head = r.hasChecksum() || r.getChunkLength() != 0
                ? GetChunkResponse.newBuilder().setChunkLength(r.getChunkLength()).setChecksum(r.getChecksum()).build()
                : null;
        return new GetChunkFrame(r.getOffset(), r.getData().asReadOnlyByteBuffer(), head);
    }

    /** The serialized frame: a small prefix, the data, a small suffix. Drained once by gRPC's framer. */
    static final class FrameStream extends InputStream implements KnownLength, Drainable {
        private final byte[] prefix;
        private final ByteBuffer data;
        private final byte[] suffix;
        private int prefixAt;
        private int suffixAt;

        FrameStream(GetChunkFrame frame) {
            this.data = frame.data().duplicate();
            int n = data.remaining();
            int size = (frame.offset() == 0 ? 0 : CodedOutputStream.computeInt64Size(1, frame.offset()))
                    + (n == 0 ? 0 : CodedOutputStream.computeUInt32SizeNoTag(DATA_TAG)
                            + CodedOutputStream.computeUInt32SizeNoTag(n));
            this.prefix = new byte[size];
            CodedOutputStream out = CodedOutputStream.newInstance(prefix);
            try {
                if (frame.offset() != 0) {
                    out.writeInt64(1, frame.offset());
                }
                if (n != 0) {
                    out.writeUInt32NoTag(DATA_TAG);
                    out.writeUInt32NoTag(n);
                }
                out.checkNoSpaceLeft();
            } catch (IOException e) {
                throw new IllegalStateException("a frame's prefix did not fit its computed size", e);
            }
            this.suffix = frame.head() == null ? new byte[0] : frame.head().toByteArray();
        }

        @Override
        public int available() {
            return prefix.length - prefixAt + data.remaining() + suffix.length - suffixAt;
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int total = available();
            target.write(prefix, prefixAt, prefix.length - prefixAt);
            prefixAt = prefix.length;
            if (data.hasArray()) {
                target.write(data.array(), data.arrayOffset() + data.position(), data.remaining());
                data.position(data.limit());
            } else if (data.hasRemaining()) {
                byte[] piece = new byte[Math.min(PIECE_BYTES, data.remaining())];
                while (data.hasRemaining()) {
                    int n = Math.min(piece.length, data.remaining());
                    data.get(piece, 0, n);
                    target.write(piece, 0, n);
                }
            }
            target.write(suffix, suffixAt, suffix.length - suffixAt);
            suffixAt = suffix.length;
            return total;
        }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) == 1 ? one[0] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (len == 0) {
                return 0;
            }
            int done = 0;
            if (prefixAt < prefix.length) {
                int n = Math.min(len, prefix.length - prefixAt);
                System.arraycopy(prefix, prefixAt, b, off, n);
                prefixAt += n;
                done += n;
            }
            if (done < len && data.hasRemaining()) {
                int n = Math.min(len - done, data.remaining());
                data.get(b, off + done, n);
                done += n;
            }
            if (done < len && suffixAt < suffix.length) {
                int n = Math.min(len - done, suffix.length - suffixAt);
                System.arraycopy(suffix, suffixAt, b, off + done, n);
                suffixAt += n;
                done += n;
            }
            return done == 0 ? -1 : done;
        }
    }
}
