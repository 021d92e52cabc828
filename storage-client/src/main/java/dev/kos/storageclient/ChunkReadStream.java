package dev.kos.storageclient;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.kos.schemas.storage.v1.ChecksumAlgorithm;
import dev.kos.schemas.storage.v1.GetChunkRequest;
import dev.kos.schemas.storage.v1.GetChunkResponse;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.OptionalInt;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.zip.Checksum;

/**
 * The bytes of one GetChunk call as an InputStream. Flow control is manual: the stream asks
 * the node for {@code prefetch} frames and for one more each time it starts consuming one, so
 * at most {@code prefetch + 1} frames are held however slowly the reader drains. Closing it
 * before the end cancels the call, so an abandoned download stops the node's work at once.
 *
 * <p>{@link #transferFrame} hands the received bytes straight to an {@code OutputStream}, without
 * the copy into the caller's array that {@link #read(byte[], int, int)} makes. Each frame's array
 * goes back to the {@link FramePool} once the reader has moved past it, so the stream is for one
 * thread, which also closes it, and an {@code OutputStream} must not keep an array it was given
 * after {@code write} returns (as {@link InputStream#transferTo} also assumes).
 *
 * <p>Failures surface as the unchecked {@link StorageClientException} subtypes (a corrupted
 * copy is {@link ChunkCorruptedException}), never as a silently short stream.
 */
public final class ChunkReadStream extends InputStream {
    private static final Object END = new Object();
    /** Put in the queue by the {@link StallWatch} when a wait for a frame has lasted the idle timeout. */
    private static final Object STALLED = new Object();

    private record Failure(Throwable error) {
    }

    private final String address;
    private final String chunkId;
    private final Duration idleTimeout;
    private final StallWatch stalls;
    private final FramePool pool;
    private final BlockingQueue<Object> arrived = new LinkedBlockingQueue<>();
    private final Observer observer;
    private volatile ClientCallStreamObserver<GetChunkRequest> call;
    private ByteString current = ByteString.EMPTY;
    /** The pooled array {@link #current} aliases, or null. */
    private byte[] currentArray;
    private int position;
    private boolean ended;
    private volatile boolean closed;
    /** When the current wait for a frame began (System.nanoTime), read by the stall sweep while registered. */
    private volatile long waitingSince;
    private long chunkLength = -1;
    private Integer crc32c;

    ChunkReadStream(String address, String chunkId, int prefetch, Duration idleTimeout, StallWatch stalls,
            FramePool pool) {
        this.address = address;
        this.chunkId = chunkId;
        this.idleTimeout = idleTimeout;
        this.stalls = stalls;
        this.pool = pool;
        this.observer = new Observer(prefetch);
    }

    ClientResponseObserver<GetChunkRequest, ReceivedFrame> observer() {
        return observer;
    }

    /** The chunk's full length as the node reported it on the first frame, or -1 before that. */
    public long chunkLength() {
        return chunkLength;
    }

    /** The CRC32C of the whole chunk as the node reported it, once the first frame arrived. */
    public OptionalInt crc32c() {
        return crc32c == null ? OptionalInt.empty() : OptionalInt.of(crc32c);
    }

    /** Frames received and not yet consumed (for tests of the memory bound). */
    int bufferedFrames() {
        return (int) arrived.stream().filter(ReceivedFrame.class::isInstance).count();
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        java.util.Objects.checkFromIndexSize(off, len, b.length);
        if (closed) {
            throw new IOException("chunk stream " + chunkId + " is closed");
        }
        if (len == 0) {
            return 0;
        }
        if (!ensureData()) {
            return -1;
        }
        int n = Math.min(len, current.size() - position);
        current.copyTo(b, position, off, n);
        position += n;
        return n;
    }

    /**
     * Writes up to {@code max} of the next bytes (the rest of the current frame, else the next
     * frame) to {@code out} straight from the received message, and feeds them to {@code checksum}
     * (null: none). Returns the bytes written, or -1 at the end of the stream. Fails like
     * {@link #read(byte[], int, int)}; an {@link IOException} from {@code out} passes through.
     */
    public int transferFrame(OutputStream out, int max, Checksum checksum) throws IOException {
        if (closed) {
            throw new IOException("chunk stream " + chunkId + " is closed");
        }
        if (max <= 0) {
            return 0;
        }
        if (!ensureData()) {
            return -1;
        }
        int n = Math.min(max, current.size() - position);
        // ByteString.writeTo(OutputStream) copies an array-backed string first (so the stream
        // cannot change it); the ByteOutput route hands the backing array itself.
        UnsafeByteOperations.unsafeWriteTo(current.substringNoCopy(position, position + n), new Sink(out, checksum));
        position += n;
        return n;
    }

