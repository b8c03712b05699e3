-- The central server's store on PostgreSQL: the same tables as the SQLite store's after its
-- twelve steps, in PostgreSQL's types. Applied at start into the schema the server runs in
-- (`public` for operations, one schema per training session), under an advisory lock so
-- that instances starting together apply it once.

CREATE TABLE users (
    name          TEXT PRIMARY KEY,
    role          TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled      BOOLEAN NOT NULL DEFAULT false
);

CREATE TABLE tokens (
    -- SHA-256 of the token: a stolen database copy holds no usable token.
    token_hash TEXT PRIMARY KEY,
    user_name  TEXT NOT NULL REFERENCES users (name),
    role       TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    device_id  TEXT,
    scope      TEXT,
    label      TEXT
);

-- The op log. Cursors come from this sequence inside the push's transaction, which holds the
-- op log's advisory lock until it commits: cursors are taken in the order transactions
-- commit, so a reader never sees a cursor before a smaller one that is still to commit (a
-- rolled-back push leaves a hole that nobody will ever fill, which no reader waits for).
CREATE SEQUENCE ops_cursor;

CREATE TABLE ops (
    cursor      BIGINT PRIMARY KEY DEFAULT nextval('ops_cursor'),
    op_id       TEXT NOT NULL UNIQUE,
    device_id   TEXT NOT NULL,
    seq         BIGINT NOT NULL,
    hlc         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    kind        TEXT NOT NULL,
    payload     TEXT NOT NULL,
    user_name   TEXT NOT NULL,
    received_at TEXT NOT NULL,
    notice      TEXT,
    UNIQUE (device_id, seq)
);

ALTER SEQUENCE ops_cursor OWNED BY ops.cursor;

CREATE INDEX ops_by_row ON ops (table_name, row_id);

CREATE TABLE op_results (
    device_id  TEXT NOT NULL,
    seq        BIGINT NOT NULL,
    op_id      TEXT NOT NULL,
    result     TEXT NOT NULL,
    table_name TEXT,
    PRIMARY KEY (device_id, seq)
);

CREATE TABLE rows (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    data       JSONB NOT NULL,
    -- Per column, the clock time of the edit that set it (JSON): read only by the server,
    -- never queried, so kept as text (no JSONB parse on every write).
    clocks     TEXT NOT NULL DEFAULT '{}',
    deleted    BOOLEAN NOT NULL DEFAULT false,
    deleted_at BIGINT,
    PRIMARY KEY (table_name, row_id)
);

-- The manifest's rule (one active booking per launch and seat), without reading every booking.
CREATE INDEX rows_by_seat ON rows ((data ->> 'launch_id'), (data ->> 'seat_id'))
    WHERE table_name = 'bookings' AND NOT deleted;
CREATE INDEX rows_tombstones ON rows (deleted_at) WHERE deleted;

CREATE TABLE devices (
    device_id     TEXT PRIMARY KEY,
    user_name     TEXT NOT NULL,
    last_seen     TEXT NOT NULL,
    pulled_cursor BIGINT NOT NULL DEFAULT 0,
    key_hash      TEXT,
    training      BOOLEAN NOT NULL DEFAULT false,
    registered_by TEXT,
    registered_at TEXT
);

-- Live telemetry, kept a day. Numbered like the op log: under an advisory lock of its own.
CREATE SEQUENCE telemetry_seq;

CREATE TABLE telemetry (
    seq         BIGINT PRIMARY KEY,
    t           DOUBLE PRECISION NOT NULL,
    channel     TEXT NOT NULL,
    value       DOUBLE PRECISION NOT NULL,
    producer    TEXT NOT NULL,
    received_at DOUBLE PRECISION NOT NULL
);

CREATE INDEX telemetry_by_arrival ON telemetry (received_at);

CREATE TABLE training_sessions (
    id          TEXT PRIMARY KEY,
    scenario    TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    clock       TEXT NOT NULL
);

CREATE TABLE training_devices (
    device_id   TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES training_sessions (id),
    first_seen  TEXT NOT NULL
);

CREATE TABLE training_members (
    session_id TEXT NOT NULL REFERENCES training_sessions (id),
    user_name  TEXT NOT NULL,
    PRIMARY KEY (session_id, user_name)
);

CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    subject TEXT,
    detail  TEXT NOT NULL DEFAULT '',
    address TEXT
);

CREATE INDEX audit_by_time ON audit (at);

CREATE TABLE sign_in_endings (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);

INSERT INTO sign_in_endings (id, generation) VALUES (1, 0);

CREATE FUNCTION count_sign_in_ending() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE sign_in_endings SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER tokens_ended AFTER DELETE ON tokens
    FOR EACH ROW EXECUTE FUNCTION count_sign_in_ending();

-- Which database this is and which history its cursors count in. `copy_of` is the database
-- (cluster and object id) the history was written in: a database restored from a dump is a
-- new object, so the server finds that it runs on a copy and starts a new epoch.
CREATE TABLE server_epoch (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    database TEXT NOT NULL,
    epoch    TEXT NOT NULL,
    since    BIGINT NOT NULL,
    copy_of  TEXT NOT NULL
);

INSERT INTO server_epoch (id, database, epoch, since, copy_of)
VALUES (1, replace(gen_random_uuid()::text, '-', ''), replace(gen_random_uuid()::text, '-', ''),
        0, '');
