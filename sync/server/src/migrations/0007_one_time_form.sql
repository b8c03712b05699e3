-- One stored form for every time (see the replica's migration 10): the rows' times, kept as
-- JSON, to the millisecond. Ops already recorded keep their payloads; consoles store pulled
-- times in the one form whatever an op holds. A value SQLite cannot read as a time is left.

UPDATE rows SET data = json_set(data, '$.scheduled_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.scheduled_at')))
 WHERE table_name = 'launches' AND json_type(data, '$.scheduled_at') = 'text' AND length(json_extract(data, '$.scheduled_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.scheduled_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.hold_expires_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.hold_expires_at')))
 WHERE table_name = 'bookings' AND json_type(data, '$.hold_expires_at') = 'text' AND length(json_extract(data, '$.hold_expires_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.hold_expires_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.created_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.created_at')))
 WHERE table_name = 'bookings' AND json_type(data, '$.created_at') = 'text' AND length(json_extract(data, '$.created_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.created_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.updated_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.updated_at')))
 WHERE table_name = 'bookings' AND json_type(data, '$.updated_at') = 'text' AND length(json_extract(data, '$.updated_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.updated_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.created_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.created_at')))
 WHERE table_name = 'seat_blocks' AND json_type(data, '$.created_at') = 'text' AND length(json_extract(data, '$.created_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.created_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.issued_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.issued_at')))
 WHERE table_name = 'invoices' AND json_type(data, '$.issued_at') = 'text' AND length(json_extract(data, '$.issued_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.issued_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.closed_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.closed_at')))
 WHERE table_name = 'manifests' AND json_type(data, '$.closed_at') = 'text' AND length(json_extract(data, '$.closed_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.closed_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.epoch', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.epoch')))
 WHERE table_name = 'element_sets' AND json_type(data, '$.epoch') = 'text' AND length(json_extract(data, '$.epoch')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.epoch')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.imported_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.imported_at')))
 WHERE table_name = 'element_sets' AND json_type(data, '$.imported_at') = 'text' AND length(json_extract(data, '$.imported_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.imported_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.reported_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.reported_at')))
 WHERE table_name = 'incidents' AND json_type(data, '$.reported_at') = 'text' AND length(json_extract(data, '$.reported_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.reported_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.stable_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.stable_at')))
 WHERE table_name = 'incidents' AND json_type(data, '$.stable_at') = 'text' AND length(json_extract(data, '$.stable_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.stable_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.closed_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.closed_at')))
 WHERE table_name = 'incidents' AND json_type(data, '$.closed_at') = 'text' AND length(json_extract(data, '$.closed_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.closed_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.at')))
 WHERE table_name = 'incident_timeline' AND json_type(data, '$.at') = 'text' AND length(json_extract(data, '$.at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.due_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.due_at')))
 WHERE table_name = 'incident_tasks' AND json_type(data, '$.due_at') = 'text' AND length(json_extract(data, '$.due_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.due_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.created_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.created_at')))
 WHERE table_name = 'incident_tasks' AND json_type(data, '$.created_at') = 'text' AND length(json_extract(data, '$.created_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.created_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.added_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.added_at')))
 WHERE table_name = 'incident_attachments' AND json_type(data, '$.added_at') = 'text' AND length(json_extract(data, '$.added_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.added_at')) IS NOT NULL;
UPDATE rows SET data = json_set(data, '$.acknowledged_at', strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.acknowledged_at')))
 WHERE table_name = 'alarm_acknowledgements' AND json_type(data, '$.acknowledged_at') = 'text' AND length(json_extract(data, '$.acknowledged_at')) <> 24
   AND strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(data, '$.acknowledged_at')) IS NOT NULL;
