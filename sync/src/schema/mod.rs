//! The replica's schema: numbered migrations embedded at build time, and the table manifest.
//!
//! `rusqlite_migration` has no release for the rusqlite version we must use (0.41), so the
//! runner here does the same small job: `PRAGMA user_version` holds the number of the last
//! migration applied, and each migration runs in its own transaction.

pub mod manifest;

use rusqlite::{Connection, TransactionBehavior};

/// Marks a SQLite file as a Galaxium replica (`PRAGMA application_id`, "GALX").
pub const APPLICATION_ID: i32 = 0x4741_4C58;

/// One schema step. `version` is the `user_version` after it has run.
#[derive(Debug, Clone, Copy)]
pub struct Migration {
    /// The schema version this migration produces.
    pub version: u32,
    /// What the migration does, for logs and the migration note.
    pub summary: &'static str,
    /// The SQL, run as one batch inside a transaction.
    pub sql: &'static str,
}

/// Every migration, in order. Append only: a released migration never changes.
pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        summary: "foundation: replica bookkeeping, vehicles, spaceports, ground stations, launches",
        sql: include_str!("migrations/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        summary: "sync: outbox, conflicts inbox, sync history",
        sql: include_str!("migrations/0002_sync.sql"),
    },
    Migration {
        version: 3,
        summary: "bookings: seat layouts, fares, passengers, bookings, seat blocks, invoices, manifests",
        sql: include_str!("migrations/0003_bookings.sql"),
    },
    Migration {
        version: 4,
        summary: "orbit: element sets",
        sql: include_str!("migrations/0004_orbit.sql"),
    },
    Migration {
        version: 5,
        summary: "telemetry: the local archive of samples (not replicated)",
        sql: include_str!("migrations/0005_telemetry.sql"),
    },
    Migration {
        version: 6,
        summary: "incidents: severities, incidents, their passengers, timelines, tasks, attachments; local telemetry snapshots",
        sql: include_str!("migrations/0006_incidents.sql"),
    },
    Migration {
        version: 7,
        summary: "alarm acknowledgements, replicated: shared by every console, scored in training",
        sql: include_str!("migrations/0007_alarm_acknowledgements.sql"),
    },
];

/// The schema version this build writes.
pub const LATEST_VERSION: u32 = MIGRATIONS[MIGRATIONS.len() - 1].version;

/// Reads the schema version stored in the file.
pub fn stored_version(conn: &Connection) -> rusqlite::Result<u32> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

/// Applies every migration newer than the stored version, each in its own transaction.
///
/// Returns the version the file had before. The caller checks first that the file is not
/// newer than [`LATEST_VERSION`] and takes a backup.
pub fn migrate(conn: &mut Connection) -> rusqlite::Result<u32> {
    let from = stored_version(conn)?;
    for migration in MIGRATIONS.iter().filter(|m| m.version > from) {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(migration.sql)?;
        tx.pragma_update(None, "user_version", migration.version)?;
        tx.pragma_update(None, "application_id", APPLICATION_ID)?;
        tx.commit()?;
        tracing::info!(
            version = migration.version,
            summary = migration.summary,
            "applied migration"
        );
    }
    Ok(from)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_one_by_one() {
        for (index, migration) in MIGRATIONS.iter().enumerate() {
            assert_eq!(migration.version as usize, index + 1);
        }
    }

    #[test]
    fn migrating_an_empty_database_reaches_the_latest_version_and_is_idempotent() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), 0);
        assert_eq!(stored_version(&conn).unwrap(), LATEST_VERSION);
        assert_eq!(migrate(&mut conn).unwrap(), LATEST_VERSION);
        for table in manifest::MANIFEST {
            let count: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {}", table.name), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(count, 0, "{}", table.name);
        }
    }
}
