package dev.kos.storagenode;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The one mapping from store failures to the gRPC statuses storage.proto promises. */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static Status statusOf(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s.getStatus();
        }
        if (t instanceof ChunkStoreException e) {
            Status s = switch (e) {
                case ChunkStoreException.InvalidRequest x -> Status.INVALID_ARGUMENT;
                case ChunkStoreException.NotFound x -> Status.NOT_FOUND;
                case ChunkStoreException.Conflict x -> Status.ALREADY_EXISTS;
                case ChunkStoreException.InsufficientSpace x -> Status.RESOURCE_EXHAUSTED;
                case ChunkStoreException.Corrupted x -> Status.DATA_LOSS;
                case ChunkStoreException.Unavailable x -> Status.UNAVAILABLE;
                case ChunkStoreException.StorageFailure x -> Status.INTERNAL;
            };
            return s.withDescription(e.getMessage());
        }
        return Status.INTERNAL.withDescription("unexpected failure: " + t);
    }

    static StatusRuntimeException toException(Throwable t) {
        return statusOf(t).asRuntimeException();
    }
}
