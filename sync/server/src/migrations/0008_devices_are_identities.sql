-- Devices are identities. A console registers its device at sign-in with a secret key only its
-- replica holds (the server keeps the key's hash); the token it gets is bound to that device,
-- and a push or pull with the token is that device's, whatever the request names.

-- The device a token is bound to (NULL: a sign-in without a device, such as a telemetry
-- producer's or an older console's).
ALTER TABLE tokens ADD COLUMN device_id TEXT;

-- SHA-256 of the device's key (NULL: seen before keys, not claimed yet); whether it is a
-- training sandbox, which can never push to operational tables; who registered it and when.
ALTER TABLE devices ADD COLUMN key_hash TEXT;
ALTER TABLE devices ADD COLUMN training INTEGER NOT NULL DEFAULT 0;
ALTER TABLE devices ADD COLUMN registered_by TEXT;
ALTER TABLE devices ADD COLUMN registered_at TEXT;

-- The table of the op a stored refusal answers, so that a refusal sent again is filtered
-- by its own table, not by what the request names.
ALTER TABLE op_results ADD COLUMN table_name TEXT;

-- A training session's pull could name any device and mark it a sandbox for good, locking an
-- operational console out. Devices whose ops are operational are no sandbox: set them free.
DELETE FROM training_devices WHERE device_id IN (SELECT DISTINCT device_id FROM ops);
