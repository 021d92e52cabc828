package dev.kos.e2e;

import java.util.Map;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One stack for the whole default suite: starting one takes ~13 s, so every test class that
 * leaves it healthy shares it. JUnit closes it (an AutoCloseable in the root store) once the
 * last test class has run. Tests that kill a node restart it before they end.
 */
final class SharedStack implements BeforeAllCallback {
    /** 1 MiB chunks: a few-MiB test file spreads over several nodes, as a GiB file would at 8 MiB. */
    static final long CHUNK_SIZE = 1L << 20;
    /**
     * Short, so the stalled-client test finishes quickly. The gateway stops its idle clock while
     * it waits on storage itself (a slow chunk put on a loaded machine is not client silence).
     */
    static final String IDLE_TIMEOUT = "6s";
    static final java.time.Duration ORPHAN_GRACE = java.time.Duration.ofSeconds(30);
    private static volatile TestStack shared;

    @Override
    public void beforeAll(ExtensionContext context) {
        context.getRoot().getStore(ExtensionContext.Namespace.GLOBAL)
                .computeIfAbsent(SharedStack.class, k -> start(), TestStack.class);
    }

    private static TestStack start() {
        TestStack s = TestStack.start("shared", Map.of(
                "KOS_GATEWAY_CHUNK_SIZE", String.valueOf(CHUNK_SIZE),
                "KOS_GATEWAY_IDLE_TIMEOUT", IDLE_TIMEOUT,
                // An aborted upload can leave the chunk it had in flight on a node with no row; only the
                // orphan collector removes it. 30 s grace stays above the idle timeout, so a live upload's
                // chunk, recorded once the next one is read, is never taken for an orphan.
                "KOS_CLEANUP_ORPHAN_GRACE", ORPHAN_GRACE.toSeconds() + "s",
                "KOS_CLEANUP_ORPHAN_INTERVAL", "2s"));
        shared = s;
        return s;
    }

    static TestStack stack() {
        TestStack s = shared;
        if (s == null) {
            throw new IllegalStateException("annotate the test class with @ExtendWith(SharedStack.class)");
        }
        return s;
    }
}
