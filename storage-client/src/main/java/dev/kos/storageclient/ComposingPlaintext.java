package dev.kos.storageclient;

import io.grpc.netty.shaded.io.grpc.netty.GrpcHttp2ConnectionHandler;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiator;
import io.grpc.netty.shaded.io.grpc.netty.InternalProtocolNegotiators;
import io.grpc.netty.shaded.io.netty.channel.ChannelHandler;
import io.grpc.netty.shaded.io.netty.handler.codec.AdaptiveCumulator;
import io.grpc.netty.shaded.io.netty.util.AsciiString;

/**
 * gRPC's plaintext client transport, but its HTTP/2 decoder composes received socket buffers
 * instead of merging them. Why: a GetChunk frame (1 MiB) spans many socket reads, and with
 * Netty's default (merge) cumulator every read that does not end on an HTTP/2 frame boundary
 * makes it copy what it holds plus the new read into a new, larger buffer: a second copy of
 * nearly every byte a download receives (JFR: {@code ByteToMessageDecoder.expandCumulation},
 * a quarter of the gateway's GET samples). The storage node does the same on its side.
 *
 * <p>This goes through gRPC's {@code Internal*} API, the only way to reach the handler; if an
 * upgrade removes it, drop this class and the client works as before, one copy slower.
 */
final class ComposingPlaintext implements InternalProtocolNegotiator.ProtocolNegotiator {
    /** Buffers smaller than this are still merged: composing tiny ones costs more than copying. */
    static final int COMPOSE_MIN_BYTES = 1024;

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
        return plaintext.newHandler(grpcHandler);
    }

    @Override
    public void close() {
        plaintext.close();
    }
}
