package dev.kos.ring;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The ring's 64-bit hash: the first 8 bytes (big-endian) of SHA-256 over the UTF-8 bytes.
 *
 * <p>Why SHA-256: it is in every JDK, fixed by a standard (so every process, release and
 * language computes the same points: the ring is a shared contract), and uniformly distributed.
 * With the CPU's SHA extensions a 40-byte key costs ~100 ns, which is noise next to moving a
 * chunk. Never String.hashCode or a seeded hash: those differ between JVMs or releases.
 */
final class KeyHash {
    // Cloning a digest skips the provider lookup of getInstance and is safe across threads
    // (each call gets its own copy), including virtual threads where a ThreadLocal would not pay.
    private static final MessageDigest PROTOTYPE;

    static {
        try {
            PROTOTYPE = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new ExceptionInInitializerError("SHA-256 is required by every Java platform: " + e);
        }
    }

    private KeyHash() {
    }

    static long hash(String key) {
        byte[] d = digest().digest(key.getBytes(StandardCharsets.UTF_8));
        long h = 0;
        for (int i = 0; i < 8; i++) {
            h = (h << 8) | (d[i] & 0xFF);
        }
        return h;
    }

    private static MessageDigest digest() {
        try {
            return (MessageDigest) PROTOTYPE.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("SHA-256 provider does not support clone", e);
        }
    }
}
