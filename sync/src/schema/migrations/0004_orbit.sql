-- Orbit: element sets for the objects the console tracks.
--
-- Each row is one element set as a CCSDS OMM record in JSON (the form CelesTrak serves; a
-- TLE is converted on import, losing nothing SGP4 uses). Sets are kept, not overwritten: the
-- newest epoch per catalogue number is the one in use, older ones stay for the record.

CREATE TABLE element_sets (
    id          TEXT PRIMARY KEY,
    object_name TEXT NOT NULL,
    norad_id    INTEGER NOT NULL CHECK (norad_id >= 0),
    -- RFC 3339 UTC, copied out of the record so the newest set can be found without parsing.
    epoch       TEXT NOT NULL,
    omm         TEXT NOT NULL,
    -- The crewed vehicle these elements describe, if any.
    vehicle_id  TEXT REFERENCES vehicles (id),
    -- Where the set came from: a file name, "pasted text" or "demo dataset".
    source      TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    demo        INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX element_sets_by_object ON element_sets (norad_id, epoch);
