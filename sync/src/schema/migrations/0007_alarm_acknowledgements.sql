-- Alarm acknowledgements, replicated. An alarm acknowledged at one console is acknowledged at
-- every console that has it active, as at any mission-control position; and a trainer's
-- console scores the acknowledgements trainees make at theirs. Rows are only ever added.
CREATE TABLE alarm_acknowledgements (
    id               TEXT PRIMARY KEY,
    channel          TEXT NOT NULL,
    severity         TEXT NOT NULL CHECK (severity IN ('warning', 'critical')),
    acknowledged_at  TEXT NOT NULL,             -- RFC 3339 UTC, on the mission clock
    acknowledged_by  TEXT NOT NULL,
    comment          TEXT NOT NULL,
    device_id        TEXT NOT NULL,             -- the console it was made at
    demo             INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX alarm_acknowledgements_by_time ON alarm_acknowledgements (acknowledged_at);
