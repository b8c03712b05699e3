-- Sync bookkeeping: the outbox of local edits not yet accepted by the server, the conflicts
-- inbox of edits it rejected, and the history of sync runs.

CREATE TABLE outbox (
    -- The per-device sequence number: AUTOINCREMENT never reuses one, even after deletes.
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id      TEXT NOT NULL UNIQUE,
    hlc        TEXT NOT NULL,
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('insert', 'update', 'delete')),
    -- JSON object: the whole row for an insert, the changed columns for an update.
    payload    TEXT NOT NULL,
    created_at TEXT NOT NULL
) STRICT;

-- Pulled ops look up unsent local edits of the same row.
CREATE INDEX outbox_by_row ON outbox (table_name, row_id);

CREATE TABLE conflicts (
    id          TEXT PRIMARY KEY,
    op_id       TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    -- What this console tried to write (JSON).
    attempted   TEXT NOT NULL,
    -- Why the server refused it, in words.
    reason      TEXT NOT NULL,
    -- The server's version of the row that won (JSON), or NULL when it has none.
    winner      TEXT,
    received_at TEXT NOT NULL,
    resolved_at TEXT,
    resolution  TEXT
) STRICT;

CREATE TABLE sync_runs (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    server      TEXT NOT NULL,
    pushed      INTEGER NOT NULL,
    rejected    INTEGER NOT NULL,
    pulled      INTEGER NOT NULL,
    bytes_up    INTEGER NOT NULL,
    bytes_down  INTEGER NOT NULL,
    error       TEXT
) STRICT;
