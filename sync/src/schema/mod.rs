//! The replica's schema: numbered migrations embedded at build time, and the table registry.
//!
//! `rusqlite_migration` has no release for the rusqlite version we must use (0.41), so the
//! runner here does the same small job: `PRAGMA user_version` holds the number of the last
//! migration applied, and each migration runs in its own transaction.

pub mod registry;
pub mod rules;
pub mod words;

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
    Migration {
        version: 8,
        summary: "unique keys judged by the server, not by SQL UNIQUE; pulled ops set aside",
        sql: include_str!("migrations/0008_keys_judged_by_the_server.sql"),
    },
    Migration {
        version: 9,
        summary: "the rule that refused each conflict, beside its reason",
        sql: include_str!("migrations/0009_refusal_rules.sql"),
    },
    Migration {
        version: 10,
        summary: "one stored form for every time: RFC 3339 UTC to the millisecond",
        sql: include_str!("migrations/0010_one_time_form.sql"),
    },
    Migration {
        version: 11,
        summary: "local rows a drill keeps on this console; the Mission event log",
        sql: include_str!("migrations/0011_drills_and_the_event_log.sql"),
    },
    Migration {
        version: 12,
        summary: "accepted ops kept two weeks, sent again when the server is restored",
        sql: include_str!("migrations/0012_sent_ops.sql"),
    },
    Migration {
        version: 13,
        summary: "commanding: the shared command queue and every command's stages",
        sql: include_str!("migrations/0013_commanding.sql"),
    },
    Migration {
        version: 14,
        summary: "launch day: passenger documents, pass keys, check-in overrides, go/no-go polls",
        sql: include_str!("migrations/0014_launch_day.sql"),
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
    // Some migrations rebuild a table that others refer to; SQLite's procedure for that is to
    // turn foreign keys off outside the transaction. (Rows are copied as they are, so a
    // rebuild cannot break a reference; a replica may briefly hold one that a pull left for
    // its next push to settle, and that must not stop it from opening.)
    let enforced: bool = conn.pragma_query_value(None, "foreign_keys", |row| row.get(0))?;
    conn.pragma_update(None, "foreign_keys", false)?;
    let applied = apply_from(conn, from);
    conn.pragma_update(None, "foreign_keys", enforced)?;
    applied?;
    Ok(from)
}

fn apply_from(conn: &mut Connection, from: u32) -> rusqlite::Result<()> {
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
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The registry's column rules and the replica's SQL schema are one declaration in two
    /// languages: every replicated column is in both, with the same type and nullability.
    #[test]
    fn the_registry_declares_every_column_as_the_replica_schema_does() {
        use registry::ValueRule;
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        for table in registry::TABLES {
            let mut stmt = conn
                .prepare(&format!("PRAGMA table_info({})", table.name))
                .unwrap();
            let sql_columns: Vec<(String, String, bool)> = stmt
                .query_map([], |r| Ok((r.get(1)?, r.get(2)?, r.get(3)?)))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let replicated: Vec<&(String, String, bool)> = sql_columns
                .iter()
                .filter(|(name, _, _)| name != "id")
                .collect();
            assert_eq!(
                replicated.len(),
                table.columns.len(),
                "{}: {replicated:?}",
                table.name
            );
            for (name, sql_type, not_null) in replicated {
                let column = table
                    .column(name)
                    .unwrap_or_else(|| panic!("{}.{name} is not in the registry", table.name));
                let expected = match column.rule {
                    ValueRule::Integer { .. } | ValueRule::Flag => "INTEGER",
                    ValueRule::Real { .. } => "REAL",
                    _ => "TEXT",
                };
                assert_eq!(sql_type, expected, "{}.{name}", table.name);
                assert_eq!(*not_null, !column.nullable, "{}.{name}", table.name);
            }
        }
    }

    #[test]
    fn the_rebuilt_keyed_tables_keep_their_rows_and_references() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "foreign_keys", true).unwrap();
        // Up to the version before the rebuild, with a vehicle that a launch refers to.
        let before = MIGRATIONS.iter().filter(|m| m.version < 8);
        for migration in before {
            conn.execute_batch(migration.sql).unwrap();
            conn.pragma_update(None, "user_version", migration.version)
                .unwrap();
        }
        conn.execute_batch(
            "INSERT INTO vehicles (id, name, model, seat_count, max_passenger_mass_kg, max_baggage_mass_kg)
                 VALUES ('v1', 'Aurora', 'G-6', 6, 600, 50);
             INSERT INTO spaceports (id, code, name, lat_deg, lon_deg, alt_m)
                 VALUES ('s1', 'KSC', 'Kennedy', 28.5, -80.6, 3);
             INSERT INTO launches (id, mission, vehicle_id, spaceport_id, pad, scheduled_at, status)
                 VALUES ('l1', 'GX-1', 'v1', 's1', 'A', '2030-01-01T00:00:00Z', 'planned');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        assert_eq!(stored_version(&conn).unwrap(), LATEST_VERSION);
        let fk_on: bool = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(fk_on, "foreign keys are enforced again after migrating");
        // The rows are there, the launch still refers to its vehicle, and a second "Aurora"
        // is no longer SQL's business (the writer and the server judge keys).
        let name: String = conn
            .query_row(
                "SELECT v.name FROM launches l JOIN vehicles v ON v.id = l.vehicle_id",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(name, "Aurora");
        conn.execute(
            "INSERT INTO vehicles (id, name, model, seat_count, max_passenger_mass_kg, max_baggage_mass_kg)
             VALUES ('v2', 'Aurora', 'G-6', 6, 600, 50)",
            [],
        )
        .unwrap();
        assert!(
            conn.execute("DELETE FROM vehicles WHERE id = 'v1'", [])
                .is_err(),
            "the launch's reference to its vehicle is still enforced"
        );
    }

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
        for table in registry::TABLES {
            let count: i64 = conn
                .query_row(&format!("SELECT count(*) FROM {}", table.name), [], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(count, 0, "{}", table.name);
        }
    }
}
