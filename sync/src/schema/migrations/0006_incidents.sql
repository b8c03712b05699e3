-- Incidents: from the first alarm (or a report on site) to the closed report.
--
-- The incident row carries what people edit (per column, the later edit wins) and its status,
-- whose moves the server checks (ACTIVE → STABLE → CLOSED, back to ACTIVE when it worsens or
-- is reopened). Timeline entries are only ever added: an edit, a pin or a ticked runbook step
-- is a new entry that refers to an earlier one, so two offline consoles never overwrite each
-- other's words. Telemetry snapshots stay local to the console that captured them.

-- The severity scale (SEV1 most severe); admins may reword it. Empty means the built-in scale.
CREATE TABLE incident_severities (
    id          TEXT PRIMARY KEY,           -- the code, such as "SEV1"
    rank        INTEGER NOT NULL,           -- 1 is the most severe
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    demo        INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE TABLE incidents (
    id             TEXT PRIMARY KEY,
    reference      TEXT NOT NULL,           -- "INC-7F3A2C", for people and reports
    title          TEXT NOT NULL,
    description    TEXT NOT NULL DEFAULT '',
    kind           TEXT NOT NULL CHECK (kind IN
                       ('vehicle', 'passenger_medical', 'ground_operations', 'security', 'it')),
    severity       TEXT NOT NULL,           -- a code of the severity scale
    status         TEXT NOT NULL CHECK (status IN ('active', 'stable', 'closed')),
    reported_at    TEXT NOT NULL,           -- RFC 3339 UTC
    reported_by    TEXT NOT NULL,
    stable_at      TEXT,
    closed_at      TEXT,
    -- What opened it automatically ("alarm:ls.cabin_pressure", "rule:cabin-pressure"), so a
    -- second alarm from the same source adds to it rather than opening another.
    source         TEXT,
    launch_id      TEXT REFERENCES launches (id),
    vehicle_id     TEXT REFERENCES vehicles (id),
    commander      TEXT NOT NULL DEFAULT '',
    scribe         TEXT NOT NULL DEFAULT '',
    liaison        TEXT NOT NULL DEFAULT '',
    safety_officer TEXT NOT NULL DEFAULT '',
    runbook        TEXT NOT NULL DEFAULT '',  -- the runbook in use, by id
    -- The tactical report.
    conditions     TEXT NOT NULL DEFAULT '',
    actions        TEXT NOT NULL DEFAULT '',
    needs          TEXT NOT NULL DEFAULT '',
    -- The post-incident review.
    review_summary TEXT NOT NULL DEFAULT '',
    review_causes  TEXT NOT NULL DEFAULT '',
    review_lessons TEXT NOT NULL DEFAULT '',
    demo           INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX incidents_by_status ON incidents (status, severity);
CREATE INDEX incidents_by_source ON incidents (source) WHERE source IS NOT NULL;

CREATE TABLE incident_passengers (
    id           TEXT PRIMARY KEY,
    incident_id  TEXT NOT NULL REFERENCES incidents (id),
    passenger_id TEXT NOT NULL REFERENCES passengers (id),
    demo         INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX incident_passengers_by_incident ON incident_passengers (incident_id);

CREATE TABLE incident_timeline (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    at          TEXT NOT NULL,              -- RFC 3339 UTC
    author      TEXT NOT NULL,              -- a user, or "system"
    -- note, system, status, alarm, runbook, task, edit, pin, unpin
    kind        TEXT NOT NULL,
    text        TEXT NOT NULL,
    refers_to   TEXT,                       -- the entry an edit or pin is about; a runbook step
    demo        INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX incident_timeline_by_incident ON incident_timeline (incident_id, at);

CREATE TABLE incident_tasks (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    title       TEXT NOT NULL,
    done        INTEGER NOT NULL DEFAULT 0 CHECK (done IN (0, 1)),
    assignee    TEXT NOT NULL DEFAULT '',
    priority    TEXT NOT NULL CHECK (priority IN ('high', 'medium', 'low')),
    due_at      TEXT,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    demo        INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX incident_tasks_by_incident ON incident_tasks (incident_id);

CREATE TABLE incident_attachments (
    id          TEXT PRIMARY KEY,
    incident_id TEXT NOT NULL REFERENCES incidents (id),
    file_name   TEXT NOT NULL,
    media_type  TEXT NOT NULL,
    size_bytes  INTEGER NOT NULL CHECK (size_bytes >= 0),
    content     TEXT NOT NULL,              -- base64
    added_at    TEXT NOT NULL,
    added_by    TEXT NOT NULL,
    demo        INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX incident_attachments_by_incident ON incident_attachments (incident_id);

-- Local, not replicated: the telemetry around an incident, one row per channel, times as
-- little-endian f64 and values as little-endian f32.
CREATE TABLE incident_snapshots (
    incident_id TEXT NOT NULL,
    channel     TEXT NOT NULL,
    from_t      REAL NOT NULL,
    to_t        REAL NOT NULL,
    complete    INTEGER NOT NULL DEFAULT 0 CHECK (complete IN (0, 1)),
    times       BLOB NOT NULL,
    "values"    BLOB NOT NULL,
    PRIMARY KEY (incident_id, channel)
) STRICT;
