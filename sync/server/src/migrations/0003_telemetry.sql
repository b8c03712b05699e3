-- Telemetry from ground-segment producers, relayed live to consoles. `seq` orders every
-- point and is never reused (AUTOINCREMENT), so a console that reconnects asks for what came
-- after the last one it saw. Kept for a day (see TELEMETRY_RETENTION): the consoles archive
-- what they receive; the server holds enough for any console to catch up after an outage.
CREATE TABLE telemetry (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    t           REAL NOT NULL,
    channel     TEXT NOT NULL,
    value       REAL NOT NULL,
    producer    TEXT NOT NULL,
    received_at REAL NOT NULL
) STRICT;

CREATE INDEX telemetry_by_arrival ON telemetry (received_at);
