package dev.kos.metadata;

import static dev.kos.metadata.FileStatus.COMPLETED;
import static dev.kos.metadata.FileStatus.DELETED;
import static dev.kos.metadata.FileStatus.DELETING;
import static dev.kos.metadata.FileStatus.EXPIRED;
import static dev.kos.metadata.FileStatus.FAILED;
import static dev.kos.metadata.FileStatus.PENDING;
import static dev.kos.metadata.FileStatus.UPLOADING;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The state machine of design.md, written out independently of the enum's switch. */
class FileStatusTest {
    static final Map<FileStatus, Set<FileStatus>> ALLOWED = Map.of(
            PENDING, EnumSet.of(UPLOADING, FAILED, EXPIRED, DELETING),
            UPLOADING, EnumSet.of(COMPLETED, FAILED, EXPIRED, DELETING),
            COMPLETED, EnumSet.of(DELETING),
            FAILED, EnumSet.of(DELETING),
            EXPIRED, EnumSet.of(DELETING),
            DELETING, EnumSet.of(DELETED),
            DELETED, EnumSet.noneOf(FileStatus.class));

    @Test
    void everyPairFollowsTheDesignStateMachine() {
        for (FileStatus from : FileStatus.values()) {
            for (FileStatus to : FileStatus.values()) {
                assertEquals(ALLOWED.get(from).contains(to), from.canMoveTo(to), from + " -> " + to);
            }
        }
    }

    @Test
    void theCasesTheIssueNames() {
        assertFalse(COMPLETED.canMoveTo(UPLOADING), "a completed file cannot go back to uploading");
        assertFalse(DELETED.canMoveTo(COMPLETED), "a deleted file cannot be completed");
        assertFalse(DELETING.canMoveTo(COMPLETED));
        assertTrue(UPLOADING.canMoveTo(DELETING), "a delete may arrive during an upload");
    }

    @Test
    void predecessorsAreTheInverse() {
        assertEquals(Set.of(), PENDING.predecessors());
        assertEquals(Set.of(UPLOADING), COMPLETED.predecessors());
        assertEquals(Set.of(PENDING, UPLOADING, COMPLETED, FAILED, EXPIRED), DELETING.predecessors());
        assertEquals(Set.of(DELETING), DELETED.predecessors());
    }

    @Test
    void parsesDatabaseAndHttpValues() {
        for (FileStatus s : FileStatus.values()) {
            assertEquals(s, FileStatus.parse(s.dbValue()));
        }
        assertEquals(COMPLETED, FileStatus.parse(" Completed "));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FileStatus.parse("done"));
        assertTrue(e.getMessage().contains("'done'") && e.getMessage().contains("pending, uploading"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FileStatus.parse(null));
    }

    @Test
    void listingHidesOnlyFilesOnTheirWayOut() {
        for (FileStatus s : FileStatus.values()) {
            assertEquals(s != DELETING && s != DELETED, s.listedByDefault(), s.toString());
        }
    }
}
