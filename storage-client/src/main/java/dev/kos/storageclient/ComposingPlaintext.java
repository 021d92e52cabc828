package dev.kos.storageclient;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandlerContext;
import io.grpc.netty.shaded.io.netty.channel.ChannelInboundHandlerAdapter;
import io.grpc.netty.shaded.io.netty.handler.codec.AdaptiveCumulator;
import io.grpc.netty.shaded.io.netty.handler.codec.http2.Http2Settings;
import io.grpc.netty.shaded.io.netty.util.AsciiString;

/**
 * gRPC's plaintext client transport, but its HTTP/2 decoder composes received socket buffers
 * instead of merging them. Why: a GetChunk frame (1 MiB) spans many socket reads, and with
 * Netty's default (merge) cumulator every read that does not end on an HTTP/2 frame boundary
 * makes it copy what it holds plus the new read into a new, larger buffer: a second copy of
 * nearly every byte a download receives (JFR: {@code ByteToMessageDecoder.expandCumulation},
 * a quarter of the gateway's GET samples). The storage node does the same on its side.
 *
 * <p>It also lets the node send HTTP/2 frames of up to {@link #MAX_FRAME_BYTES} instead of 16 KiB:
 * each DATA frame costs both ends a frame header, a flow-control step, a write promise and a
 * buffer in gRPC's message assembly, so 64 of them per 1 MiB GetChunk frame were a visible share
 * of a read's CPU. Reading 16 MiB chunks back from one node ({@code READ_BACK=true
 * bench/put-cpu.sh 3 1}, runs interleaved): the reader spent 1.8-3.3 (median 2.7) CPU-s per GiB
 * with 16 KiB frames, 1.35-2.3 (median 1.7) with these.
 *
 * <p>This goes through gRPC's {@code Internal*} API, the only way to reach the handler; if an
 * upgrade removes it, drop this class and the client works as before, one copy slower and in
 * 16 KiB frames.
 */
final class ComposingPlaintext implements InternalProtocolNegotiator.ProtocolNegotiator {
    /** Buffers smaller than this are still merged: composing tiny ones costs more than copying. */
    static final int COMPOSE_MIN_BYTES = 1024;
    /**
     * The largest HTTP/2 frame the node may send (SETTINGS_MAX_FRAME_SIZE; HTTP/2's default is
     * 16 KiB): a GetChunk frame of 1 MiB then crosses as one DATA frame and a sliver instead of 64.
     * Memory does not grow with it: what the node may send unread is still bounded by the stream's
     * flow-control window, and gRPC holds a whole message before handing it on either way.
     */
    static final int MAX_FRAME_BYTES = 1 << 20;

    private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.plaintext();

    /** The factory a channel builder takes; one negotiator per channel. */
    static InternalProtocolNegotiator.ClientFactory factory() {
        return new InternalProtocolNegotiator.ClientFactory() {
            @Override
            public InternalProtocolNegotiator.ProtocolNegotiator newNegotiator() {
                return new ComposingPlaintext();
            }

            @Override
            public int getDefaultPort() {
                return 80;
            }
        };
    }

    @Override
    public AsciiString scheme() {
        return plaintext.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
        grpcHandler.setCumulator(new AdaptiveCumulator(COMPOSE_MIN_BYTES));
        return new LargeFrames(grpcHandler, plaintext.newHandler(grpcHandler));
    }

    /**
     * Put in the pipeline in place of gRPC's plaintext handler, which it adds behind itself; on the
     * connection's first read (the node's SETTINGS, after gRPC has sent its own) it sends the one
     * setting gRPC offers no option for, then leaves the pipeline. The node applies it on receipt
     * and acknowledges it before any larger frame, and Netty's decoder accepts larger frames once
     * that acknowledgement arrives, so no frame is ever larger than the decoder expects.
     */
    private static final class LargeFrames extends ChannelInboundHandlerAdapter {
        private final GrpcHttp2ConnectionHandler grpcHandler;
        private final ChannelHandler plaintext;

        LargeFrames(GrpcHttp2ConnectionHandler grpcHandler, ChannelHandler plaintext) {
            this.grpcHandler = grpcHandler;
            this.plaintext = plaintext;
        }

        @Override
        public void handlerAdded(ChannelHandlerContext ctx) {
            ctx.pipeline().addAfter(ctx.name(), null, plaintext);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ChannelHandlerContext http2 = ctx.pipeline().context(grpcHandler);
            if (http2 != null) { // null only if negotiation failed, which gRPC reports on its own
                grpcHandler.encoder().writeSettings(http2, new Http2Settings().maxFrameSize(MAX_FRAME_BYTES), http2.newPromise());
                http2.flush();
            }
            ctx.pipeline().remove(this);
            ctx.fireChannelRead(msg);
        }
    }

    @Override
    public void close() {
        plaintext.close();
    }
}
