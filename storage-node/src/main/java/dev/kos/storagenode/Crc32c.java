package dev.kos.storagenode;

/**
 * CRC32C arithmetic the JDK lacks: combining two CRCs. The write path computes one CRC per
 * 64 KiB block (stored for verified reads) and derives the whole-chunk CRC from them, so the
 * bytes are checksummed once instead of twice.
 *
 * <p>This is zlib's crc32_combine (polynomial arithmetic mod P, reflected) with the Castagnoli
 * polynomial.
 */
final class Crc32c {
    private static final int POLY = 0x82F63B78;
    /** X2N[k] = x^(2^k) mod P. */
    private static final int[] X2N = new int[32];

    static {
        int p = 1 << 30; // x^1
        X2N[0] = p;
        for (int k = 1; k < 32; k++) {
            X2N[k] = p = multModP(p, p);
        }
    }

    private Crc32c() {
    }

    /** The operator that {@link #combine(int, int, int)} needs to append {@code len2} bytes. */
    static int shiftOperator(long len2) {
        int p = 1 << 31; // x^0
        int k = 3; // bytes -> bits: x^(8 * len2)
        for (long n = len2; n != 0; n >>>= 1, k++) {
            if ((n & 1) != 0) {
                p = multModP(X2N[k & 31], p);
            }
        }
        return p;
    }

    /** CRC32C of A||B from crc(A), crc(B) and the operator for B's length. */
    static int combine(int crc1, int crc2, int shiftOperatorOfLen2) {
        return multModP(shiftOperatorOfLen2, crc1) ^ crc2;
    }

    private static int multModP(int a, int b) {
        int m = 1 << 31;
        int p = 0;
        for (;;) {
            if ((a & m) != 0) {
                p ^= b;
                if ((a & (m - 1)) == 0) {
                    break;
                }
            }
            m >>>= 1;
            b = (b & 1) != 0 ? (b >>> 1) ^ POLY : b >>> 1;
        }
        return p;
    }
}
