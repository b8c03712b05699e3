-- Local, never replicated.
--
-- Rows that stay on this console and never become ops: a drill's incident, and what hangs
-- off it (found by its incident_id), so a rehearsal never reaches another console as real.
CREATE TABLE local_rows (
    table_name TEXT NOT NULL,
    row_id     TEXT NOT NULL,
    why        TEXT NOT NULL,
    PRIMARY KEY (table_name, row_id)
) STRICT;

-- The Mission event log (alarms raised, acknowledged and cleared; mutes, source switches,
-- drills), kept so that after a restart the screen still shows what happened and who did it.
CREATE TABLE mission_log (
    seq      INTEGER PRIMARY KEY AUTOINCREMENT,
    at       TEXT NOT NULL,            -- RFC 3339 UTC, the stored form
    channel  TEXT NOT NULL,            -- '' for what is not about one channel
    severity TEXT NOT NULL,
    what     TEXT NOT NULL,
    drill    INTEGER NOT NULL DEFAULT 0 CHECK (drill IN (0, 1))
) STRICT;
