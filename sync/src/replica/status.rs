use std::path::PathBuf;

use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::ReplicaKind;
use crate::schema::registry::TABLES;

/// How many rows a domain table holds, and how many of them are demo rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableCount {
    /// The SQL table name.
    pub name: &'static str,
    /// What a person calls its rows.
    pub label: &'static str,
    /// All rows.
    pub rows: u64,
    /// Rows marked as the demo dataset.
    pub demo_rows: u64,
}

/// The last backup taken of a replica.
#[derive(Debug, Clone, PartialEq)]
pub struct BackupRecord {
    /// Where it was written.
    pub path: PathBuf,
    /// When it finished.
    pub at: DateTime<Utc>,
    /// Its size.
    pub size_bytes: u64,
}

/// What the Overview shows about a replica.
#[derive(Debug, Clone)]
pub struct ReplicaStatus {
    /// The replica file.
    pub path: PathBuf,
    /// Database plus write-ahead log, in bytes.
    pub size_bytes: u64,
    /// The schema version of the file.
    pub schema_version: u32,
    /// Operational or training.
    pub kind: ReplicaKind,
    /// This console's device id (UUIDv7), used to order and deduplicate its edits.
    pub device_id: String,
    /// When the replica was created.
    pub created_at: Option<DateTime<Utc>>,
    /// Rows per domain table.
    pub tables: Vec<TableCount>,
    /// The last backup, if any was taken.
    pub last_backup: Option<BackupRecord>,
}

impl ReplicaStatus {
    /// Rows marked as the demo dataset, over all tables.
    pub fn demo_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.demo_rows).sum()
    }

    /// All domain rows.
    pub fn total_rows(&self) -> u64 {
        self.tables.iter().map(|t| t.rows).sum()
    }
}

pub(crate) fn table_counts(
    conn: &Connection,
    schema_version: u32,
) -> rusqlite::Result<Vec<TableCount>> {
    if schema_version == 0 {
        return Ok(Vec::new());
    }
    // An older file (a pre-migration backup) lacks the tables later migrations added.
    let present: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")?
        .query_map([], |row| row.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    TABLES
        .iter()
        .filter(|table| present.iter().any(|name| name == table.name))
        .map(|table| {
            let demo = if table.has_demo_rows() {
                "sum(demo)"
            } else {
                "0"
            };
            let sql = format!("SELECT count(*), coalesce({demo}, 0) FROM {}", table.name);
            conn.query_row(&sql, [], |row| {
                // SQLite counts are non-negative i64s.
                let count = |i| row.get::<_, i64>(i).map(|n| u64::try_from(n).unwrap_or(0));
                Ok(TableCount {
                    name: table.name,
                    label: table.label,
                    rows: count(0)?,
                    demo_rows: count(1)?,
                })
            })
        })
        .collect()
}

pub(crate) fn parse_time(text: Option<String>) -> Option<DateTime<Utc>> {
    text.and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
        .map(|t| t.with_timezone(&Utc))
}
