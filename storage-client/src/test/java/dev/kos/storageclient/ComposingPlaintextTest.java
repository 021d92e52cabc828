package dev.kos.storageclient;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.storagenode.StorageNodeConfig;
import dev.kos.storagenode.StorageNodeServer;
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
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

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

    /**
     * Through a proxy that reads the HTTP/2 frames a real node sends: once the client has asked
     * for larger frames, a chunk read arrives in DATA frames of up to {@link
     * ComposingPlaintext#MAX_FRAME_BYTES}, not HTTP/2's default 16 KiB, and every byte is intact.
     */
    @Test
    void theNodeSendsDataFramesOfUpToTheSizeTheClientAllows(@TempDir Path dir) throws Exception {
        byte[] data = StorageNodeClientTest.random(3 * StorageClientConfig.MIB + 77, 5);
        try (StorageNodeServer node = StorageNodeServer.start(StorageNodeConfig.loopback("node-f", dir));
             FrameCountingProxy proxy = new FrameCountingProxy(node.port());
             StorageNodeClients clients = new StorageNodeClients()) {
            StorageNodeClient client = clients.client("127.0.0.1:" + proxy.port());
            client.put("large-frames", ByteBuffer.wrap(data), StorageNodeClientTest.crc(data, 0, data.length),
                    Duration.ofSeconds(30));
            try (ChunkReadStream in = client.openRead("large-frames", 0, 0)) {
                assertArrayEquals(data, in.readAllBytes());
            }
            int largest = proxy.largestDataFrame.get();
            assertTrue(largest > 16_384, "largest DATA frame from the node: " + largest + " bytes");
            assertTrue(largest <= ComposingPlaintext.MAX_FRAME_BYTES, "largest DATA frame: " + largest + " bytes");
        }
    }

    /**
     * One connection's bytes, passed on unchanged both ways; the node's side is read frame by
     * frame (a 9-byte header whose first three bytes are the payload's length, the fourth its type).
     */
    private static final class FrameCountingProxy implements AutoCloseable {
        final AtomicInteger largestDataFrame = new AtomicInteger();
        private final ServerSocket listener = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        private final int nodePort;
        private volatile Socket client;
        private volatile Socket upstream;

        FrameCountingProxy(int nodePort) throws IOException {
            this.nodePort = nodePort;
            Thread.ofPlatform().daemon().start(this::serve);
        }

        int port() {
            return listener.getLocalPort();
        }

        private void serve() {
            try {
                client = listener.accept();
                upstream = new Socket(InetAddress.getLoopbackAddress(), nodePort);
                Thread.ofPlatform().daemon().start(() -> copy(client, upstream));
                framesFromNode(new DataInputStream(upstream.getInputStream()), client.getOutputStream());
            } catch (IOException e) {
                // the test closed the proxy
            }
        }

        private void framesFromNode(DataInputStream in, OutputStream out) throws IOException {
            byte[] header = new byte[9];
            byte[] payload = new byte[0];
            while (true) {
                in.readFully(header);
                int length = (header[0] & 0xff) << 16 | (header[1] & 0xff) << 8 | (header[2] & 0xff);
                if (header[3] == 0) { // DATA
                    largestDataFrame.accumulateAndGet(length, Math::max);
                }
                if (payload.length < length) {
                    payload = new byte[length];
                }
                in.readFully(payload, 0, length);
                out.write(header);
                out.write(payload, 0, length);
                out.flush();
            }
        }

        private static void copy(Socket from, Socket to) {
            try (InputStream in = from.getInputStream()) {
                in.transferTo(to.getOutputStream());
            } catch (IOException e) {
                // either side closed
            }
        }

        @Override
        public void close() throws IOException {
            listener.close();
            for (Socket s : new Socket[] {client, upstream}) {
                if (s != null) {
                    s.close();
                }
            }
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
