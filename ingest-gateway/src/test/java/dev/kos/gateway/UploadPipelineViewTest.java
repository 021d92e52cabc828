package dev.kos.gateway;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import org.junit.jupiter.api.Test;

class UploadPipelineViewTest {
    @Test
    void placerSeesTheChunkArrayItselfSoFramesAreNotCopied() {
        ByteBuffer chunk = ByteBuffer.allocate(64);
        chunk.put(new byte[40]).flip();
        ByteBuffer view = UploadPipeline.placerView(chunk);
        // protobuf wraps an array-backed buffer without a copy; a read-only view hides the array.
        assertTrue(view.hasArray());
        assertSame(chunk.array(), view.array());
        assertEquals(0, view.position());
        assertEquals(40, view.limit());
        view.position(10);
        assertEquals(0, chunk.position(), "the placer's position is its own");
    }
}
