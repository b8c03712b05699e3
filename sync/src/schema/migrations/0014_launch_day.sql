-- Launch day, replicated: the papers a passenger carries, the keys boarding passes are signed
-- with, the supervisor's check-in overrides, and the go/no-go poll with its answers and
-- waivers. Document numbers, scans and pass keys are sent only to roles that may read
-- personal data (the server blanks them for the others), so those columns may be null.

CREATE TABLE passenger_documents (
    id           TEXT PRIMARY KEY,
    passenger_id TEXT NOT NULL REFERENCES passengers (id),
    kind         TEXT NOT NULL CHECK (kind IN ('passport', 'id_card', 'medical_certificate')),
    number       TEXT,                       -- personal
    expires_on   TEXT NOT NULL,              -- YYYY-MM-DD, the last day it is valid
    file_name    TEXT,                       -- personal
    media_type   TEXT NOT NULL CHECK (media_type IN ('application/pdf', 'image/png', 'image/jpeg')),
    size_bytes   INTEGER NOT NULL,
    content      TEXT,                       -- personal: the scan, base64
    added_at     TEXT NOT NULL,
    added_by     TEXT NOT NULL,              -- the server writes who signed in
    demo         INTEGER NOT NULL DEFAULT 0 CHECK (demo IN (0, 1))
) STRICT;

CREATE INDEX passenger_documents_by_passenger ON passenger_documents (passenger_id, kind);

-- Keys that sign boarding passes (HMAC-SHA256). Any console of the operation that may read
-- them verifies a pass offline; rows are only ever added.
CREATE TABLE pass_keys (
    id         TEXT PRIMARY KEY,
    secret     TEXT,                         -- personal: base64, 32 bytes
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL
) STRICT;

-- A supervisor checking in a passenger whose readiness is NO-GO, for reasons a supervisor may
-- waive (never medical or mass limits): who, why and what was waived. Rows are only added.
CREATE TABLE checkin_overrides (
    id         TEXT PRIMARY KEY,
    booking_id TEXT NOT NULL REFERENCES bookings (id),
    waived     TEXT NOT NULL,                -- JSON list of {"kind", "text"}
    reason     TEXT NOT NULL,
    at         TEXT NOT NULL,
    by_user    TEXT NOT NULL
) STRICT;

CREATE INDEX checkin_overrides_by_booking ON checkin_overrides (booking_id);

-- A launch's go/no-go poll, opened by the flight director and decided GO, HOLD or SCRUB.
CREATE TABLE launch_polls (
    id            TEXT PRIMARY KEY,
    launch_id     TEXT NOT NULL REFERENCES launches (id),
    status        TEXT NOT NULL CHECK (status IN ('open', 'go', 'hold', 'scrub')),
    opened_at     TEXT NOT NULL,
    opened_by     TEXT NOT NULL,
    decided_at    TEXT,
    decided_by    TEXT,
    decision_note TEXT NOT NULL DEFAULT '',
    criteria      TEXT NOT NULL DEFAULT '[]' -- JSON: each criterion's value when decided
) STRICT;

CREATE INDEX launch_polls_by_launch ON launch_polls (launch_id, opened_at);

-- Each position's answers; the latest answer of a position stands. Rows are only added.
CREATE TABLE poll_answers (
    id          TEXT PRIMARY KEY,
    poll_id     TEXT NOT NULL REFERENCES launch_polls (id),
    position    TEXT NOT NULL,               -- as in assets/launch/poll.toml
    answer      TEXT NOT NULL CHECK (answer IN ('go', 'no_go')),
    note        TEXT NOT NULL,
    answered_at TEXT NOT NULL,
    by_user     TEXT NOT NULL
) STRICT;

CREATE INDEX poll_answers_by_poll ON poll_answers (poll_id, answered_at);

-- A red commit criterion waived by the flight director, with the value that made it red.
CREATE TABLE poll_waivers (
    id        TEXT PRIMARY KEY,
    poll_id   TEXT NOT NULL REFERENCES launch_polls (id),
    criterion TEXT NOT NULL,                 -- as in assets/launch/poll.toml
    value     TEXT NOT NULL,
    reason    TEXT NOT NULL,
    waived_at TEXT NOT NULL,
    by_user   TEXT NOT NULL
) STRICT;

CREATE INDEX poll_waivers_by_poll ON poll_waivers (poll_id);
