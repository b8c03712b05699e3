-- Telemetry history, local to each console: every console archives the samples it receives,
-- so these tables are not in the sync manifest and never travel to the server.

CREATE TABLE telemetry_channels (
    id   INTEGER PRIMARY KEY,
    -- The dictionary's channel id, such as "ls.cabin_pressure".
    name TEXT NOT NULL UNIQUE
) STRICT;

CREATE TABLE telemetry_samples (
    channel INTEGER NOT NULL REFERENCES telemetry_channels (id),
    -- Unix seconds, UTC.
    t       REAL NOT NULL,
    value   REAL NOT NULL
) STRICT;

-- History is read one channel and one time range at a time.
CREATE INDEX telemetry_samples_by_channel_time ON telemetry_samples (channel, t);
