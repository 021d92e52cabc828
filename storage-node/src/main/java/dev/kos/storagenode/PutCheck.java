package dev.kos.storagenode;

/** The checks every put applies to what it received, whatever it does with the bytes. */
final class PutCheck {
    private PutCheck() {
    }

    static void notTooMany(ChunkId id, long received, long incoming, long length) {
        if (received + incoming > length) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": received more than the declared "
                    + length + " bytes");
        }
    }

    static void complete(ChunkId id, long received, long length) {
        if (received != length) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": put ended after " + received + " of "
                    + length + " declared bytes");
        }
    }

    static void checksumMatches(ChunkId id, ChunkChecksum declared, ChunkChecksum actual) {
        if (!declared.equals(actual)) {
            throw new ChunkStoreException.InvalidRequest("chunk " + id + ": checksum mismatch, declared " + declared
                    + ", received bytes have " + actual);
        }
    }
}
