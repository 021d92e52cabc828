package dev.kos.bench;

import dev.kos.gateway.Main;
import dev.kos.gateway.SmallFirstWrite;
import io.grpc.CallOptions;
import io.grpc.Drainable;
import io.grpc.KnownLength;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ClientCalls;
import io.grpc.stub.ServerCalls;
import io.helidon.http.HeaderNames;
import io.helidon.webserver.WebServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;

/**
 * What the gateway's frameworks alone cost a 1 MiB download on this machine, with nothing of ours
 * in the way: no metadata, no disk or page-cache read, no checksum, no read permits.
 *
 * <p>{@code http PORT GRPC_PORT BODY_FILE} runs Helidon SE built exactly as the gateway builds it
 * ({@link Main#server}) and answers three GETs with the file's bytes (1 MiB) held in memory:
 * <ul>
 *   <li>{@code /bytes}: {@code send(byte[])}, Helidon's own path for a body it is given whole;
 *   <li>{@code /stream}: through the response's output stream wrapped in the gateway's own
 *       {@link SmallFirstWrite}, as the gateway writes a download (Helidon copies a first write
 *       whole behind the headers);
 *   <li>{@code /relay}, with a GRPC_PORT: the same, after asking a {@code grpc} process for the
 *       bytes in one server-streaming call, as the gateway asks a storage node for a chunk;
 * </ul>
 * and two POSTs of an upload's body, answered 201 with a small JSON body:
 * <ul>
 *   <li>{@code /sink}: the body read in 64 KiB pieces and dropped (the server's receive alone);
 *   <li>{@code /put}: the body read whole into a reused array, then sent to the {@code grpc} process in one unary call
 *       that drops it (both hops of an upload's bytes; no hash, no disk, no metadata, no events).
 * </ul>
 * {@code grpc PORT BODY_FILE} runs that gRPC server: grpc-java's Netty transport with its stock settings and
 * executor, answering every call with one 1 MiB message from memory, drained into the transport's
 * buffer in one write (as a node drains a frame). The client side parses each message into one of
 * a few reused arrays (the gateway pools its frame arrays too) and calls back on the transport
 * thread ({@code directExecutor}, as the gateway's storage channels do).
 *
 * <p>So {@code /bytes} or {@code /stream} against nginx is the most a download through this HTTP
 * server can reach here, and {@code /relay} the most through both hops of the design; the stack's
 * own GET is judged against them. {@code bench/http-floor.sh} starts both processes with the
 * gateway's and a node's JVM flags and runs them beside nginx and a stack.
 */
