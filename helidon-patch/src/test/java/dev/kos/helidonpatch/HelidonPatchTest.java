package dev.kos.helidonpatch;

import io.helidon.common.buffers.BufferData;
import io.helidon.common.buffers.DataReader;
import org.junit.jupiter.api.Test;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HelidonPatchTest {

    @Test
    void thePatchedReaderIsTheOneLoadedForTheReleaseItCopies() {
        assertEquals(HelidonPatch.PATCHED_VERSION, HelidonPatch.helidonVersion());
        assertEquals(List.of(), HelidonPatch.check().stream().toList());
    }

    /**
     * The loop the patch ends, in a serial heap of 64 MiB with an 8 MiB young generation: 512 MiB
     * through one reader. Helidon's own class (its jar put first) promotes the stream and runs full
     * collections over and over; the patched one runs none. The first half keeps the second honest:
     * if Helidon's reader stopped looping, this test would say so rather than pass for the patch.
     */
    @Test
    void streamingThroughATenuredReaderRunsNoFullCollections() throws Exception {
        String helidonJar = jarOf(BufferData.class);
        String patchedPath = System.getProperty("java.class.path");
        assertTrue(fullCollections(helidonJar + File.pathSeparator + patchedPath) >= 3,
                "Helidon's own DataReader no longer shows the loop this module patches: check whether it is still needed");
        assertEquals(0, fullCollections(patchedPath));
    }

    private static long fullCollections(String classPath) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-XX:+UseSerialGC", "-Xms64m", "-Xmx64m", "-Xmn8m", "-cp", classPath,
                ConnectionStreamProbe.class.getName(), "512").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the probe did not finish");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("full-collections="), out);
        return Long.parseLong(out.substring("full-collections=".length()));
    }

    private static String jarOf(Class<?> type) throws Exception {
        return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
    }

    @Test
    void theDataReaderUsedHereComesFromThisModule() throws Exception {
        assertEquals(jarOf(HelidonPatch.class), jarOf(DataReader.class));
    }
}
