-- kos metadata, version 2 (metadata repositories).
-- A node's inventory is walked page by page in chunk-id order (cleanup, rebalancing):
--   WHERE node_id = ? AND state = ? AND chunk_id > ? ORDER BY chunk_id LIMIT ?
-- V1's (node_id, state) index finds the rows but must sort all of a node's copies for every
-- page; with chunk_id last, each page is a short index range scan. The new index starts with
-- the old one's columns, so the old one only costs writes and goes.
CREATE INDEX chunk_locations_node_state_chunk_idx ON chunk_locations (node_id, state, chunk_id);
DROP INDEX chunk_locations_node_idx;
