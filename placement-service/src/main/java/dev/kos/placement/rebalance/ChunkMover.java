package dev.kos.placement.rebalance;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRecord;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.FileStatus;
import dev.kos.metadata.LocationState;
import dev.kos.placement.rebalance.MoveResult.Outcome;
import dev.kos.ring.RingNode;
import dev.kos.schemas.events.v1.ChunkMoved;
import dev.kos.storageclient.ChunkReadStream;
import dev.kos.storageclient.NodeUnavailableException;
import dev.kos.storageclient.StorageClientException;
import dev.kos.storageclient.StorageNodeClients;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.zip.CRC32C;

/**
 * Moves one chunk copy to the chunk's owner, in three steps that each leave the metadata true:
 * <ol>
 *   <li>claim (one transaction): the file is still completed, the owner gets a {@code copying}
 *       row. The row comes before any byte lands on the owner, so a crash never leaves bytes
 *       the metadata does not account for (the orphan collector only collects chunk ids it
 *       does not know at all); the next pass finds the row and resumes or abandons it.</li>
 *   <li>copy: GetChunk from a stored copy into a bounded buffer, checked against the CRC32C in
 *       the metadata and throttled, then PutChunk on the owner, which verifies it again.</li>
 *   <li>switch (one transaction): owner {@code copying -> stored}, chunk_moved, every other
 *       stored copy {@code -> deleting}. Readers always find a stored copy whose bytes exist;
 *       the cleanup worker's reaper deletes the old copy later (one way to delete).</li>
 * </ol>
 * Both transactions lock the file row first, as the cleanup worker does, so a delete racing a
 * move is serialized with it: a move that finds the file no longer completed hands its new
 * copy to the reaper instead of publishing it.
 */
final class ChunkMover {
    private final Database db;
    private final StorageNodeClients clients;
    private final ChunkBuffers buffers;
    private final TokenBucket bandwidth;
    private final Events events;
    private final Duration putDeadline;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final RebalanceQueries queries = new RebalanceQueries();

    ChunkMover(Database db, StorageNodeClients clients, ChunkBuffers buffers, TokenBucket bandwidth, Events events,
               Duration putDeadline) {
        this.db = db;
        this.clients = clients;
        this.buffers = buffers;
        this.bandwidth = bandwidth;
        this.events = events;
        this.putDeadline = putDeadline;
    }

    private sealed interface Claim {
    }

    private record CopyFrom(String sourceNode) implements Claim {
    }

    private record Settled(MoveResult result) implements Claim {
    }

    /** Moves {@code copy} to {@code target}; interrupted only by the rebalancer closing. */
    MoveResult move(StoredCopy copy, RingNode target, PlacementPolicy policy) throws InterruptedException {
        Claim claim = db.inTransaction(c -> claim(c, copy, target.nodeId(), policy));
        if (claim instanceof Settled s) {
            return s.result();
        }
        String source = ((CopyFrom) claim).sourceNode();
        MoveResult copied = copy(copy, source, policy.address(source), target);
        if (copied.outcome() != Outcome.MOVED) {
            // The copying row stays: the next pass resumes the move, or abandons it if the owner changed.
            return copied;
        }
        MoveResult switched = db.inTransaction(c -> switchOver(c, copy, source, target.nodeId()));
        return switched.outcome() == Outcome.MOVED ? copied : switched;
    }

    private Claim claim(Connection c, StoredCopy copy, String target, PlacementPolicy policy) throws SQLException {
        Optional<FileRecord> file = files.lockForUpdate(c, copy.fileId());
        if (file.isEmpty() || file.get().status() != FileStatus.COMPLETED) {
            return new Settled(MoveResult.of(Outcome.GONE, "file is " + file.map(f -> f.status().dbValue()).orElse("gone")));
        }
        Map<String, LocationState> copies = queries.locationsOf(c, copy.chunkId());
        if (copies.get(copy.nodeId()) != LocationState.STORED) {
            return new Settled(MoveResult.of(Outcome.GONE, "the copy on " + copy.nodeId() + " changed meanwhile"));
        }
        LocationState onTarget = copies.get(target);
        if (onTarget == LocationState.STORED) {
            retireOthers(c, copy.chunkId(), copies, target);
            return new Settled(MoveResult.of(Outcome.RETIRED, target + " already holds a verified copy"));
        }
        if (onTarget == LocationState.DELETING) {
            // Reviving it would race the reaper, which may be deleting those very bytes now.
            return new Settled(MoveResult.of(Outcome.TARGET_BUSY, target + " still holds a copy being deleted"));
        }
        Optional<String> source = policy.readable(copy.nodeId()) ? Optional.of(copy.nodeId())
                : copies.entrySet().stream()
                        .filter(e -> e.getValue() == LocationState.STORED && !e.getKey().equals(target) && policy.readable(e.getKey()))
                        .map(Map.Entry::getKey).findFirst();
        if (source.isEmpty()) {
            return new Settled(MoveResult.of(Outcome.NO_SOURCE, "no stored copy on a readable node (" + copies + ")"));
        }
        if (onTarget == null) {
            chunks.addLocation(c, copy.chunkId(), target, LocationState.COPYING);
        }
        return new CopyFrom(source.get());
    }

