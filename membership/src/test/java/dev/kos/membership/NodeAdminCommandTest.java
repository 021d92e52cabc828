package dev.kos.membership;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.metadata.Database;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class NodeAdminCommandTest {
    Database db;
    NodeRepository nodes;
    final ByteArrayOutputStream out = new ByteArrayOutputStream();
    final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @BeforeEach
    void clean() {
        db = TestDatabase.fresh();
        nodes = new NodeRepository(db);
        nodes.register(NodeIdentity.of("node-a", "10.0.0.1:7070"), new NodeReport(4096, 1024, 7));
    }

    int run(String... words) {
        out.reset();
        err.reset();
        // Credentials from the environment, as an operator's shell would have them.
        Map<String, String> env = Map.of("KOS_DB_URL", db.jdbcUrl(), "KOS_DB_USER", db.user(), "KOS_DB_PASSWORD", db.password());
        return NodeAdminCommand.run(words, env, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void listShowsEveryNode() {
        assertEquals(0, run("list"));
        assertTrue(out().contains("node-a") && out().contains("active") && out().contains("10.0.0.1:7070"), out());
        assertTrue(out().contains("1 node(s)"), out());
    }

    @Test
    void drainRemoveActivateChangeTheStatusAndTheEpoch() {
        assertEquals(0, run("drain", "node-a"));
        assertTrue(out().contains("active -> draining, ring epoch 2"), out());
        assertEquals(0, run("drain", "node-a"));
        assertTrue(out().contains("already draining"), out());
        assertEquals(0, run("remove", "node-a"));
        assertEquals(NodeStatus.REMOVED, nodes.find("node-a").orElseThrow().status());
        assertEquals(1, run("drain", "node-a"), "a removed node cannot drain");
        assertTrue(err().contains("is removed and cannot become draining"), err());
        assertEquals(0, run("activate", "node-a", "--db-pool-size=2"));
        assertEquals(NodeStatus.ACTIVE, nodes.find("node-a").orElseThrow().status());
        assertEquals(4, TestDatabase.epoch(db));
    }

    @Test
    void mistakesGetClearMessagesAndExitCodes() {
        assertEquals(1, run("drain", "ghost"));
        assertTrue(err().contains("unknown storage node 'ghost'"), err());
        assertEquals(2, run());
        assertEquals(2, run("explode", "node-a"));
        assertEquals(2, run("drain"));
        assertTrue(err().contains("usage:"), err());
        out.reset();
        err.reset();
        int code = NodeAdminCommand.run(new String[] {"list"}, Map.of(), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertEquals(2, code);
        assertTrue(err().contains("db.url is required"), err());
    }
}
