-- A deleted row keeps the cursor of its deletion, so that the purge after each pull reads
-- only the tombstones it may forget, oldest first and a batch at a time, instead of every
-- tombstone and its ops under the server's lock.
ALTER TABLE rows ADD COLUMN deleted_at INTEGER;

UPDATE rows SET deleted_at = coalesce((
    SELECT max(o.cursor) FROM ops o
    WHERE o.table_name = rows.table_name AND o.row_id = rows.row_id AND o.kind = 'delete'
), 0)
WHERE deleted = 1;

DROP INDEX rows_tombstones;
CREATE INDEX rows_tombstones ON rows (deleted_at) WHERE deleted = 1;
