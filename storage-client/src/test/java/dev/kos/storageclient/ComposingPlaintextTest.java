package dev.kos.storageclient;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import io.grpc.ChannelLogger;
import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.netty.buffer.ByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.CompositeByteBuf;
import io.grpc.netty.shaded.io.netty.buffer.UnpooledByteBufAllocator;
import io.grpc.netty.shaded.io.netty.handler.codec.ByteToMessageDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2Connection;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2ConnectionDecoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2ConnectionEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2FrameReader;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.DefaultHttp2FrameWriter;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Connection;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2ConnectionEncoder;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Settings;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ComposingPlaintextTest {
    @Test
    void decoderComposesLargeSocketReadsInsteadOfCopyingThem() {
        AtomicReference<ByteToMessageDecoder.Cumulator> chosen = new AtomicReference<>();
        GrpcHttp2ConnectionHandler handler = recording(chosen);

        assertNotNull(ComposingPlaintext.factory().newNegotiator().newHandler(handler));

        ByteToMessageDecoder.Cumulator cumulator = chosen.get();
        assertNotNull(cumulator, "the negotiator must pick the decoder's cumulator");
        UnpooledByteBufAllocator alloc = UnpooledByteBufAllocator.DEFAULT;
        ByteBuf held = alloc.heapBuffer(4096, 4096).writeZero(4096); // full: merging must reallocate and copy
        ByteBuf read = alloc.heapBuffer(16384).writeZero(16384);
        ByteBuf cumulated = cumulator.cumulate(alloc, held, read);
        try {
            // The merge cumulator would return one new buffer holding a copy of both.
            assertInstanceOf(CompositeByteBuf.class, cumulated);
            assertEquals(4096 + 16384, cumulated.readableBytes());
        } finally {
            cumulated.release();
        }
    }

    /** A real gRPC HTTP/2 handler that remembers the cumulator it is given. */
    private static GrpcHttp2ConnectionHandler recording(AtomicReference<ByteToMessageDecoder.Cumulator> chosen) {
        Http2Connection connection = new DefaultHttp2Connection(false);
        Http2ConnectionEncoder encoder = new DefaultHttp2ConnectionEncoder(connection, new DefaultHttp2FrameWriter());
        DefaultHttp2ConnectionDecoder decoder =
                new DefaultHttp2ConnectionDecoder(connection, encoder, new DefaultHttp2FrameReader());
        ChannelLogger logger = new ChannelLogger() {
            @Override
            public void log(ChannelLogLevel level, String message) {
            }

            @Override
            public void log(ChannelLogLevel level, String messageFormat, Object... args) {
            }
        };
        return new GrpcHttp2ConnectionHandler(null, decoder, encoder, new Http2Settings(), logger) {
            @Override
            public void setCumulator(Cumulator cumulator) {
                chosen.set(cumulator);
                super.setCumulator(cumulator);
            }
        };
    }
}
