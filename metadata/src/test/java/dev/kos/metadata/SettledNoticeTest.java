package dev.kos.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kos.testkit.Poll;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/** What a completion tells on kos_file_settled is what reading the completed row returns. */
class SettledNoticeTest {
    private static final String SHA = "b".repeat(64);
    private static Database db;
    private static Connection listening;
    private final FileRepository files = new FileRepository();

    @BeforeAll
    static void start() throws SQLException {
        db = TestDb.start(4);
        listening = DriverManager.getConnection(db.jdbcUrl(), db.user(), db.password());
        listening.createStatement().execute("LISTEN " + FileRepository.SETTLED_CHANNEL);
    }

    @AfterAll
    static void stop() throws SQLException {
        listening.close();
        db.close();
    }

    @BeforeEach
    void clean() {
        TestDb.clean(db);
        TestDb.addNode(db, "node-a");
        heard(); // drop what earlier tests left
    }

    @Test
    void bothCompletingStatementsTellTheCompletedRow() {
        Integer[] crcs = {7};
        NewFile asSealed = sealed("as-sealed.bin", Optional.of("alice"));
        FileRecord done = db.withConnection(c -> files.completeAsSealed(c, asSealed.fileId(), 100, SHA, 1, crcs,
                new FileRepository.AsSealed(3, "as-sealed.bin", "text/plain", "alice", new OutboxRow(UUID.randomUUID(),
                        "kos.files", asSealed.fileId().toString(), "file_completed", new byte[] {1})))).orElseThrow();
        assertEquals(done, completionOf(asSealed).file(asSealed, 100, SHA, 1));

        NewFile verified = sealed("verified.bin", Optional.empty());
        FileRecord done2 = db.inTransaction(c -> files.completeIfVerified(c, verified.fileId(), 100, SHA, 1, crcs, 1))
                .orElseThrow();
        SettledNotice.Completion told = completionOf(verified);
        assertEquals(done2, told.file(verified, 100, SHA, 1));
        assertEquals(files.find(db, verified.fileId()).orElseThrow(), told.file(verified, 100, SHA, 1),
                "the row as read after the commit, to the microsecond");
    }

    @Test
    void aSettleWithoutValuesTellsTheFileOnlyAndOtherPayloadsAreNotNotices() {
        UUID id = UUID.randomUUID();
        assertEquals(Optional.of(new SettledNotice(id, Optional.empty())), SettledNotice.parse(id.toString()));
        Instant t = Instant.parse("2026-12-03T09:41:07.123456Z");
        assertEquals(Optional.of(new SettledNotice(id, Optional.of(new SettledNotice.Completion(4, t, t.plusSeconds(1),
                        t.plusSeconds(2), t.plusSeconds(2))))),
                SettledNotice.parse(id + " 4 2026-12-03T09:41:07.123456Z 2026-12-03T09:41:08.123456Z"
                        + " 2026-12-03T09:41:09.123456Z 2026-12-03T09:41:09.123456Z"));
        String at = "2026-12-03T09:41:07.123456Z";
        String three = at + " " + at + " " + at;
        for (String bad : new String[] {
                "", "not-a-file", id + " 4",
                id + " 4 " + three + " 1796290867123456", // a number where a time belongs
                id + " 4 " + three + " " + at + " " + at, // a value too many
                id + " x " + three + " " + at, // a sequence that is no number
                id + "  4 " + three}) { // two spaces
            assertEquals(Optional.empty(), SettledNotice.parse(bad), "'" + bad + "'");
        }
        assertEquals(Optional.empty(), SettledNotice.parse(null));
    }

    /** A file sealed with one 100-byte chunk of CRC32C 7 on node-a, its three events reserved. */
    private NewFile sealed(String name, Optional<String> owner) {
        NewFile nf = new NewFile(UUID.randomUUID(), name, "text/plain", owner, 1 << 20);
        List<OutboxRow> rows = new ArrayList<>();
        for (String type : List.of("upload_started", "chunk_stored", "upload_sealed")) {
            rows.add(new OutboxRow(UUID.randomUUID(), "kos.files", nf.fileId().toString(), type, new byte[] {1}));
        }
        db.withConnection(c -> files.createSealed(c, nf, 100, SHA, Optional.of(new ChunkOnNode("c0-" + nf.fileId(),
                "node-a", LocationState.STORED, nf.fileId(), 0, 100, 7)), rows));
        return nf;
    }

    private final List<String> payloads = new ArrayList<>();

    private SettledNotice.Completion completionOf(NewFile f) {
        SettledNotice notice = Poll.until(Duration.ofSeconds(10), "the settle of " + f.fileId(), () -> {
            payloads.addAll(heard());
            return payloads.stream().map(SettledNotice::parse).flatMap(Optional::stream)
                    .filter(n -> n.fileId().equals(f.fileId())).findFirst();
        }, Optional::isPresent).orElseThrow();
        assertTrue(notice.completion().isPresent(), "a completion tells its values: " + payloads);
        return notice.completion().get();
    }

    private static List<String> heard() {
        try {
            PGNotification[] ns = listening.unwrap(PGConnection.class).getNotifications();
            List<String> out = new ArrayList<>();
            if (ns != null) {
                for (PGNotification n : ns) {
                    out.add(n.getParameter());
                }
            }
            return out;
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
