-- The central server's store: users and tokens, the ordered op log, the current state of
-- every replicated row (to validate new ops against), and what each device has pulled.

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL
) STRICT;

CREATE TABLE tokens (
    -- SHA-256 of the token: a stolen database copy holds no usable token.
    token_hash TEXT PRIMARY KEY,
    user       TEXT NOT NULL REFERENCES users (name),
    role       TEXT NOT NULL,
    expires_at TEXT NOT NULL
) STRICT;

CREATE TABLE ops (
    cursor      INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id       TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    hlc         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    -- The effective payload: for updates, only the columns that won.
    payload     TEXT NOT NULL,
    user        TEXT NOT NULL,
    received_at TEXT NOT NULL
) STRICT;

CREATE INDEX ops_by_row ON ops (table_name, row_id);
-- A repeated push finds its accepted ops here.
CREATE UNIQUE INDEX ops_by_device_seq ON ops (device_id, seq);

-- The verdict on every refused op, so a repeated push gets the same answer.
CREATE TABLE op_results (
    device_id TEXT NOT NULL,
    seq       INTEGER NOT NULL,
    op_id     TEXT NOT NULL,
    result    TEXT NOT NULL,
    PRIMARY KEY (device_id, seq)
) STRICT;

CREATE TABLE rows (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    data       TEXT NOT NULL,
    -- Per column, the clock time of the edit that set it (JSON object): last writer wins.
    clocks     TEXT NOT NULL DEFAULT '{}',
    deleted    INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (table_name, row_id)
) STRICT;

CREATE TABLE devices (
    device_id     TEXT PRIMARY KEY,
    user          TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    pulled_cursor INTEGER NOT NULL DEFAULT 0
) STRICT;
