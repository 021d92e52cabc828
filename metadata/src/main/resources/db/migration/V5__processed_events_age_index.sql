-- The cleanup worker prunes processed_events rows older than cleanup.processed-events-retention
-- (oldest first, a batch at a time): this index makes each batch a range of the index, not a
-- scan of a table that grows with every deletion the worker acts on.
CREATE INDEX processed_events_age ON processed_events (processed_at);
