-- Ops the server has accepted, kept for two weeks after they leave the outbox. When the server
-- is put back to a copy taken before it took them (a restore from a backup), this console
-- learns it from the server's epoch and sends them again, so nothing it synced is lost.
CREATE TABLE sent_ops (
    seq         INTEGER PRIMARY KEY,
    op_id       TEXT NOT NULL UNIQUE,
    hlc         TEXT NOT NULL,
    table_name  TEXT NOT NULL,
    row_id      TEXT NOT NULL,
    kind        TEXT NOT NULL CHECK (kind IN ('insert', 'update', 'delete')),
    payload     TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    accepted_at TEXT NOT NULL
) STRICT;

CREATE INDEX sent_ops_by_acceptance ON sent_ops (accepted_at);
