package dev.kos.storagenode;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.AdaptiveCumulator;
import io.grpc.netty.shaded.io.netty.util.AsciiString;

/**
 * gRPC's plaintext server transport, but its HTTP/2 decoder composes received socket buffers
 * instead of merging them. Why: a socket read rarely ends on an HTTP/2 frame boundary, and
 * Netty's default (merge) cumulator then copies the rest of the frame and the whole next read
 * into a new, larger buffer: a second copy of nearly every byte a put sends (JFR: {@code
 * ByteToMessageDecoder.expandCumulation}, the node's hottest Java frame). gRPC's client
 * transport makes the same choice (an adaptive cumulator that composes buffers of 1 KiB and up).
 *
 * <p>This goes through gRPC's {@code Internal*} API, the only way to reach the handler; if an
 * upgrade removes it, drop this class and the node works as before, one copy slower.
 */
final class ComposingPlaintext implements InternalProtocolNegotiator.ProtocolNegotiator {
    /** Buffers smaller than this are still merged: composing tiny ones costs more than copying. */
    static final int COMPOSE_MIN_BYTES = 1024;

    private final InternalProtocolNegotiator.ProtocolNegotiator plaintext = InternalProtocolNegotiators.serverPlaintext();

    @Override
    public AsciiString scheme() {
        return plaintext.scheme();
    }

    @Override
    public ChannelHandler newHandler(GrpcHttp2ConnectionHandler grpcHandler) {
        grpcHandler.setCumulator(new AdaptiveCumulator(COMPOSE_MIN_BYTES));
        return plaintext.newHandler(grpcHandler);
    }

    @Override
    public void close() {
        plaintext.close();
    }
}
