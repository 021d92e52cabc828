package dev.kos.gateway;

import java.io.InputStream;
import java.util.SplittableRandom;

/**
 * {@code size} pseudo-random bytes from a seed, generated as they are read: large-data tests
 * send GiBs without holding them, and the same seed regenerates the same bytes.
 */
final class SeededStream extends InputStream {
    private final SplittableRandom random;
    private long left;
    private long word;
    private int wordBytes;

    SeededStream(long size, long seed) {
        this.random = new SplittableRandom(seed);
        this.left = size;
    }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public int read(byte[] b, int off, int len) {
        if (left <= 0) {
            return -1;
        }
        int n = (int) Math.min(len, left);
        for (int i = 0; i < n; i++) {
            if (wordBytes == 0) {
                word = random.nextLong();
                wordBytes = 8;
            }
            b[off + i] = (byte) word;
            word >>>= 8;
            wordBytes--;
        }
        left -= n;
        return n;
    }
}
