package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.UUID;
import org.junit.jupiter.api.Test;

class FileIdsTest {
    @Test
    void canonicalUuidsParseInEitherCase() {
        UUID id = UUID.randomUUID();
        assertEquals(id, FileIds.parse(id.toString()));
        assertEquals(id, FileIds.parse(id.toString().toUpperCase(java.util.Locale.ROOT)));
    }

    @Test
    void anythingElseIsA400() {
        String good = "123e4567-e89b-12d3-a456-426614174000";
        for (String bad : new String[] {null, "", "abc", good + "0", good.substring(1), good.replace('-', 'x'),
                good.replace('e', 'g'), "123e4567e89b-12d3-a456-4266141740000", "1-2-3-4-5", " " + good.substring(1)}) {
            ApiException e = assertThrows(ApiException.class, () -> FileIds.parse(bad), String.valueOf(bad));
            assertEquals(400, e.status().code());
            assertEquals("malformed_id", e.code());
        }
    }
}
