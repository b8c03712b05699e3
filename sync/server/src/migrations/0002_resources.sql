-- Finds the live bookings holding a seat (the manifest's rule: one active booking per launch
-- and seat) without reading every booking. Partial, so other tables' rows pay nothing for it.
CREATE INDEX rows_by_seat ON rows (
    json_extract(data, '$.launch_id'),
    json_extract(data, '$.seat_id')
) WHERE table_name = 'bookings' AND deleted = 0;

-- Tombstones, so that the purge run after each pull finds them without reading every row.
CREATE INDEX rows_tombstones ON rows (table_name, row_id) WHERE deleted = 1;
