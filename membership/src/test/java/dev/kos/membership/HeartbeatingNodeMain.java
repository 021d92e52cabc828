package dev.kos.membership;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.metadata.Database;
import java.io.IOException;

/**
 * A stand-in storage node for failover tests, run as a separate JVM: registers and heartbeats
 * until it is killed. It also exits when its parent's pipe closes (stdin EOF), so a crashed test
 * run leaves no orphan behind.
 */
public final class HeartbeatingNodeMain {
    private HeartbeatingNodeMain() {
    }

    public static void main(String[] args) throws IOException {
        Logging.configure("test-node");
        Settings settings = Settings.from(args);
        Database db = Database.connect(settings.optional("db.url").orElseThrow(), settings.string("db.user", "postgres"),
                settings.string("db.password", ""), 2, "test-node");
        NodeIdentity identity = NodeIdentity.of(settings.string("node.id", "forked"), settings.string("node.address", "127.0.0.1:1"));
        NodeHeartbeater hb = new NodeHeartbeater(new NodeRepository(db), identity, () -> new NodeReport(1 << 30, 1 << 29, 0),
                MembershipConfig.fromSettings(settings)).start();
        System.out.println("READY " + identity.nodeId() + " registered=" + hb.registered());
        System.out.flush();
        while (System.in.read() >= 0) {
            // block until the parent goes away
        }
        hb.close();
        db.close();
    }
}
