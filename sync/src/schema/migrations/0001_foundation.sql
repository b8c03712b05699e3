-- Foundation schema: replica bookkeeping, the fleet, spaceports, ground stations, launches.
-- Every domain table carries `demo`: rows seeded as the demo dataset are marked 1 so that
-- they can be removed without touching the operator's own data.

CREATE TABLE replica_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) STRICT;

CREATE TABLE vehicles (
    id                    TEXT PRIMARY KEY,
    name                  TEXT NOT NULL UNIQUE,
    model                 TEXT NOT NULL,
    seat_count            INTEGER NOT NULL CHECK (seat_count > 0),
    max_passenger_mass_kg REAL NOT NULL CHECK (max_passenger_mass_kg > 0),
    max_baggage_mass_kg   REAL NOT NULL CHECK (max_baggage_mass_kg >= 0),
    demo                  INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE TABLE spaceports (
    id      TEXT PRIMARY KEY,
    code    TEXT NOT NULL UNIQUE,
    name    TEXT NOT NULL,
    lat_deg REAL NOT NULL CHECK (lat_deg BETWEEN -90 AND 90),
    lon_deg REAL NOT NULL CHECK (lon_deg > -180 AND lon_deg <= 180),
    alt_m   REAL NOT NULL,
    demo    INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE TABLE ground_stations (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL UNIQUE,
    lat_deg           REAL NOT NULL CHECK (lat_deg BETWEEN -90 AND 90),
    lon_deg           REAL NOT NULL CHECK (lon_deg > -180 AND lon_deg <= 180),
    alt_m             REAL NOT NULL,
    min_elevation_deg REAL NOT NULL CHECK (min_elevation_deg BETWEEN 0 AND 90),
    demo              INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE TABLE launches (
    id           TEXT PRIMARY KEY,
    mission      TEXT NOT NULL,
    vehicle_id   TEXT NOT NULL REFERENCES vehicles (id),
    spaceport_id TEXT NOT NULL REFERENCES spaceports (id),
    pad          TEXT NOT NULL,
    -- RFC 3339 UTC with `Z`, so that text order is time order.
    scheduled_at TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN
                   ('planned', 'scheduled', 'boarding', 'launched', 'landed', 'scrubbed', 'cancelled')),
    demo         INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX launches_by_time ON launches (scheduled_at);
CREATE INDEX launches_by_vehicle ON launches (vehicle_id);
CREATE INDEX launches_by_spaceport ON launches (spaceport_id);
