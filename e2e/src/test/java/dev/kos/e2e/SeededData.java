package dev.kos.e2e;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * N pseudo-random bytes from a seed, produced as they are read and hashed on the way: a test
 * can upload 10 GiB without holding it in memory or on disk, and knows its SHA-256 once the
 * upload has read it all. The same seed always gives the same bytes.
 */
final class SeededData extends InputStream {
    private static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private final long size;
    private final SplittableRandom random;
    private final MessageDigest sha256 = newSha256();
    private final byte[] word = new byte[8];
    private final long bytesPerSecond;
    private final long startNanos = System.nanoTime();
    private long position;
    private int wordLeft;

    private SeededData(long seed, long size, long bytesPerSecond) {
        if (size < 0) {
            throw new IllegalArgumentException("size must be >= 0");
        }
        this.size = size;
        this.random = new SplittableRandom(seed);
        this.bytesPerSecond = bytesPerSecond;
    }

    static SeededData of(long seed, long size) {
        return new SeededData(seed, size, 0);
    }

    /** The same bytes, released no faster than the given rate: a slow client. */
    static SeededData throttled(long seed, long size, long bytesPerSecond) {
        return new SeededData(seed, size, bytesPerSecond);
    }

    /** The SHA-256 of the whole stream, computed by generating it (never stored). */
    static String sha256Of(long seed, long size) throws IOException {
        try (SeededData d = of(seed, size)) {
            d.transferTo(OutputStream.nullOutputStream());
            return d.sha256Hex();
        }
    }

    long size() {
        return size;
    }

    long position() {
        return position;
    }

    /** The SHA-256 of everything read; only meaningful once the stream was read to its end. */
    String sha256Hex() {
        if (position != size) {
            throw new IllegalStateException("read " + position + " of " + size + " bytes; the digest is not final");
        }
        try {
            return HexFormat.of().formatHex(((MessageDigest) sha256.clone()).digest());
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        if (position >= size) {
            return -1;
        }
        int n = (int) Math.min(len, size - position);
        if (bytesPerSecond > 0) {
            n = (int) Math.min(n, Math.max(1, bytesPerSecond / 10));
            pace(n);
        }
        int i = 0;
        while (i < n && wordLeft > 0) {
            b[off + i++] = word[8 - wordLeft--];
        }
        // Whole words straight into the buffer: GiBs of test data must not cost more than the upload.
        while (n - i >= 8) {
            LONG_LE.set(b, off + i, random.nextLong());
            i += 8;
        }
        if (i < n) {
            LONG_LE.set(word, 0, random.nextLong());
            wordLeft = 8;
            while (i < n) {
                b[off + i++] = word[8 - wordLeft--];
            }
        }
        sha256.update(b, off, n);
        position += n;
        return n;
    }

    /** Holds the next n bytes back until the rate allows them: the slowness is the point here. */
    private void pace(int n) throws IOException {
        long dueNanos = startNanos + (long) ((position + n) * 1e9 / bytesPerSecond);
        long wait = dueNanos - System.nanoTime();
        if (wait > 0) {
            try {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new java.io.InterruptedIOException("throttled read interrupted");
            }
        }
    }

    static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
