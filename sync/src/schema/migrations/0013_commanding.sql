-- Commanding, replicated: the command queue every console shares, and each command's stages.
-- A two-person command queued at one console is approved at another; the console that queued
-- it uplinks it (to its simulator, or through the server to the ground segment) and verifies
-- it against telemetry. The server checks every row against the command dictionary.
CREATE TABLE commands (
    id               TEXT PRIMARY KEY,
    name             TEXT NOT NULL,              -- as in assets/commands ("PWR.BUS_B_ENABLE")
    arguments        TEXT NOT NULL,              -- JSON object, argument name to value
    priority         TEXT NOT NULL CHECK (priority IN ('urgent', 'normal', 'routine')),
    queue_position   REAL NOT NULL,              -- order within a priority, smallest first
    status           TEXT NOT NULL CHECK (status IN ('queued', 'approved', 'released', 'sent',
                                                     'verified', 'failed', 'cancelled')),
    hazard_confirmed INTEGER NOT NULL CHECK (hazard_confirmed IN (0, 1)),
    queued_by        TEXT NOT NULL,              -- the server writes who signed in
    queued_at        TEXT NOT NULL,              -- RFC 3339 UTC
    device_id        TEXT NOT NULL               -- the console that uplinks it
) STRICT;

CREATE INDEX commands_by_status ON commands (status);

-- Every stage of every command, with who and when. Rows are only ever added.
CREATE TABLE command_stages (
    id          TEXT PRIMARY KEY,
    command_id  TEXT NOT NULL REFERENCES commands (id),
    stage       TEXT NOT NULL CHECK (stage IN ('queued', 'approved', 'released', 'sent',
                                               'verified', 'failed', 'cancelled')),
    at          TEXT NOT NULL,                   -- RFC 3339 UTC, on the mission clock
    by_user     TEXT NOT NULL,                   -- the server writes who signed in
    device_id   TEXT NOT NULL,                   -- the console it happened at
    detail      TEXT NOT NULL                    -- which verifier, what was seen, why
) STRICT;

CREATE INDEX command_stages_by_command ON command_stages (command_id, at);
