-- kos metadata, version 1. Flyway owns this schema; never edit a released migration, add one.
-- Times are timestamptz (UTC); sizes are bytes; checksums of chunks are CRC32C (4 bytes,
-- big-endian) and of files SHA-256 (lowercase hex).

-- Storage nodes register themselves and heartbeat. A node is in the ring when its status is
-- 'active' and its last heartbeat is younger than the inactivity timeout (30 s by default).
CREATE TABLE storage_nodes (
    node_id          text        PRIMARY KEY CHECK (node_id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    address          text        NOT NULL,                 -- host:port of its gRPC server
    status           text        NOT NULL DEFAULT 'active'
                     CHECK (status IN ('active', 'inactive', 'draining', 'removed')),
    capacity_bytes   bigint      NOT NULL DEFAULT 0,
    free_bytes       bigint      NOT NULL DEFAULT 0,
    chunk_count      bigint      NOT NULL DEFAULT 0,
    virtual_nodes    integer     NOT NULL DEFAULT 150 CHECK (virtual_nodes > 0),
    registered_at    timestamptz NOT NULL DEFAULT now(),
    last_heartbeat   timestamptz NOT NULL DEFAULT now(),
    status_changed_at timestamptz NOT NULL DEFAULT now(),
    event_seq        bigint      NOT NULL DEFAULT 0        -- last sequence used for this node's events
);

-- Ring epoch: bumped in the same transaction as every membership change, so every service
-- can tell cheaply whether its ring is stale.
CREATE TABLE ring_state (
    id         integer     PRIMARY KEY DEFAULT 1 CHECK (id = 1),
    epoch      bigint      NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO ring_state (id, epoch) VALUES (1, 0);

-- Files. status: pending -> uploading -> completed, or -> failed | expired;
-- completed|failed|expired -> deleting -> deleted. Guards live in the repository (UPDATE ...
-- WHERE status IN (allowed predecessors)).
CREATE TABLE files (
    file_id        uuid        PRIMARY KEY,
    name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 1024),
    content_type   text        NOT NULL,
    size_bytes     bigint      CHECK (size_bytes >= 0),    -- known once sealed
    sha256         text        CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    status         text        NOT NULL
                   CHECK (status IN ('pending', 'uploading', 'completed', 'failed', 'expired', 'deleting', 'deleted')),
    owner          text,
    chunk_size     bigint      NOT NULL CHECK (chunk_size > 0),
    chunk_count    integer     CHECK (chunk_count >= 0),   -- known once sealed
    failure_reason text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    sealed_at      timestamptz,
    completed_at   timestamptz,
    deleted_at     timestamptz,
    event_seq      bigint      NOT NULL DEFAULT 0          -- last sequence used for this file's events
);
-- Listing: by created_at (asc or desc, keyset-friendly), optionally filtered by status.
CREATE INDEX files_created_idx        ON files (created_at, file_id);
CREATE INDEX files_status_created_idx ON files (status, created_at, file_id);

-- Chunks of a file, in order. chunk_id is globally unique and is the ring key.
CREATE TABLE chunks (
    file_id      uuid    NOT NULL REFERENCES files (file_id) ON DELETE CASCADE,
    chunk_index  integer NOT NULL CHECK (chunk_index >= 0),
    chunk_id     text    NOT NULL UNIQUE CHECK (chunk_id ~ '^[A-Za-z0-9_-]{1,128}$'),
    size_bytes   bigint  NOT NULL CHECK (size_bytes >= 0),
    crc32c       bytea   NOT NULL CHECK (length(crc32c) = 4),
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (file_id, chunk_index)
);

-- Where copies of a chunk live. Several rows per chunk allow replication, erasure coding and
-- moves without a schema change. state: 'stored' (verified copy, readable), 'copying'
-- (a move in progress, not yet readable), 'deleting' (to be removed from the node).
CREATE TABLE chunk_locations (
    chunk_id   text        NOT NULL REFERENCES chunks (chunk_id) ON DELETE CASCADE,
    node_id    text        NOT NULL REFERENCES storage_nodes (node_id),
    state      text        NOT NULL CHECK (state IN ('stored', 'copying', 'deleting')),
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chunk_id, node_id)
);
CREATE INDEX chunk_locations_node_idx ON chunk_locations (node_id, state);

-- One open upload per file while it streams. Progress pushes expires_at forward, so a slow
-- but live upload never expires; an abandoned one expires after the TTL (24 h by default).
CREATE TABLE upload_sessions (
    file_id          uuid        PRIMARY KEY REFERENCES files (file_id) ON DELETE CASCADE,
    gateway_id       text        NOT NULL,
    bytes_received   bigint      NOT NULL DEFAULT 0,
    started_at       timestamptz NOT NULL DEFAULT now(),
    last_progress_at timestamptz NOT NULL DEFAULT now(),
    expires_at       timestamptz NOT NULL
);
CREATE INDEX upload_sessions_expires_idx ON upload_sessions (expires_at);

-- Transactional outbox: an event is inserted in the same transaction as the state change it
-- reports; a relay publishes rows in id order (idempotent producer, acks=all) and deletes them
-- once Kafka acknowledged them. A crash between commit and publish loses nothing: the row
-- stays until it is published (at least once; consumers de-duplicate by event_id).
CREATE TABLE outbox (
    id          bigserial   PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    topic       text        NOT NULL,
    record_key  text        NOT NULL,
    event_type  text        NOT NULL,
    payload     bytea       NOT NULL,                      -- a serialized kos.events.v1.EventEnvelope
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Idempotent consumers: an event's effect and its row here commit in one transaction, so a
-- replayed event is recognised and skipped.
CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