public final class HttpFloor {
    private static final MethodDescriptor<byte[], byte[]> GET = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.SERVER_STREAMING)
            .setFullMethodName("floor.Floor/Get")
            .setRequestMarshaller(new Bytes(null))
            .setResponseMarshaller(new Bytes(new ArrayBlockingQueue<>(16)))
            .build();

    /** An upload's bytes to the second process in one unary call, answered with nothing. */
    private static final MethodDescriptor<byte[], byte[]> PUT = MethodDescriptor.<byte[], byte[]>newBuilder()
            .setType(MethodDescriptor.MethodType.UNARY)
            .setFullMethodName("floor.Floor/Put")
            .setRequestMarshaller(new Bytes(new ArrayBlockingQueue<>(16)))
            .setResponseMarshaller(new Bytes(null))
            .build();

    private HttpFloor() {
    }

    public static void main(String[] args) throws Exception {
        boolean grpc = args.length == 3 && args[0].equals("grpc");
        if (!grpc && !(args.length == 4 && args[0].equals("http"))) {
            throw new IllegalArgumentException("usage: HttpFloor http PORT GRPC_PORT BODY_FILE | grpc PORT BODY_FILE"
                    + " (GRPC_PORT 0: no /relay, no /put)");
        }
        int port = Integer.parseInt(args[1]);
        // Every side serves the caller's file, so the harness checks each answer byte for byte.
        byte[] body = Files.readAllBytes(Path.of(args[args.length - 1]));
        if (grpc) {
            grpc(port, body);
        } else {
            http(port, Integer.parseInt(args[2]), body);
        }
    }

    private static void grpc(int port, byte[] body) throws IOException, InterruptedException {
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", port))
                .maxInboundMessageSize(2 << 20)
                .addService(ServerServiceDefinition.builder("floor.Floor")
                        .addMethod(GET, ServerCalls.asyncServerStreamingCall((request, out) -> {
                            out.onNext(body);
                            out.onCompleted();
                        }))
                        .addMethod(PUT, ServerCalls.asyncUnaryCall((request, out) -> {
                            ((Bytes) PUT.getRequestMarshaller()).release(request);
                            out.onNext(new byte[0]);
                            out.onCompleted();
                        }))
                        .build())
                .build()
                .start();
        System.out.println("HttpFloor grpc on 127.0.0.1:" + server.getPort());
        server.awaitTermination();
    }

    private static void http(int port, int grpcPort, byte[] body) {
        ManagedChannel channel = grpcPort == 0 ? null
                : NettyChannelBuilder.forAddress("127.0.0.1", grpcPort).usePlaintext().directExecutor()
                        .maxInboundMessageSize(2 << 20).build();
        Bytes frames = (Bytes) GET.getResponseMarshaller();
        BlockingQueue<byte[]> bodies = new ArrayBlockingQueue<>(64);
        for (int i = 0; i < 64; i++) {
            bodies.add(new byte[64 * 1024]);
        }
        BlockingQueue<byte[]> uploads = new ArrayBlockingQueue<>(16); // as the gateway reuses its chunk buffers
        for (int i = 0; i < 16; i++) {
            uploads.add(new byte[body.length]);
        }
        WebServer server = Main.server("127.0.0.1", port)
                .routing(r -> r
                        .get("/bytes", (req, res) -> res.send(body))
                        .get("/stream", (req, res) -> {
                            res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
                            try (OutputStream out = new SmallFirstWrite(res.outputStream())) {
                                out.write(body);
                            }
                        })
                        .get("/relay", (req, res) -> {
                            res.header(HeaderNames.CONTENT_LENGTH, Integer.toString(body.length));
                            try (OutputStream out = new SmallFirstWrite(res.outputStream())) {
                                Iterator<byte[]> messages = ClientCalls.blockingServerStreamingCall(channel, GET,
                                        CallOptions.DEFAULT, new byte[0]);
                                while (messages.hasNext()) {
                                    byte[] m = messages.next();
                                    try {
                                        out.write(m);
                                    } finally {
                                        frames.release(m);
                                    }
                                }
                            }
                        })
                        .post("/sink", (req, res) -> {
                            try (InputStream in = req.content().inputStream()) {
                                byte[] b = bodies.take();
                                try {
                                    while (in.read(b) >= 0) {
                                        // dropped: what receiving an upload costs the server alone
                                    }
                                } finally {
                                    bodies.put(b);
                                }
                            }
                            res.status(201).send(CREATED);
                        })
                        .post("/put", (req, res) -> {
                            int n = (int) req.headers().contentLength().orElseThrow();
                            byte[] b = n == body.length ? uploads.take() : new byte[n];
                            try (InputStream in = req.content().inputStream()) {
                                if (in.readNBytes(b, 0, n) != n || in.read() >= 0) {
                                    throw new IOException("the body was not " + n + " bytes");
                                }
                                ClientCalls.blockingUnaryCall(channel, PUT, CallOptions.DEFAULT, b);
                            } finally {
                                if (b.length == body.length) {
                                    uploads.put(b);
                                }
                            }
                            res.status(201).send(CREATED);
                        }))
                .build()
                .start();
        System.out.println("HttpFloor on 127.0.0.1:" + server.port() + (channel == null ? "" : ", relaying from " + grpcPort));
    }

    private static final byte[] CREATED = "{\"status\":\"created\"}".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Byte arrays as messages: sent in one drain, parsed into a reused array of the message's size. */
    private static final class Bytes implements MethodDescriptor.Marshaller<byte[]> {
        private final BlockingQueue<byte[]> spare;

        Bytes(BlockingQueue<byte[]> spare) {
            this.spare = spare;
        }

        void release(byte[] b) {
            spare.offer(b);
        }

        @Override
        public InputStream stream(byte[] value) {
            return new Drained(value);
        }

        @Override
        public byte[] parse(InputStream in) {
            try {
                int n = in.available(); // gRPC's message streams know their length
                byte[] b = spare == null ? null : spare.poll();
                if (b == null || b.length != n) {
                    b = new byte[n];
                }
                in.readNBytes(b, 0, n);
                return b;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }

    private static final class Drained extends ByteArrayInputStream implements KnownLength, Drainable {
        Drained(byte[] b) {
            super(b);
        }

        @Override
        public int drainTo(OutputStream target) throws IOException {
            int n = count - pos;
            target.write(buf, pos, n);
            pos = count;
            return n;
        }
    }
}
