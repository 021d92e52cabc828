package dev.kos.storagenode;

import dev.kos.schemas.storage.v1.StorageNodeGrpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import java.util.Set;
import java.util.concurrent.Executor;

/**
 * Which threads run a call: PutChunk and DeleteChunk, which block in fsync, rename and directory
 * syncs, on {@code writes}; every other call on {@code others}. gRPC asks once a call's method is
 * known, on the server's default executor, and runs the call's handlers on the answer from then
 * on; see {@link StorageNodeServer#start} for why each kind runs where it does.
 */
final class CallExecutors implements ServerCallExecutorSupplier {
    private static final Set<String> WRITES = Set.of(
            StorageNodeGrpc.getPutChunkMethod().getFullMethodName(),
            StorageNodeGrpc.getDeleteChunkMethod().getFullMethodName());

    private final Executor writes;
    private final Executor others;

    CallExecutors(Executor writes, Executor others) {
        this.writes = writes;
        this.others = others;
    }

    @Override
    public <ReqT, RespT> Executor getExecutor(ServerCall<ReqT, RespT> call, Metadata headers) {
        return WRITES.contains(call.getMethodDescriptor().getFullMethodName()) ? writes : others;
    }
}