    /**
     * Waits for the node to end the call once every byte asked for has been read, so that closing
     * the stream has nothing to cancel. Without it a download's close cancelled each call whose
     * trailers had not come yet (most of them): a reset frame to the node, a failed status and an
     * exception on both sides for every chunk read (~3 % of the gateway's CPU per 1 MiB GET). The
     * trailers follow the last frame at once, so this rarely waits. Returns false, leaving the
     * rest to {@link #close}, when the node sent bytes beyond them; fails like {@link #read}.
     */
    public boolean awaitEnd() {
        return !ensureData();
    }

    /** True once unread bytes are at hand, false at the end of the stream. */
    private boolean ensureData() {
        while (position >= current.size()) {
            if (ended) {
                return false;
            }
            advance();
        }
        return true;
    }

    private void advance() {
        releaseCurrent();
        Object next = arrived.poll();
        while (next == STALLED) { // a mark left by a wait that a frame ended meanwhile
            next = arrived.poll();
        }
        if (next == null) {
            next = awaitNext();
        }
        if (next == STALLED) {
            cancel("no frame within " + idleTimeout);
            throw new NodeUnavailableException(address, "read of " + chunkId + ": no data within " + idleTimeout, null);
        }
        if (next == END) {
            ended = true;
        } else if (next instanceof Failure f) {
            ended = true;
            throw GrpcErrors.map(address, "read of " + chunkId, f.error());
        } else {
            ReceivedFrame received = (ReceivedFrame) next;
            GetChunkResponse frame = received.message();
            if (chunkLength < 0) {
                chunkLength = frame.getChunkLength();
                if (frame.hasChecksum() && frame.getChecksum().getAlgorithm() == ChecksumAlgorithm.CRC32C
                        && frame.getChecksum().getValue().size() == 4) {
                    crc32c = frame.getChecksum().getValue().asReadOnlyByteBuffer().getInt();
                }
            }
            current = frame.getData();
            currentArray = received.array();
            position = 0;
            call.request(1);
        }
    }

    /** Drops the frame read so far, giving its array back: no byte of it is needed any more. */
    private void releaseCurrent() {
        current = ByteString.EMPTY;
        position = 0;
        pool.give(currentArray);
        currentArray = null;
    }

    /** Waits, untimed, for what arrives next; the {@link StallWatch} ends a wait that outlasts the idle timeout. */
    private Object awaitNext() {
        long since = System.nanoTime();
        waitingSince = since;
        stalls.waiting(this);
        try {
            while (true) {
                Object next = arrived.take();
                if (next != STALLED || System.nanoTime() - since >= idleTimeout.toNanos()) {
                    return next;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            cancel("reader interrupted");
            throw new NodeUnavailableException(address, "read of " + chunkId + " interrupted", e);
        } finally {
            stalls.resumed(this);
        }
    }

    /** Called by the stall sweep while this stream waits: wakes it if it has waited the idle timeout. */
    void markIfStalled(long now) {
        if (now - waitingSince >= idleTimeout.toNanos()) {
            arrived.add(STALLED);
        }
    }

    private void cancel(String why) {
        ClientCallStreamObserver<GetChunkRequest> c = call;
        if (c != null) {
            c.cancel(why, null);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (!ended) {
            cancel("reader closed the stream early");
        }
        releaseCurrent();
        for (Object o; (o = arrived.poll()) != null; ) {
            if (o instanceof ReceivedFrame f) {
                pool.give(f.array());
            }
        }
    }

    /** Forwards a frame's bytes, as they are, to an OutputStream and a checksum. */
    private static final class Sink extends ByteOutput {
        private final OutputStream out;
        private final Checksum checksum;

        Sink(OutputStream out, Checksum checksum) {
            this.out = out;
            this.checksum = checksum;
        }

        @Override
        public void write(byte value) throws IOException {
            write(new byte[] {value}, 0, 1);
        }

        @Override
        public void write(byte[] value, int offset, int length) throws IOException {
            if (checksum != null) {
                checksum.update(value, offset, length);
            }
            out.write(value, offset, length);
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) throws IOException {
            write(value, offset, length);
        }

        @Override
        public void write(ByteBuffer value) throws IOException {
            if (value.hasArray()) {
                write(value.array(), value.arrayOffset() + value.position(), value.remaining());
                value.position(value.limit());
                return;
            }
            byte[] copy = new byte[value.remaining()];
            value.get(copy);
            write(copy, 0, copy.length);
        }

        @Override
        public void writeLazy(ByteBuffer value) throws IOException {
            write(value);
        }
    }

    private final class Observer implements ClientResponseObserver<GetChunkRequest, ReceivedFrame> {
        private final int prefetch;

        Observer(int prefetch) {
            this.prefetch = prefetch;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<GetChunkRequest> requestStream) {
            call = requestStream;
            requestStream.disableAutoRequestWithInitial(prefetch);
        }

        @Override
        public void onNext(ReceivedFrame value) {
            if (closed) {
                pool.give(value.array()); // no reader will see it
            } else {
                arrived.add(value);
            }
        }

        @Override
        public void onError(Throwable t) {
            arrived.add(new Failure(t));
        }

        @Override
        public void onCompleted() {
            arrived.add(END);
        }
    }
}
