-- Training sessions. Each session's replicated rows and telemetry live in a database of their
-- own (a namespace: see server::training); this database only names the sessions, holds the
-- clock the trainer runs them on, and remembers which devices are training sandboxes, so an op
-- from one is refused on the operational tables even if its console forgets to say so.
CREATE TABLE training_sessions (
    id          TEXT PRIMARY KEY,
    scenario    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    clock       TEXT NOT NULL
) STRICT;

CREATE TABLE training_devices (
    device_id   TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES training_sessions (id),
    first_seen  TEXT NOT NULL
) STRICT;
