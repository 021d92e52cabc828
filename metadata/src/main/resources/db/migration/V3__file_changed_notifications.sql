-- Gateways cache the metadata of completed files (the file row, its chunks and their copies)
-- and drop an entry when PostgreSQL says the file changed: NOTIFY kos_file_changed, '<file id>'.
-- Triggers send it, not application code, so every writer (gateway, placement's rebalancer,
-- the cleanup worker, an operator in psql) is covered and no code path can forget. The
-- notification is delivered at commit and never on rollback.
--
-- Only completed files are cached, so only changes to them notify: an upload in progress
-- (chunk rows arriving, status moving to completed) costs one indexed lookup per copy and no
-- notification.

CREATE FUNCTION kos_notify_file_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kos_file_changed', OLD.file_id::text);
    RETURN NULL;
END
$$;

-- Any change to a completed file: leaving completed (deleting), or a column touched in place.
CREATE TRIGGER files_completed_changed
    AFTER UPDATE OR DELETE ON files
    FOR EACH ROW WHEN (OLD.status = 'completed')
    EXECUTE FUNCTION kos_notify_file_changed();

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

-- A copy of a completed file's chunk added, moved, marked for deletion or removed (rebalancing,
-- node removal, cleanup). Several in one transaction fold into one notification per file.
CREATE TRIGGER chunk_locations_changed
    AFTER INSERT OR UPDATE OR DELETE ON chunk_locations
    FOR EACH ROW
    EXECUTE FUNCTION kos_notify_copy_changed();
