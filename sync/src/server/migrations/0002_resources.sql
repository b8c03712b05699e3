-- Finds the live rows holding a resource (one active booking per launch and seat) without
-- reading every booking: the manifest's exclusive rules name at most two key columns.
CREATE INDEX rows_by_resource ON rows (
    table_name,
    json_extract(data, '$.launch_id'),
    json_extract(data, '$.seat_id')
) WHERE deleted = 0;
