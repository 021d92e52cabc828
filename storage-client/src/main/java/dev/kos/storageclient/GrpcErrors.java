package dev.kos.storageclient;

import io.grpc.Status;

/** Maps a failed gRPC call to the typed exception its status code means for the caller. */
final class GrpcErrors {
    private GrpcErrors() {
    }

    static StorageClientException map(String address, String what, Throwable t) {
        if (t instanceof StorageClientException e) {
            return e;
        }
        Status status = Status.fromThrowable(t);
        String message = what + ": " + status.getCode()
                + (status.getDescription() == null ? "" : " (" + status.getDescription() + ")");
        return switch (status.getCode()) {
            case NOT_FOUND -> new ChunkNotFoundException(address, message, t);
            case DATA_LOSS -> new ChunkCorruptedException(address, message, t);
            case RESOURCE_EXHAUSTED -> new NodeFullException(address, message, t);
            case ALREADY_EXISTS -> new ChunkConflictException(address, message, t);
            case INVALID_ARGUMENT, OUT_OF_RANGE, FAILED_PRECONDITION ->
                    new InvalidChunkRequestException(address, message, t);
            // Anything else (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED by the node, INTERNAL,
            // UNKNOWN from a dying connection) says nothing about the chunk, only that this node
            // did not do the work: another node may.
            default -> new NodeUnavailableException(address, message, t);
        };
    }
}
