package dev.kos.metadata;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class FileQueryTest {
    @Test
    void perPageIsBounded() {
        assertEquals(1000, new FileQuery(Optional.empty(), SortOrder.ASC, 1, 1000).perPage());
        IllegalArgumentException tooMany = assertThrows(IllegalArgumentException.class,
                () -> new FileQuery(Optional.empty(), SortOrder.ASC, 1, 1001));
        assertEquals("per_page must be between 1 and 1000, got 1001", tooMany.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new FileQuery(Optional.empty(), SortOrder.ASC, 1, 0));
        IllegalArgumentException page = assertThrows(IllegalArgumentException.class,
                () -> new FileQuery(Optional.empty(), SortOrder.ASC, 0, 10));
        assertEquals("page must be 1 or more, got 0", page.getMessage());
        assertThrows(NullPointerException.class, () -> new FileQuery(null, SortOrder.ASC, 1, 10));
    }

    @Test
    void offsetDoesNotOverflow() {
        assertEquals((long) (Integer.MAX_VALUE - 1) * 1000, new FileQuery(Optional.empty(), SortOrder.DESC, Integer.MAX_VALUE, 1000).offset());
        assertEquals(0, FileQuery.newestFirst().offset());
    }

    @Test
    void sortOrderParses() {
        assertEquals(SortOrder.ASC, SortOrder.parse("asc"));
        assertEquals(SortOrder.DESC, SortOrder.parse("DESC"));
        assertThrows(IllegalArgumentException.class, () -> SortOrder.parse("created_at; drop table files"));
    }

    @Test
    void pageArithmetic() {
        Page<String> p = new Page<>(List.of("a", "b"), 5, 2, 2);
        assertEquals(3, p.totalPages());
        assertTrue(p.hasNext());
        assertFalse(new Page<>(List.of("e"), 5, 3, 2).hasNext());
        assertEquals(0, new Page<String>(List.of(), 0, 1, 10).totalPages());
    }

    @Test
    void newFileRefusesBadInput() {
        assertThrows(IllegalArgumentException.class, () -> NewFile.of("", "text/plain", Optional.empty(), 1));
        assertThrows(IllegalArgumentException.class, () -> NewFile.of("x".repeat(1025), "text/plain", Optional.empty(), 1));
        assertThrows(IllegalArgumentException.class, () -> NewFile.of("a", " ", Optional.empty(), 1));
        assertThrows(IllegalArgumentException.class, () -> NewFile.of("a", "text/plain", Optional.empty(), 0));
        assertEquals("a", NewFile.of("a", "text/plain", Optional.empty(), 1).name());
    }
}
