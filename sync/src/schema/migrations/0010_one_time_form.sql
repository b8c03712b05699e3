-- One stored form for every time: RFC 3339 UTC to the millisecond, ending in Z, so that text
-- order (and the indexes on time columns) is time order. Earlier versions stored some times to
-- the second. Local only: nothing here becomes an op (the server rewrites its own copy). A value
-- SQLite cannot read as a time is left as it is, never emptied.

UPDATE launches SET scheduled_at = strftime('%Y-%m-%dT%H:%M:%fZ', scheduled_at)
 WHERE scheduled_at IS NOT NULL AND length(scheduled_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', scheduled_at) IS NOT NULL;
UPDATE bookings SET hold_expires_at = strftime('%Y-%m-%dT%H:%M:%fZ', hold_expires_at)
 WHERE hold_expires_at IS NOT NULL AND length(hold_expires_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', hold_expires_at) IS NOT NULL;
UPDATE bookings SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at)
 WHERE created_at IS NOT NULL AND length(created_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', created_at) IS NOT NULL;
UPDATE bookings SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', updated_at)
 WHERE updated_at IS NOT NULL AND length(updated_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', updated_at) IS NOT NULL;
UPDATE seat_blocks SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at)
 WHERE created_at IS NOT NULL AND length(created_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', created_at) IS NOT NULL;
UPDATE invoices SET issued_at = strftime('%Y-%m-%dT%H:%M:%fZ', issued_at)
 WHERE issued_at IS NOT NULL AND length(issued_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', issued_at) IS NOT NULL;
UPDATE manifests SET closed_at = strftime('%Y-%m-%dT%H:%M:%fZ', closed_at)
 WHERE closed_at IS NOT NULL AND length(closed_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', closed_at) IS NOT NULL;
UPDATE element_sets SET epoch = strftime('%Y-%m-%dT%H:%M:%fZ', epoch)
 WHERE epoch IS NOT NULL AND length(epoch) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', epoch) IS NOT NULL;
UPDATE element_sets SET imported_at = strftime('%Y-%m-%dT%H:%M:%fZ', imported_at)
 WHERE imported_at IS NOT NULL AND length(imported_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', imported_at) IS NOT NULL;
UPDATE incidents SET reported_at = strftime('%Y-%m-%dT%H:%M:%fZ', reported_at)
 WHERE reported_at IS NOT NULL AND length(reported_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', reported_at) IS NOT NULL;
UPDATE incidents SET stable_at = strftime('%Y-%m-%dT%H:%M:%fZ', stable_at)
 WHERE stable_at IS NOT NULL AND length(stable_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', stable_at) IS NOT NULL;
UPDATE incidents SET closed_at = strftime('%Y-%m-%dT%H:%M:%fZ', closed_at)
 WHERE closed_at IS NOT NULL AND length(closed_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', closed_at) IS NOT NULL;
UPDATE incident_timeline SET at = strftime('%Y-%m-%dT%H:%M:%fZ', at)
 WHERE at IS NOT NULL AND length(at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', at) IS NOT NULL;
UPDATE incident_tasks SET due_at = strftime('%Y-%m-%dT%H:%M:%fZ', due_at)
 WHERE due_at IS NOT NULL AND length(due_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', due_at) IS NOT NULL;
UPDATE incident_tasks SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', created_at)
 WHERE created_at IS NOT NULL AND length(created_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', created_at) IS NOT NULL;
UPDATE incident_attachments SET added_at = strftime('%Y-%m-%dT%H:%M:%fZ', added_at)
 WHERE added_at IS NOT NULL AND length(added_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', added_at) IS NOT NULL;
UPDATE alarm_acknowledgements SET acknowledged_at = strftime('%Y-%m-%dT%H:%M:%fZ', acknowledged_at)
 WHERE acknowledged_at IS NOT NULL AND length(acknowledged_at) <> 24 AND strftime('%Y-%m-%dT%H:%M:%fZ', acknowledged_at) IS NOT NULL;
