package dev.kos.storagenode;

import dev.kos.metrics.Counter;
import dev.kos.metrics.Family;
import dev.kos.metrics.Histogram;
import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every gRPC call by method and status code and records its duration, once, when it ends.
 *
 * <p>The cost is per call, never per message: the listener is passed through unwrapped, so
 * inbound frames reach the service as before, and the wrapped call only forwards (an outbound
 * frame costs one more virtual call, no allocation, no counting). A call ends in one of two ways:
 * the node closes it with a status ({@link ServerCall#close}, recorded before the status leaves,
 * so a client that has seen it also sees it counted), or the client cancels it or its deadline
 * passes, and the node never closes it. The call's context is cancelled at the end of every call,
 * which catches the second kind; whichever comes first records the call.
 */
final class CallMetrics implements ServerInterceptor {
    private final Family<Counter> requests;
    private final Family<Histogram> durations;

    CallMetrics(Family<Counter> requests, Family<Histogram> durations) {
        this.requests = requests;
        this.durations = durations;
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        // Interceptors run in the call's own context.
        Context context = Context.current();
        TimedCall<Q, R> timed = new TimedCall<>(call);
        context.addListener(c -> timed.ended(Contexts.statusFromCancelled(c)), Runnable::run);
        return next.startCall(timed, headers);
    }

    private final class TimedCall<Q, R> extends ForwardingServerCall.SimpleForwardingServerCall<Q, R> {
        private final long startNanos = System.nanoTime();
        private final AtomicBoolean recorded = new AtomicBoolean();

        TimedCall(ServerCall<Q, R> call) {
            super(call);
        }

        @Override
        public void close(Status status, Metadata trailers) {
            ended(status);
            super.close(status, trailers);
        }

        void ended(Status status) {
            if (!recorded.compareAndSet(false, true)) {
                return;
            }
            String method = getMethodDescriptor().getBareMethodName();
            durations.labels(method).observeNanos(System.nanoTime() - startNanos);
            requests.labels(method, (status == null ? Status.CANCELLED : status).getCode().name()).inc();
        }
    }
}
