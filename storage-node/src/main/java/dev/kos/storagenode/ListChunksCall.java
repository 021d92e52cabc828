package dev.kos.storagenode;

import dev.kos.schemas.storage.v1.ListChunksResponse;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.util.logging.Logger;

/** One ListChunks stream: batches built from the disk walk only as fast as the client takes them. */
final class ListChunksCall {
    private static final Logger LOG = Logger.getLogger(ListChunksCall.class.getName());

    private final ChunkInventory inventory;
    private final int batchSize;
    private final ServerCallStreamObserver<ListChunksResponse> out;
    private boolean done;
    private long listed;

    ListChunksCall(ChunkInventory inventory, int batchSize, ServerCallStreamObserver<ListChunksResponse> out) {
        this.inventory = inventory;
        this.batchSize = batchSize;
        this.out = out;
    }

    void start() {
        out.setOnCancelHandler(() -> {
            done = true;
            inventory.close();
        });
        out.setOnReadyHandler(this::pump);
    }

    private void pump() {
        if (done) {
            return;
        }
        try {
            while (out.isReady()) {
                ListChunksResponse.Builder batch = ListChunksResponse.newBuilder();
                ChunkInfo c = null;
                while (batch.getChunksCount() < batchSize && (c = inventory.next()) != null) {
                    var info = dev.kos.schemas.storage.v1.ChunkInfo.newBuilder()
                            .setChunkId(c.id().value())
                            .setLength(c.length())
                            .setStoredAtUnixMs(c.storedAtMs());
                    if (c.checksum() != null) {
                        info.setChecksum(ProtoMapping.toProto(c.checksum()));
                    }
                    batch.addChunks(info);
                }
                listed += batch.getChunksCount();
                if (batch.getChunksCount() > 0) {
                    out.onNext(batch.build());
                }
                if (c == null) {
                    done = true;
                    inventory.close();
                    out.onCompleted();
                    LOG.info("list chunks=" + listed + " outcome=ok");
                    return;
                }
            }
        } catch (RuntimeException e) {
            done = true;
            inventory.close();
            Status s = GrpcErrors.statusOf(e);
            out.onError(s.asRuntimeException());
            LOG.info("list chunks=" + listed + " outcome=" + s.getCode() + ": " + s.getDescription());
        }
    }
}
