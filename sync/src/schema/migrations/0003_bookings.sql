-- Bookings: seat layouts and fares, passengers and their readiness, bookings (one row per
-- passenger under a six-character locator), seat blocks, invoices, and closed manifests.
--
-- No SQL UNIQUE constraint guards a seat: a pulled change must always apply, and whether a
-- pending hold still counts depends on the clock. The console checks a seat before it sells
-- it and the server judges every booking against the manifest's seat rule.

-- JSON array of seats: {"id": "1A", "row": 1, "column": 1, "position": "window", "cabin": "Main"}.
ALTER TABLE vehicles ADD COLUMN seat_layout TEXT NOT NULL DEFAULT '[]';

-- JSON array of fares: {"code": "F", "name": "Orbital", "price_minor": 45000000, "currency": "USD"}.
ALTER TABLE launches ADD COLUMN fare_classes TEXT NOT NULL DEFAULT '[]';
-- Check-in opens this many hours before the launch and closes this many hours before it.
ALTER TABLE launches ADD COLUMN checkin_opens_hours REAL NOT NULL DEFAULT 24;
ALTER TABLE launches ADD COLUMN checkin_closes_hours REAL NOT NULL DEFAULT 1;

CREATE TABLE passengers (
    id                    TEXT PRIMARY KEY,
    full_name             TEXT NOT NULL,
    -- Personal fields: the server sends them only to roles that need them, so they may be NULL.
    date_of_birth         TEXT,
    nationality           TEXT,
    document_number       TEXT,
    email                 TEXT,
    phone                 TEXT,
    emergency_contact     TEXT,
    body_mass_kg          REAL CHECK (body_mass_kg IS NULL OR body_mass_kg > 0),
    medical_status        TEXT NOT NULL DEFAULT 'pending'
                            CHECK (medical_status IN ('pending', 'cleared', 'restricted', 'denied')),
    -- Dates as YYYY-MM-DD.
    medical_expires_on    TEXT,
    training_completed_on TEXT,
    waiver_signed_on      TEXT,
    demo                  INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

-- The passenger list is shown by name. (No index by document: an import reads them all once.)
CREATE INDEX passengers_by_name ON passengers (full_name);

CREATE TABLE bookings (
    id              TEXT PRIMARY KEY,
    locator         TEXT NOT NULL CHECK (length(locator) = 6),
    launch_id       TEXT NOT NULL REFERENCES launches (id),
    passenger_id    TEXT NOT NULL REFERENCES passengers (id),
    -- NULL while waitlisted.
    seat_id         TEXT,
    fare_class      TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN
                      ('waitlisted', 'pending', 'confirmed', 'checked_in', 'boarded',
                       'cancelled', 'no_show', 'expired')),
    -- RFC 3339 UTC: when a pending hold lapses.
    hold_expires_at TEXT,
    hold_extensions INTEGER NOT NULL DEFAULT 0,
    baggage_mass_kg REAL NOT NULL DEFAULT 0 CHECK (baggage_mass_kg >= 0),
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    demo            INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

-- Every index costs each insert: these two serve the launch page and the check-in desk.
CREATE INDEX bookings_by_launch ON bookings (launch_id, status);
CREATE INDEX bookings_by_locator ON bookings (locator);

CREATE TABLE seat_blocks (
    id         TEXT PRIMARY KEY,
    launch_id  TEXT NOT NULL REFERENCES launches (id),
    seat_id    TEXT NOT NULL,
    reason     TEXT NOT NULL CHECK (length(reason) > 0),
    created_at TEXT NOT NULL,
    demo       INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX seat_blocks_by_launch ON seat_blocks (launch_id);

CREATE TABLE invoices (
    id           TEXT PRIMARY KEY,
    locator      TEXT NOT NULL,
    number       TEXT NOT NULL,
    amount_minor INTEGER NOT NULL CHECK (amount_minor >= 0),
    currency     TEXT NOT NULL CHECK (length(currency) = 3),
    status       TEXT NOT NULL CHECK (status IN ('unpaid', 'paid', 'refunded')),
    issued_at    TEXT NOT NULL,
    demo         INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX invoices_by_locator ON invoices (locator);

-- A launch's manifest as frozen at close-out (JSON); append-only.
CREATE TABLE manifests (
    id        TEXT PRIMARY KEY,
    launch_id TEXT NOT NULL REFERENCES launches (id),
    closed_at TEXT NOT NULL,
    closed_by TEXT NOT NULL,
    content   TEXT NOT NULL,
    demo      INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX manifests_by_launch ON manifests (launch_id);
