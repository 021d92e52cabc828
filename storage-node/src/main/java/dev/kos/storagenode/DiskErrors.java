package dev.kos.storagenode;

import java.io.IOException;
import java.util.Locale;

/** Tells a full disk from other I/O failures; the JDK reports ENOSPC only in the message. */
final class DiskErrors {
    private DiskErrors() {
    }

    static boolean isOutOfSpace(IOException e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage();
            if (m != null) {
                String s = m.toLowerCase(Locale.ROOT);
                if (s.contains("no space left on device") || s.contains("disk quota exceeded")
                        || s.contains("enospc") || s.contains("edquot")) {
                    return true;
                }
            }
        }
        return false;
    }
}
