package dev.kos.storageclient;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;

/**
 * Parses GetChunk frames with one copy instead of two: the message is read once out of Netty's
 * buffers into an array from the {@link FramePool}, and the data field aliases that array rather
 * than being copied out of a shared parse buffer. Netty's direct buffers cannot be aliased
 * themselves: they are released when parse returns, and the gateway's HTTP output takes arrays
 * anyway. The array belongs to the parsed frame alone until its reader gives it back.
 */
final class FrameMarshaller implements MethodDescriptor.Marshaller<ReceivedFrame> {
    private static final MethodDescriptor.Marshaller<GetChunkResponse> STANDARD =
            ProtoUtils.marshaller(GetChunkResponse.getDefaultInstance());

    private final int maxBytes;
    private final FramePool pool;

    FrameMarshaller(int maxBytes, FramePool pool) {
        this.maxBytes = maxBytes;
        this.pool = pool;
    }

    @Override
    public InputStream stream(ReceivedFrame value) {
        return STANDARD.stream(value.message());
    }

    @Override
    public ReceivedFrame parse(InputStream in) {
        if (!(in instanceof KnownLength)) {
            return new ReceivedFrame(STANDARD.parse(in), null);
        }
        byte[] buf = null;
        try {
            int size = in.available();
            if (size > maxBytes) {
                throw Status.RESOURCE_EXHAUSTED.withDescription("frame of " + size + " bytes exceeds " + maxBytes)
                        .asRuntimeException();
            }
            // readNBytes(int) would gather 16 KiB pieces and copy them again; read into the final array.
            buf = pool.take(size);
            if (in.readNBytes(buf, 0, size) != size || in.read() != -1) {
                throw Status.INTERNAL.withDescription("frame length changed while reading it").asRuntimeException();
            }
            CodedInputStream cis = UnsafeByteOperations.unsafeWrap(buf, 0, size).newCodedInput();
            cis.enableAliasing(true);
            cis.setSizeLimit(size);
            ReceivedFrame frame = new ReceivedFrame(GetChunkResponse.parser().parseFrom(cis), buf);
            buf = null;
            return frame;
        } catch (InvalidProtocolBufferException e) {
            throw Status.INTERNAL.withDescription("malformed GetChunk frame: " + e.getMessage()).withCause(e)
                    .asRuntimeException();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("cannot read GetChunk frame: " + e).withCause(e).asRuntimeException();
        } finally {
            pool.give(buf); // a frame that failed to parse; null once parsed
        }
    }
}
