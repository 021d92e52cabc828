package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;

/** Test data: reproducible random bytes, and the bytes a buffer view holds. */
final class TestBytes {
    private TestBytes() {
    }

    /** {@code n} random bytes, the same for the same seed. */
    static byte[] random(long seed, int n) {
        byte[] b = new byte[n];
        new SplittableRandom(seed).nextBytes(b);
        return b;
    }

    /** A copy of the buffer's bytes from position to limit; the buffer itself is left as it was. */
    static byte[] of(ByteBuffer view) {
        byte[] b = new byte[view.remaining()];
        view.duplicate().get(b);
        return b;
    }
}
