package dev.kos.storagenode;

import com.google.protobuf.ByteString;
import dev.kos.schemas.storage.v1.Checksum;
import dev.kos.schemas.storage.v1.ChecksumAlgorithm;

/** Converts between the wire's checksums and the store's. */
final class ProtoMapping {
    private ProtoMapping() {
    }

    static ChunkChecksum fromProto(Checksum c) {
        ChunkChecksum.Algorithm a = switch (c.getAlgorithm()) {
            case CRC32C -> ChunkChecksum.Algorithm.CRC32C;
            case SHA256 -> ChunkChecksum.Algorithm.SHA256;
            default -> throw new ChunkStoreException.InvalidRequest(
                    "checksum algorithm " + c.getAlgorithm() + " is not supported (CRC32C or SHA256)");
        };
        return new ChunkChecksum(a, c.getValue().toByteArray());
    }

    static Checksum toProto(ChunkChecksum c) {
        return Checksum.newBuilder()
                .setAlgorithm(c.algorithm() == ChunkChecksum.Algorithm.CRC32C ? ChecksumAlgorithm.CRC32C
                        : ChecksumAlgorithm.SHA256)
                .setValue(ByteString.copyFrom(c.value()))
                .build();
    }
}
