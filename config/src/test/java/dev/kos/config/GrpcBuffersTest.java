package dev.kos.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class GrpcBuffersTest {
    @AfterEach
    void clear() {
        System.clearProperty(GrpcBuffers.MAX_ORDER);
    }

    @Test
    void setsEightMiBChunksUnlessTheOperatorChoseASize() {
        System.clearProperty(GrpcBuffers.MAX_ORDER);
        GrpcBuffers.configure();
        assertEquals("10", System.getProperty(GrpcBuffers.MAX_ORDER));

        System.setProperty(GrpcBuffers.MAX_ORDER, "11");
        GrpcBuffers.configure();
        assertEquals("11", System.getProperty(GrpcBuffers.MAX_ORDER));
    }
}
