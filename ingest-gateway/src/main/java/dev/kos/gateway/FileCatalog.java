package dev.kos.gateway;

import dev.kos.events.Events;
import dev.kos.events.OutboxWriter;
import dev.kos.metadata.ChunkLocation;
import dev.kos.metadata.ChunkRepository;
import dev.kos.metadata.Database;
import dev.kos.metadata.FileRepository;
import dev.kos.metadata.NewFile;
import dev.kos.metadata.Page;
import dev.kos.metadata.SortOrder;
import dev.kos.metadata.UploadSessionRepository;
import dev.kos.schemas.events.v1.AbortReason;
import dev.kos.schemas.events.v1.ChunkChecksum;
import dev.kos.schemas.events.v1.ChunkStored;
import dev.kos.schemas.events.v1.DeleteRequested;
import dev.kos.schemas.events.v1.UploadAborted;
import dev.kos.schemas.events.v1.UploadSealed;
import dev.kos.schemas.events.v1.UploadStarted;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * The catalog on PostgreSQL through the metadata repositories. Every state change commits in
 * one transaction with its outbox event (OutboxWriter), so Kafka consumers see exactly the
 * changes that happened, even if the gateway dies right after a commit.
 */
public final class PostgresFileCatalog implements FileCatalog {
    private final Database db;
    private final Events events;
    private final NodeDirectory nodes;
    private final String gatewayId;
    private final Duration sessionTtl;
    private final FileRepository files = new FileRepository();
    private final ChunkRepository chunks = new ChunkRepository();
    private final UploadSessionRepository sessions = new UploadSessionRepository();

    public PostgresFileCatalog(Database db, Events events, NodeDirectory nodes, String gatewayId, Duration sessionTtl) {
        this.db = db;
        this.events = events;
        this.nodes = nodes;
        this.gatewayId = gatewayId;
        this.sessionTtl = sessionTtl;
    }

    @Override
    public void begin(NewUpload u) {
        db.inTransaction(c -> {
            files.create(c, new NewFile(u.fileId(), u.name(), u.contentType(), Optional.empty(), u.chunkSize()));
            sessions.open(c, u.fileId(), gatewayId, sessionTtl);
            OutboxWriter.append(c, events.uploadStarted(u.fileId(), UploadStarted.newBuilder()
                    .setName(u.name()).setContentType(u.contentType()).setDeclaredSize(u.declaredSize())
                    .setChunkSize(u.chunkSize()).build()));
            return null;
        });
    }

    @Override
    public void chunkStored(UUID fileId, StoredChunk chunk, long bytesReceived) {
        db.inTransaction(c -> {
            files.startUpload(c, fileId); // pending -> uploading with the first chunk; a no-op after
            if (!sessions.progress(c, fileId, bytesReceived, sessionTtl)) {
                throw new ApiException(io.helidon.http.Status.CONFLICT_409, "upload_expired",
                        "the upload session of " + fileId + " expired or was closed");
            }
            chunks.addChunk(c, fileId, chunk.index(), chunk.chunkId(), chunk.size(), chunk.crc32c(), chunk.nodeId());
            OutboxWriter.append(c, events.chunkStored(fileId, ChunkStored.newBuilder()
                    .setChunkIndex(chunk.index()).setChunkId(chunk.chunkId()).setSize(chunk.size())
                    .setChecksum(ChunkChecksum.newBuilder().setAlgorithm("CRC32C")
                            .setValue(ByteString.copyFrom(ByteBuffer.allocate(4).putInt(chunk.crc32c()).array())))
                    .addNodeIds(chunk.nodeId()).build()));
            return null;
        });
    }

    @Override
    public void seal(UUID fileId, UploadResult result) {
        db.inTransaction(c -> {
            files.startUpload(c, fileId); // an empty file never stored a chunk
            if (!files.seal(c, fileId, result.size(), result.sha256(), result.chunks().size())) {
                throw new ApiException(io.helidon.http.Status.CONFLICT_409, "upload_expired",
                        "file " + fileId + " is no longer uploading (expired or deleted meanwhile)");
            }
            sessions.close(c, fileId);
            OutboxWriter.append(c, events.uploadSealed(fileId, UploadSealed.newBuilder()
                    .setSize(result.size()).setSha256(result.sha256()).setChunkCount(result.chunks().size()).build()));
            return null;
        });
    }

