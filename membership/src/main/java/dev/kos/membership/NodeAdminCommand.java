package dev.kos.membership;

import dev.kos.config.Logging;
import dev.kos.config.Settings;
import dev.kos.metadata.Database;
import dev.kos.metadata.MetadataException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's command for storage nodes:
 * <pre>
 *   node-admin list
 *   node-admin drain &lt;node-id&gt;      leave the ring for new writes; chunks stay readable
 *   node-admin remove &lt;node-id&gt;     leave the ring for good
 *   node-admin activate &lt;node-id&gt;   undo drain/remove (the node must heartbeat to stay in)
 * </pre>
 *
 * <table>
 *   <caption>Settings (flag / environment variable, default)</caption>
 *   <tr><th>key</th><th>flag / env</th><th>default</th></tr>
 *   <tr><td>db.url</td><td>--db-url / KOS_DB_URL</td><td>required: the cluster's metadata database</td></tr>
 *   <tr><td>db.user</td><td>--db-user / KOS_DB_USER</td><td>postgres</td></tr>
 *   <tr><td>db.password</td><td>--db-password / KOS_DB_PASSWORD</td><td>empty</td></tr>
 * </table>
 *
 * <p>Exit status: 0 done (or nothing to do), 1 refused or failed, 2 usage error. Every service
 * sees the change within one poll interval (membership.poll-interval).
 */
public final class NodeAdminCommand {
    static final String USAGE = "usage: node-admin list | drain <node-id> | remove <node-id> | activate <node-id>"
            + "  [--db-url=jdbc:postgresql://host:port/db --db-user=... --db-password=...]";

    private NodeAdminCommand() {
    }

    public static void main(String[] args) {
        Logging.configure("node-admin");
        System.exit(run(args, System.getenv(), System.out, System.err));
    }

    /** Runs one command; returns the exit status. Tests call this directly. */
    static int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err) {
        int firstFlag = 0;
        while (firstFlag < args.length && !args[firstFlag].startsWith("--")) {
            firstFlag++;
        }
        List<String> words = Arrays.asList(args).subList(0, firstFlag);
        Settings settings;
        try {
            settings = Settings.of(Arrays.copyOfRange(args, firstFlag, args.length), env);
        } catch (IllegalArgumentException e) {
            err.println(e.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (words.isEmpty() || !List.of("list", "drain", "remove", "activate").contains(words.get(0))
                || words.size() != (words.get(0).equals("list") ? 1 : 2)) {
            err.println(USAGE);
            return 2;
        }
        Optional<String> url = settings.optional("db.url");
        if (url.isEmpty()) {
            // Without a URL every other kos process starts an empty embedded database; for an
            // operator command that would only ever say "no nodes".
            err.println("db.url is required (--db-url or KOS_DB_URL): the admin command works on the cluster's metadata database");
            return 2;
        }
        try (Database db = Database.connect(url.get(), settings.string("db.user", "postgres"),
                settings.string("db.password", ""), 2, "kos-node-admin")) {
            NodeRepository nodes = new NodeRepository(db);
            String command = words.get(0);
            if (command.equals("list")) {
                printList(nodes.list(), out);
                return 0;
            }
            String nodeId = words.get(1);
            Optional<MembershipChange> change = switch (command) {
                case "drain" -> nodes.drain(nodeId);
                case "remove" -> nodes.remove(nodeId);
                default -> nodes.activate(nodeId);
            };
            out.println(change.map(MembershipChange::toString)
                    .orElse("node " + nodeId + " is already " + nodes.find(nodeId).map(n -> n.status().sql()).orElse("?")
                            + "; nothing changed"));
            return 0;
        } catch (MembershipException e) {
            err.println(e.getMessage());
            return 1;
        } catch (MetadataException | IllegalStateException e) {
            err.println("database error: " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            // The pool fails fast when the database cannot be reached at all.
            err.println("cannot use the metadata database at " + url.get() + ": " + e.getMessage());
            return 1;
        }
    }

    static void printList(List<StorageNode> nodes, PrintStream out) {
        out.printf("%-24s %-9s %-24s %14s %14s %10s %6s %s%n",
                "NODE", "STATUS", "ADDRESS", "CAPACITY", "FREE", "CHUNKS", "VNODES", "LAST HEARTBEAT");
        Instant now = Instant.now();
        for (StorageNode n : nodes) {
            Duration age = Duration.between(n.lastHeartbeat(), now);
            out.printf("%-24s %-9s %-24s %14d %14d %10d %6d %s (%ds ago)%n", n.nodeId(), n.status().sql(), n.address(),
                    n.capacityBytes(), n.freeBytes(), n.chunkCount(), n.virtualNodes(), n.lastHeartbeat(),
                    Math.max(0, age.toSeconds()));
        }
        out.println(nodes.size() + " node(s)");
    }
}
