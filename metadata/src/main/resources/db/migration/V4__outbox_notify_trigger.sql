-- The outbox relay wakes on NOTIFY kos_outbox. A trigger sends it, once per INSERT statement,
-- instead of a NOTIFY statement after every event: one client round trip fewer per event
-- (four per upload, counting the placement service's), and no writer can forget it. As
-- before, the notification is delivered at commit, never on rollback, and repeats within a
-- transaction fold into one.
CREATE FUNCTION kos_notify_outbox() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('kos_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_rows_added
    AFTER INSERT ON outbox
    FOR EACH STATEMENT
    EXECUTE FUNCTION kos_notify_outbox();
