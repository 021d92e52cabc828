package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;

/**
 * Deterministic pseudo-random chunk content generated frame by frame, so tests can stream
 * a GiB and check any range of it without holding it.
 */
record TestData(long seed, long length) {
    static final int FRAME = 1024 * 1024;

    int frames() {
        return (int) ((length + FRAME - 1) / FRAME);
    }

    /** Frame {@code i}: bytes [i * FRAME, min(length, (i + 1) * FRAME)). */
    byte[] frame(int i) {
        int n = (int) Math.min(FRAME, length - (long) i * FRAME);
        byte[] b = new byte[n];
        new SplittableRandom(seed * 1_000_003L + i).nextBytes(b);
        return b;
    }

    /** Bytes [offset, offset + n). */
    byte[] range(long offset, int n) {
        byte[] out = new byte[n];
        int done = 0;
        while (done < n) {
            long pos = offset + done;
            int i = (int) (pos / FRAME);
            byte[] f = frame(i);
            int from = (int) (pos - (long) i * FRAME);
            int k = Math.min(n - done, f.length - from);
            System.arraycopy(f, from, out, done, k);
            done += k;
        }
        return out;
    }

    ChunkChecksum crc32c() {
        CRC32C crc = new CRC32C();
        for (int i = 0; i < frames(); i++) {
            crc.update(frame(i));
        }
        return ChunkChecksum.crc32c((int) crc.getValue());
    }

    ChunkChecksum sha256() {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            for (int i = 0; i < frames(); i++) {
                md.update(frame(i));
            }
            return new ChunkChecksum(ChunkChecksum.Algorithm.SHA256, md.digest());
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    static ByteBuffer wrap(byte[] b) {
        return ByteBuffer.wrap(b);
    }
}