    private MoveResult copy(StoredCopy copy, String sourceNode, String sourceAddress, RingNode target) throws InterruptedException {
        if (copy.size() > Integer.MAX_VALUE - 8) {
            return MoveResult.of(Outcome.FAILED, "chunk of " + copy.size() + " bytes is too large to move");
        }
        ByteBuffer buffer;
        try {
            buffer = buffers.take(copy.size());
        } catch (IllegalArgumentException e) {
            return MoveResult.of(Outcome.FAILED, e.getMessage());
        }
        try {
            MoveResult read = read(copy, sourceNode, sourceAddress, buffer);
            if (read != null) {
                return read;
            }
            try {
                clients.client(target.address()).put(copy.chunkId(), buffer, copy.crc32c(), putDeadline);
            } catch (CancellationException e) {
                throw interrupted(e);
            } catch (NodeUnavailableException e) {
                throwIfInterrupted(e);
                return MoveResult.unreachable(target.nodeId(), "put on " + target.nodeId() + ": " + e.getMessage());
            } catch (StorageClientException e) {
                return MoveResult.of(Outcome.FAILED, "put on " + target.nodeId() + ": " + e.getMessage());
            }
            return new MoveResult(Outcome.MOVED, copy.size(), "", Optional.empty());
        } finally {
            buffers.give(buffer);
        }
    }

    /** Fills {@code buffer} with the verified chunk; null on success, else why not. */
    private MoveResult read(StoredCopy copy, String sourceNode, String sourceAddress, ByteBuffer buffer)
            throws InterruptedException {
        byte[] bytes = buffer.array();
        int base = buffer.arrayOffset();
        int size = (int) copy.size();
        int filled = 0;
        boolean longer;
        try (ChunkReadStream in = clients.client(sourceAddress).openRead(copy.chunkId(), 0, 0)) {
            while (filled < size) {
                int n = in.read(bytes, base + filled, size - filled);
                if (n < 0) {
                    break;
                }
                filled += n;
                bandwidth.take(n);
            }
            longer = filled == size && in.read() >= 0;
        } catch (NodeUnavailableException e) {
            throwIfInterrupted(e);
            return MoveResult.unreachable(sourceNode, "read from " + sourceNode + ": " + e.getMessage());
        } catch (StorageClientException | java.io.IOException e) {
            return MoveResult.of(Outcome.FAILED, "read from " + sourceNode + ": " + e.getMessage());
        }
        if (filled != size || longer) {
            return MoveResult.of(Outcome.FAILED, "copy on " + sourceNode + " has " + (longer ? "more than " : "") + filled
                    + " bytes, the metadata says " + size);
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, base, size);
        if ((int) crc.getValue() != copy.crc32c()) {
            return MoveResult.of(Outcome.FAILED, String.format("copy on %s has crc32c %08x, the metadata says %08x",
                    sourceNode, (int) crc.getValue(), copy.crc32c()));
        }
        buffer.position(0).limit(size);
        return null;
    }

    private MoveResult switchOver(Connection c, StoredCopy copy, String source, String target) throws SQLException {
        Optional<FileRecord> file = files.lockForUpdate(c, copy.fileId());
        if (file.isEmpty() || file.get().status() != FileStatus.COMPLETED) {
            // Deleted while we copied: the new copy is the reaper's, like every other copy of the file.
            chunks.setLocationState(c, copy.chunkId(), target, LocationState.COPYING, LocationState.DELETING);
            return MoveResult.of(Outcome.GONE, "file is " + file.map(f -> f.status().dbValue()).orElse("gone") + " after the copy");
        }
        if (!chunks.setLocationState(c, copy.chunkId(), target, LocationState.COPYING, LocationState.STORED)) {
            return MoveResult.of(Outcome.GONE, "the copying row on " + target + " changed meanwhile");
        }
        retireOthers(c, copy.chunkId(), queries.locationsOf(c, copy.chunkId()), target);
        OutboxWriter.append(c, events.chunkMoved(copy.fileId(), ChunkMoved.newBuilder()
                .setChunkId(copy.chunkId()).setFromNode(copy.nodeId()).setToNode(target).setSize(copy.size()).build()));
        return new MoveResult(Outcome.MOVED, copy.size(), source, Optional.empty());
    }

    /** One copy per chunk, on its owner: every other stored copy goes to the reaper. */
    private void retireOthers(Connection c, String chunkId, Map<String, LocationState> copies, String keep) throws SQLException {
        for (Map.Entry<String, LocationState> e : copies.entrySet()) {
            if (!e.getKey().equals(keep) && e.getValue() == LocationState.STORED) {
                chunks.setLocationState(c, chunkId, e.getKey(), LocationState.STORED, LocationState.DELETING);
            }
        }
    }

    private static void throwIfInterrupted(Exception e) throws InterruptedException {
        if (Thread.currentThread().isInterrupted()) {
            throw interrupted(e);
        }
    }

    private static InterruptedException interrupted(Exception cause) {
        Thread.interrupted();
        InterruptedException ie = new InterruptedException("move interrupted: " + cause.getMessage());
        ie.initCause(cause);
        return ie;
    }

}
