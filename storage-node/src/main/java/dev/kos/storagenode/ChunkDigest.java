package dev.kos.storagenode;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.zip.CRC32C;

/**
 * The checksums of a chunk, computed in the loop that writes its bytes: one CRC32C per block
 * (the footer's table), the whole-chunk CRC32C (combined from the block CRCs, not a second
 * pass) and, when the client declared SHA-256, the SHA-256.
 *
 * <p>Memory: 4 bytes per block, i.e. 64 KiB of table for a 1 GiB chunk with 64 KiB blocks.
 */
final class ChunkDigest {
    private final int blockSize;
    private final int fullBlockOperator;
    private final int[] blockCrcs;
    private final MessageDigest sha256;
    private final CRC32C block = new CRC32C();
    private int blocks;
    private int inBlock;
    private int whole;
    private boolean wholeStarted;
    private long bytes;

    ChunkDigest(ChunkChecksum.Algorithm declared, int blockSize, long length) {
        this.blockSize = blockSize;
        this.fullBlockOperator = Crc32c.shiftOperator(blockSize);
        this.blockCrcs = new int[ChunkFooter.blockCount(length, blockSize)];
        this.sha256 = declared == ChunkChecksum.Algorithm.SHA256 ? newSha256() : null;
    }

    /** Digests {@code buf} from its position to its limit; the caller must not exceed the length. */
    void update(ByteBuffer buf) {
        ByteBuffer b = buf.duplicate();
        if (sha256 != null) {
            sha256.update(b.duplicate());
        }
        while (b.hasRemaining()) {
            int n = Math.min(b.remaining(), blockSize - inBlock);
            int limit = b.limit();
            b.limit(b.position() + n);
            block.update(b);
            b.limit(limit);
            inBlock += n;
            bytes += n;
            if (inBlock == blockSize) {
                closeBlock();
            }
        }
    }

    long bytes() {
        return bytes;
    }

    /** Ends the digest: closes a partial last block. */
    void finish() {
        if (inBlock > 0) {
            closeBlock();
        }
    }

    int[] blockCrcs() {
        return blockCrcs;
    }

    int wholeCrc32c() {
        return wholeStarted ? whole : 0; // CRC32C of no bytes is 0
    }

    /** The whole-chunk checksum in the algorithm the client declared. */
    ChunkChecksum declared(ChunkChecksum.Algorithm algorithm) {
        return switch (algorithm) {
            case CRC32C -> ChunkChecksum.crc32c(wholeCrc32c());
            case SHA256 -> new ChunkChecksum(algorithm, sha256.digest());
        };
    }

    private void closeBlock() {
        int crc = (int) block.getValue();
        whole = !wholeStarted ? crc
                : Crc32c.combine(whole, crc, inBlock == blockSize ? fullBlockOperator : Crc32c.shiftOperator(inBlock));
        wholeStarted = true;
        blockCrcs[blocks++] = crc;
        block.reset();
        inBlock = 0;
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-256", e);
        }
    }
}
