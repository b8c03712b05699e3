-- Unique keys are judged like the seat rule: the server refuses the second row that claims a
-- vehicle's name, a spaceport's code or a ground station's name, and the console checks its
-- own edits before writing. A SQL UNIQUE constraint here could only refuse what the server
-- had already accepted and stop every later pull, so the three tables are rebuilt without
-- one (SQLite cannot drop a column constraint in place). Plain indexes serve the checks.
--
-- The runner turns foreign keys off around this migration and checks them before commit, as
-- SQLite's guide to rebuilding a table asks.

CREATE TABLE vehicles_rebuilt (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL,
    model                 TEXT NOT NULL,
    seat_count            INTEGER NOT NULL CHECK (seat_count > 0),
    max_passenger_mass_kg REAL NOT NULL CHECK (max_passenger_mass_kg > 0),
    max_baggage_mass_kg   REAL NOT NULL CHECK (max_baggage_mass_kg >= 0),
    demo                  INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1)),
    seat_layout           TEXT NOT NULL DEFAULT '[]'
) STRICT;
INSERT INTO vehicles_rebuilt (id, name, model, seat_count, max_passenger_mass_kg,
                              max_baggage_mass_kg, demo, seat_layout)
    SELECT id, name, model, seat_count, max_passenger_mass_kg, max_baggage_mass_kg, demo,
           seat_layout
    FROM vehicles;
DROP TABLE vehicles;
ALTER TABLE vehicles_rebuilt RENAME TO vehicles;
CREATE INDEX vehicles_by_name ON vehicles (name);

CREATE TABLE spaceports_rebuilt (
    id      TEXT PRIMARY KEY,
    code    TEXT NOT NULL,
    name    TEXT NOT NULL,
    lat_deg REAL NOT NULL CHECK (lat_deg BETWEEN -90 AND 90),
    lon_deg REAL NOT NULL CHECK (lon_deg > -180 AND lon_deg <= 180),
    alt_m   REAL NOT NULL,
    demo    INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;
INSERT INTO spaceports_rebuilt (id, code, name, lat_deg, lon_deg, alt_m, demo)
    SELECT id, code, name, lat_deg, lon_deg, alt_m, demo FROM spaceports;
DROP TABLE spaceports;
ALTER TABLE spaceports_rebuilt RENAME TO spaceports;
CREATE INDEX spaceports_by_code ON spaceports (code);

CREATE TABLE ground_stations_rebuilt (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    lat_deg           REAL NOT NULL CHECK (lat_deg BETWEEN -90 AND 90),
    lon_deg           REAL NOT NULL CHECK (lon_deg > -180 AND lon_deg <= 180),
    alt_m             REAL NOT NULL,
    min_elevation_deg REAL NOT NULL CHECK (min_elevation_deg BETWEEN 0 AND 90),
    demo              INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;
INSERT INTO ground_stations_rebuilt (id, name, lat_deg, lon_deg, alt_m, min_elevation_deg, demo)
    SELECT id, name, lat_deg, lon_deg, alt_m, min_elevation_deg, demo FROM ground_stations;
DROP TABLE ground_stations;
ALTER TABLE ground_stations_rebuilt RENAME TO ground_stations;
CREATE INDEX ground_stations_by_name ON ground_stations (name);

-- Pulled ops this replica could not apply (a row an older server accepted against a rule),
-- kept with the reason instead of stopping the sync; shown in the Sync view.
CREATE TABLE pulled_aside (
    cursor       INTEGER PRIMARY KEY,
    op_id        TEXT NOT NULL,
    table_name   TEXT NOT NULL,
    row_id       TEXT NOT NULL,
    kind         TEXT NOT NULL,
    payload      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    set_aside_at TEXT NOT NULL
) STRICT;
