package dev.kos.storagenode;

import java.util.Arrays;
import java.util.HexFormat;

/** A whole-chunk checksum as the client declared it: CRC32C (4 bytes BE) or SHA-256 (32 bytes). */
public record ChunkChecksum(Algorithm algorithm, byte[] value) {
    public enum Algorithm {
        CRC32C(1, 4), SHA256(2, 32);

        /** Stable code written in chunk footers; never reuse a number. */
        final int code;
        final int length;

        Algorithm(int code, int length) {
            this.code = code;
            this.length = length;
        }

        static Algorithm ofCode(int code) {
            for (Algorithm a : values()) {
                if (a.code == code) {
                    return a;
                }
            }
            return null;
        }
    }

    public ChunkChecksum {
        if (algorithm == null) {
            throw new ChunkStoreException.InvalidRequest("checksum algorithm is missing (CRC32C or SHA256)");
        }
        if (value == null || value.length != algorithm.length) {
            throw new ChunkStoreException.InvalidRequest(algorithm + " checksum must be " + algorithm.length
                    + " bytes, got " + (value == null ? 0 : value.length));
        }
        value = value.clone();
    }

    public static ChunkChecksum crc32c(int crc) {
        return new ChunkChecksum(Algorithm.CRC32C,
                new byte[] {(byte) (crc >>> 24), (byte) (crc >>> 16), (byte) (crc >>> 8), (byte) crc});
    }

    @Override
    public byte[] value() {
        return value.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ChunkChecksum c && c.algorithm == algorithm && Arrays.equals(c.value, value);
    }

    @Override
    public int hashCode() {
        return algorithm.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
        return algorithm + ":" + HexFormat.of().formatHex(value);
    }
}
