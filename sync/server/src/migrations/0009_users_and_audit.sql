-- User management and the audit log.

-- A disabled user cannot sign in, and their tokens stop working at once.
ALTER TABLE users ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0;

-- Append only: sign-ins, failed sign-ins, sign-outs, user changes, refused ops and refused
-- devices, with who, from where and when. Nothing in the server updates or deletes a row.
CREATE TABLE audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    -- The signed-in user, the name a failed sign-in gave, or "command line".
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    -- What it was done to (a user, a device), when not the actor.
    subject TEXT,
    detail  TEXT NOT NULL DEFAULT '',
    address TEXT
) STRICT;

CREATE INDEX audit_by_time ON audit (at);

-- Training sessions have members: only they read or write a session. Its trainer is one; the
-- trainees are named when it opens. Sessions opened before keep their trainer alone.
CREATE TABLE training_members (
    session_id TEXT NOT NULL REFERENCES training_sessions (id),
    user       TEXT NOT NULL,
    PRIMARY KEY (session_id, user)
) STRICT;
INSERT INTO training_members (session_id, user) SELECT id, created_by FROM training_sessions;

-- Machines as well as people: an API token of a service account (a Prometheus scraper, a
-- ground-segment producer) lives long, is revocable, and does one thing only: its scope
-- ('metrics' or 'telemetry'). NULL: a person's sign-in. Its name, for listing and revoking.
ALTER TABLE tokens ADD COLUMN scope TEXT;
ALTER TABLE tokens ADD COLUMN label TEXT;
