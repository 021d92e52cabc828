package dev.kos.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import dev.kos.events.EventSerde;
import dev.kos.events.Events;
import dev.kos.events.Topics;
import dev.kos.schemas.events.v1.ChunkChecksum;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.DeleteRequested;
import dev.kos.schemas.events.v1.EventEnvelope;
import dev.kos.schemas.events.v1.UploadSealed;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The finalization logic over a topology test driver; the database side is a recording fake. */
class FinalizeUploadsTest {
    record Call(String fileId, UploadProgress.Seal seal, Map<Integer, Integer> crcs) {
    }

    final List<Call> calls = new ArrayList<>();
    final Events events = new Events("test");
    TopologyTestDriver driver;
    TestInputTopic<String, EventEnvelope> files;

    @TempDir
    Path stateDir;

    @BeforeEach
    void setUp() {
        UploadFinalizer recorder = (fileId, seal, crcs) -> {
            calls.add(new Call(fileId, seal, crcs));
            return UploadFinalizer.Outcome.COMPLETED;
        };
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "finalize-test");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        driver = new TopologyTestDriver(PlacementTopology.build(recorder), p);
        files = driver.createInputTopic(Topics.FILES, new StringSerializer(), new EventSerde().serializer());
    }

    @AfterEach
    void tearDown() {
        driver.close();
    }

    EventEnvelope chunk(UUID file, int index, int crc) {
        return events.chunkStored(file, ChunkStored.newBuilder()
                .setChunkIndex(index)
                .setChunkId(file.toString().replace("-", "") + "-" + index)
                .setSize(100)
                .setChecksum(ChunkChecksum.newBuilder().setAlgorithm("CRC32C")
                        .setValue(ByteString.copyFrom(ByteBuffer.allocate(4).putInt(crc).array())))
                .addNodeIds("n1").build()).build();
    }

    EventEnvelope sealed(UUID file, int chunks) {
        return events.uploadSealed(file, UploadSealed.newBuilder()
                .setSize(chunks * 100L).setSha256("ab".repeat(32)).setChunkCount(chunks).build()).build();
    }

    void send(UUID file, EventEnvelope e) {
        files.pipeInput(file.toString(), e);
    }

    @Test
    void finalizesOnceEveryChunkIsStoredAndTheUploadIsSealed() {
        UUID f = UUID.randomUUID();
        send(f, chunk(f, 0, 10));
        send(f, chunk(f, 1, 11));
        assertTrue(calls.isEmpty(), "not sealed yet");
        send(f, sealed(f, 3));
        assertTrue(calls.isEmpty(), "chunk 2 missing");
        send(f, chunk(f, 2, 12));
        assertEquals(1, calls.size());
        assertEquals(Map.of(0, 10, 1, 11, 2, 12), calls.get(0).crcs());
        assertEquals(3, calls.get(0).seal().chunkCount());
    }

    @Test
    void aSealThatNamesTheFileHandsItsSequenceAndNamesToTheFinalizer() {
        UUID named = UUID.randomUUID();
        send(named, chunk(named, 0, 3));
        send(named, events.uploadSealed(named, UploadSealed.newBuilder().setSize(100).setSha256("ab".repeat(32))
                .setChunkCount(1).setName("naïve.txt").setContentType("text/plain").setOwner("").build())
                .setSequence(7).build());
        UUID unnamed = UUID.randomUUID();
        send(unnamed, chunk(unnamed, 0, 4));
        send(unnamed, sealed(unnamed, 1)); // as gateways sealed before they named the file
        assertEquals(2, calls.size());
        assertEquals(new UploadProgress.Seal(100, "ab".repeat(32), 1,
                Optional.of(new UploadProgress.SealEvent(7, "naïve.txt", "text/plain", ""))), calls.get(0).seal());
        assertEquals(new UploadProgress.Seal(100, "ab".repeat(32), 1), calls.get(1).seal());
    }

    @Test
    void progressKeepsTheSealsEventAndReadsEntriesWrittenBeforeIt() {
        UploadProgress.Seal named = new UploadProgress.Seal(5L << 32, "cd".repeat(32), 320,
                Optional.of(new UploadProgress.SealEvent(330, "ä/b c.bin", "application/x-ü", "carol")));
        for (UploadProgress p : List.of(UploadProgress.EMPTY, UploadProgress.EMPTY.withOneMoreChunk(),
                UploadProgress.EMPTY.withSeal(new UploadProgress.Seal(9, "ef".repeat(32), 2)).withOneMoreChunk(),
                UploadProgress.EMPTY.withOneMoreChunk().withSeal(named))) {
            assertEquals(p, UploadProgress.fromBytes(p.toBytes()));
        }
        // An entry as builds before this one wrote it: sealed flag 1, chunks, size, count, SHA-256.
        byte[] sha = "01".repeat(32).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] old = ByteBuffer.allocate(1 + 4 + 8 + 4 + 2 + sha.length).put((byte) 1).putInt(2).putLong(300).putInt(3)
                .putShort((short) sha.length).put(sha).array();
        assertEquals(new UploadProgress(Optional.of(new UploadProgress.Seal(300, "01".repeat(32), 3)), 2),
                UploadProgress.fromBytes(old));
    }

    @Test
    void duplicatedAndReorderedEventsFinalizeExactlyOnce() {
        UUID f = UUID.randomUUID();
        EventEnvelope c0 = chunk(f, 0, 7);
        EventEnvelope c1 = chunk(f, 1, 8);
        send(f, sealed(f, 2));       // the seal first
        send(f, c1);                 // then out of order
        send(f, c1);                 // a duplicate must not count as chunk 0
        assertTrue(calls.isEmpty(), "a duplicated chunk_stored counted twice");
        send(f, c0);
        send(f, c0);
        send(f, sealed(f, 2));       // a replayed seal after completion
        assertEquals(1, calls.size(), "finalized more than once: " + calls);
        assertEquals(Map.of(0, 7, 1, 8), calls.get(0).crcs());
    }

    @Test
    void aDeletedUploadIsForgottenAndNeverFinalized() {
        UUID f = UUID.randomUUID();
        send(f, chunk(f, 0, 1));
        send(f, events.deleteRequested(f, DeleteRequested.getDefaultInstance()).build());
        send(f, sealed(f, 2));
        send(f, chunk(f, 1, 2));
        assertTrue(calls.isEmpty(), "chunk 0 was forgotten, so the upload is not complete");
    }

    @Test
    void filesAreTrackedIndependently() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        send(a, sealed(a, 1));
        send(b, chunk(b, 0, 5));
        assertTrue(calls.isEmpty(), "b's chunk completed a");
        send(a, chunk(a, 0, 4));
        assertEquals(1, calls.size());
        assertEquals(a.toString(), calls.get(0).fileId());
    }
}
