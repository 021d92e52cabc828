-- Gateways keep file metadata in memory and drop it when PostgreSQL says it changed:
--   NOTIFY kos_file_changed, '<file id>'  a completed file, or a copy of one of its chunks, changed
--                                         (gateways cache completed files: row, chunks, copies);
--   NOTIFY kos_files_listed, ''           something a file list shows changed (gateways cache
--                                         rendered list pages).
-- Triggers send them, not application code, so every writer (gateway, placement's rebalancer,
-- the cleanup worker, an operator in psql) is covered and no code path can forget. A
-- notification is delivered at commit, never on rollback, and repeats within one transaction
-- fold into one.

-- What a list or a metadata GET shows of a file. Bumping event_seq alone (every outbox event
-- does) changes none of it, so it notifies nobody.
CREATE FUNCTION kos_file_shown_columns_differ(o files, n files) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
    SELECT (o.name, o.content_type, o.size_bytes, o.sha256, o.status, o.chunk_size, o.chunk_count,
            o.failure_reason, o.created_at, o.updated_at, o.completed_at)
           IS DISTINCT FROM
           (n.name, n.content_type, n.size_bytes, n.sha256, n.status, n.chunk_size, n.chunk_count,
            n.failure_reason, n.created_at, n.updated_at, n.completed_at)
$$;

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

CREATE TRIGGER files_shown_columns_changed
    AFTER UPDATE ON files
    FOR EACH ROW WHEN (kos_file_shown_columns_differ(OLD, NEW))
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
