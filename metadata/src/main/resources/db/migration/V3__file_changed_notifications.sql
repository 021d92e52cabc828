-- Gateways keep file metadata in memory and drop it when PostgreSQL says it changed:
--   NOTIFY kos_file_changed, '<file id>'  a completed file, or a copy of one of its chunks, changed
--                                         (gateways cache completed files: row, chunks, copies);
--   NOTIFY kos_files_listed, ''           something a file list shows changed (gateways cache
--                                         rendered list pages).
-- Triggers send them, not application code, so every writer (gateway, placement's rebalancer,
-- the cleanup worker, an operator in psql) is covered and no code path can forget. A
-- notification is delivered at commit, never on rollback, and repeats within one transaction
-- fold into one.

CREATE FUNCTION kos_notify_file_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'INSERT' AND OLD.status = 'completed' THEN
        PERFORM pg_notify('kos_file_changed', OLD.file_id::text);
    END IF;
    PERFORM pg_notify('kos_files_listed', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER files_added_or_removed
    AFTER INSERT OR DELETE ON files
    FOR EACH ROW
    EXECUTE FUNCTION kos_notify_file_changed();

-- Only when a column a list or a metadata GET shows changed: bumping event_seq alone (every
-- outbox event does, several times per upload) notifies nobody. The test is written out here,
-- not in a helper function: a SQL function taking the two rows cost ~0.4 ms per UPDATE (measured:
-- 5000 event_seq bumps 3.3 s with it, 1.5 s with this, 1.3 s with no trigger), ~3 ms per upload.
CREATE TRIGGER files_shown_columns_changed
    AFTER UPDATE ON files
    FOR EACH ROW WHEN (
           OLD.status         IS DISTINCT FROM NEW.status
        OR OLD.name           IS DISTINCT FROM NEW.name
        OR OLD.content_type   IS DISTINCT FROM NEW.content_type
        OR OLD.size_bytes     IS DISTINCT FROM NEW.size_bytes
        OR OLD.sha256         IS DISTINCT FROM NEW.sha256
        OR OLD.chunk_size     IS DISTINCT FROM NEW.chunk_size
        OR OLD.chunk_count    IS DISTINCT FROM NEW.chunk_count
        OR OLD.failure_reason IS DISTINCT FROM NEW.failure_reason
        OR OLD.created_at     IS DISTINCT FROM NEW.created_at
        OR OLD.updated_at     IS DISTINCT FROM NEW.updated_at
        OR OLD.completed_at   IS DISTINCT FROM NEW.completed_at)
    EXECUTE FUNCTION kos_notify_file_changed();

-- A copy of a completed file's chunk added, moved, marked for deletion or removed (rebalancing,
-- node removal, cleanup). An upload in progress (copies arriving while the file is uploading)
-- costs one indexed lookup per copy and notifies nobody.
CREATE FUNCTION kos_notify_copy_changed() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed_chunk text;
    changed_file  uuid;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed_chunk := OLD.chunk_id;
    ELSE
        changed_chunk := NEW.chunk_id;
    END IF;
    SELECT c.file_id INTO changed_file
      FROM chunks c JOIN files f ON f.file_id = c.file_id
     WHERE c.chunk_id = changed_chunk AND f.status = 'completed';
    IF changed_file IS NOT NULL THEN
        PERFORM pg_notify('kos_file_changed', changed_file::text);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER chunk_locations_changed
    AFTER INSERT OR UPDATE OR DELETE ON chunk_locations
    FOR EACH ROW
    EXECUTE FUNCTION kos_notify_copy_changed();