    @Override
    public void fail(UUID fileId, String reason) {
        db.inTransaction(c -> {
            long received = sessions.find(c, fileId).map(s -> s.bytesReceived()).orElse(0L);
            if (files.fail(c, fileId, reason)) {
                sessions.close(c, fileId);
                OutboxWriter.append(c, events.uploadAborted(fileId, UploadAborted.newBuilder()
                        .setReason(abortReason(reason)).setMessage(reason).setBytesReceived(received).build()));
            }
            return null;
        });
    }

    static AbortReason abortReason(String reason) {
        String code = reason.contains(":") ? reason.substring(0, reason.indexOf(':')) : reason;
        return switch (code) {
            case "checksum_mismatch" -> AbortReason.CHECKSUM_MISMATCH;
            case "too_large", "too_many_chunks" -> AbortReason.TOO_LARGE;
            case "no_storage_nodes", "storage_unavailable", "storage_full", "gateway_busy" -> AbortReason.STORAGE_UNAVAILABLE;
            case "idle_timeout", "body_incomplete", "bad_multipart" -> AbortReason.CLIENT_GONE;
            case "upload_expired" -> AbortReason.EXPIRED;
            default -> AbortReason.INTERNAL;
        };
    }

    @Override
    public Optional<FileRecord> find(UUID fileId) {
        return files.find(db, fileId).map(PostgresFileCatalog::toApi);
    }

    @Override
    public List<ChunkRecord> chunks(UUID fileId) {
        List<ChunkRecord> out = new ArrayList<>();
        for (dev.kos.metadata.ChunkRecord c : chunks.chunksOf(db, fileId)) {
            List<ChunkRecord.Location> locations = new ArrayList<>();
            for (ChunkLocation l : c.locations()) {
                if (l.isReadable()) {
                    nodes.addressOf(l.nodeId()).ifPresent(a -> locations.add(new ChunkRecord.Location(l.nodeId(), a)));
                }
            }
            out.add(new ChunkRecord(c.index(), c.chunkId(), c.size(), c.crc32c(), locations));
        }
        return out;
    }

    @Override
    public FilePage list(FileQuery q) {
        Page<dev.kos.metadata.FileRecord> page = files.list(db, new dev.kos.metadata.FileQuery(
                q.status().map(s -> dev.kos.metadata.FileStatus.valueOf(s.name())),
                q.newestFirst() ? SortOrder.DESC : SortOrder.ASC, q.page(), q.perPage()));
        return new FilePage(page.items().stream().map(PostgresFileCatalog::toApi).toList(), page.total());
    }

    @Override
    public Optional<FileStatus> requestDelete(UUID fileId) {
        return db.inTransaction(c -> {
            Optional<dev.kos.metadata.FileRecord> f = files.lockForUpdate(c, fileId);
            if (f.isEmpty() || !f.get().status().listedByDefault()) {
                return Optional.<FileStatus>empty();
            }
            FileStatus before = FileStatus.valueOf(f.get().status().name());
            if (before == FileStatus.PENDING || before == FileStatus.UPLOADING) {
                return Optional.of(before);
            }
            if (files.markDeleting(c, fileId)) {
                OutboxWriter.append(c, events.deleteRequested(fileId, DeleteRequested.newBuilder().build()));
            }
            return Optional.of(before);
        });
    }

    @Override
    public Optional<FileRecord> awaitSettled(UUID fileId, Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        long pause = 10;
        while (true) {
            Optional<FileRecord> f = find(fileId);
            if (f.isEmpty() || f.get().status() != FileStatus.UPLOADING || System.nanoTime() >= deadline) {
                return f;
            }
            // Backs off to 200 ms: the placement service usually finalizes within tens of ms.
            long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
            Thread.sleep(Math.min(pause, left));
            pause = Math.min(200, pause * 2);
        }
    }

    private static FileRecord toApi(dev.kos.metadata.FileRecord f) {
        return new FileRecord(f.fileId(), f.name(), f.contentType(), f.sizeBytes().orElse(null), f.sha256().orElse(null),
                FileStatus.valueOf(f.status().name()), f.chunkSize(), f.chunkCount().orElse(null),
                f.failureReason().orElse(null), f.createdAt(), f.updatedAt(), f.completedAt().orElse(null));
    }
}
