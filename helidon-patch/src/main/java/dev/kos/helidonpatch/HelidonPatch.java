package dev.kos.helidonpatch;

import io.helidon.common.buffers.DataReader;

import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.security.CodeSource;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;

/**
 * Whether this JVM runs the patched {@link DataReader} of this module, and against the Helidon
 * release it was copied from. The patch works by coming first on the class path (a copy of the class
 * under its own name), so a launcher that orders the jars differently, or a Helidon upgrade, would
 * silently undo or outdate it; a service calls {@link #check()} at start-up and logs what it says.
 */
public final class HelidonPatch {
    /** The helidon-common-buffers release whose {@code DataReader} this module copies. */
    public static final String PATCHED_VERSION = "4.5.0";

    private static final String HELIDON_POM = "META-INF/maven/io.helidon.common/helidon-common-buffers/pom.properties";

    private HelidonPatch() {
    }

    /** A warning for an operator, or empty when the patched class is the one loaded, for the release it copies. */
    public static Optional<String> check() {
        URL patch = location(HelidonPatch.class);
        URL loaded = location(DataReader.class);
        if (!Objects.equals(patch, loaded)) {
            return Optional.of("io.helidon.common.buffers.DataReader comes from " + loaded + ", not from the helidon-patch"
                    + " jar (" + patch + "): put helidon-patch before helidon-common-buffers on the class path, or"
                    + " sustained uploads on kept-alive connections will run a full collection every few seconds");
        }
        String helidon = helidonVersion();
        if (!PATCHED_VERSION.equals(helidon)) {
            return Optional.of("helidon-patch copies DataReader from Helidon " + PATCHED_VERSION + " but the class path has "
                    + helidon + ": refresh helidon-patch from that release's source, or drop it if the release unlinks"
                    + " consumed nodes itself");
        }
        return Optional.empty();
    }

    /** The version in helidon-common-buffers' own pom.properties, or "an unknown release" when it is missing. */
    static String helidonVersion() {
        try (InputStream in = HelidonPatch.class.getClassLoader().getResourceAsStream(HELIDON_POM)) {
            if (in == null) {
                return "an unknown release";
            }
            Properties pom = new Properties();
            pom.load(in);
            return pom.getProperty("version", "an unknown release");
        } catch (IOException e) {
            return "an unknown release (" + e.getMessage() + ")";
        }
    }

    private static URL location(Class<?> type) {
        CodeSource source = type.getProtectionDomain().getCodeSource();
        return source == null ? null : source.getLocation();
    }
}
