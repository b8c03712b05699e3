use std::io::Read;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

use super::{ReplicaError, ReplicaKind, TableCount, meta};
use crate::schema::{self, APPLICATION_ID, LATEST_VERSION};

const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// How thoroughly to check a file's structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegrityLevel {
    /// `PRAGMA quick_check` of every table and its indexes but the telemetry archive's: run at
    /// every open. The archive (a day of it is some 190 MB) is checked with the whole file
    /// once the console is open (see [`check_whole_file`]), so a console opens within its
    /// second however much history it keeps.
    TablesAtOpen,
    /// `PRAGMA quick_check`: every page and record, without cross-checking indexes.
    Quick,
    /// `PRAGMA integrity_check`: also verifies that indexes match their tables.
    Full,
}

/// What a read-only look at a replica file found. Nothing is written to the file.
#[derive(Debug, Clone)]
pub struct Inspection {
    /// The file looked at.
    pub path: PathBuf,
    /// The size of the database file plus its write-ahead log.
    pub size_bytes: u64,
    /// The schema version stored in the file.
    pub schema_version: u32,
    /// The newest schema version this build knows.
    pub supported_version: u32,
    /// `"ok"` (anything else is refused as [`ReplicaError::Corrupt`]).
    pub integrity: String,
    /// Operational or training, when the file records it.
    pub kind: Option<ReplicaKind>,
    /// The replica's device id, when the file records it.
    pub device_id: Option<String>,
    /// Rows per domain table.
    pub tables: Vec<TableCount>,
}

/// Outcome of the read-only checks that come before a file is opened for writing.
pub(crate) enum Precheck {
    /// No file yet, or an empty one: a new replica.
    New,
    /// A healthy replica at this schema version.
    Existing { schema_version: u32 },
}

/// Looks at a replica without changing it: header, ownership, schema version, integrity and
/// row counts. Refuses with the same errors as opening does.
pub fn inspect(path: &Path, level: IntegrityLevel) -> Result<Inspection, ReplicaError> {
    if !path.exists() {
        return Err(ReplicaError::Missing {
            path: path.to_path_buf(),
        });
    }
    check_header(path, false)?;
    let conn = open_read_only(path)?;
    let schema_version = check_version(&conn, path)?;
    let integrity = check_integrity(&conn, path, level)?;
    let tables = super::status::table_counts(&conn, schema_version).map_err(corruption(path))?;
    let kind = meta::get(&conn, meta::KIND)
        .map_err(corruption(path))?
        .and_then(|k| k.parse().ok());
    let device_id = meta::get(&conn, meta::DEVICE_ID).map_err(corruption(path))?;
    Ok(Inspection {
        path: path.to_path_buf(),
        size_bytes: file_size_with_wal(path),
        schema_version,
        supported_version: LATEST_VERSION,
        integrity,
        kind,
        device_id,
        tables,
    })
}

/// The read-only checks [`super::Replica::open`] runs before it writes anything; without
/// `integrity`, all but the integrity check (for a file this process has just checked).
pub(crate) fn precheck(path: &Path, integrity: bool) -> Result<Precheck, ReplicaError> {
    let is_empty = match std::fs::metadata(path) {
        Ok(meta) => meta.len() == 0,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Precheck::New),
        Err(err) => return Err(ReplicaError::io("reading the replica file", path)(err)),
    };
    if is_empty {
        return Ok(Precheck::New);
    }
    check_header(path, true)?;
    let conn = open_read_only(path)?;
    let schema_version = check_version(&conn, path)?;
    if integrity {
        check_integrity(&conn, path, IntegrityLevel::TablesAtOpen)?;
    }
    if schema_version == 0 {
        return Ok(Precheck::New);
    }
    Ok(Precheck::Existing { schema_version })
}

/// The database file plus its write-ahead log, in bytes.
pub(crate) fn file_size_with_wal(path: &Path) -> u64 {
    let wal = wal_path(path);
    [path, wal.as_path()]
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .map(|m| m.len())
        .sum()
}

pub(crate) fn wal_path(path: &Path) -> PathBuf {
    sidecar(path, "-wal")
}

pub(crate) fn shm_path(path: &Path) -> PathBuf {
    sidecar(path, "-shm")
}

fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

fn check_header(path: &Path, allow_empty: bool) -> Result<(), ReplicaError> {
    let mut header = Vec::with_capacity(16);
    std::fs::File::open(path)
        .and_then(|file| file.take(16).read_to_end(&mut header))
        .map_err(ReplicaError::io("reading the replica file", path))?;
    if header.is_empty() && allow_empty {
        return Ok(());
    }
    if header.as_slice() == SQLITE_HEADER {
        return Ok(());
    }
    Err(ReplicaError::NotADatabase {
        path: path.to_path_buf(),
        header: describe_header(&header),
    })
}

fn describe_header(header: &[u8]) -> String {
    if header.is_empty() {
        return "empty: the file has no bytes".to_owned();
    }
    if header.len() < 16 {
        return format!("cut short: the file is only {} bytes long", header.len());
    }
    let text: String = header
        .iter()
        .map(|&b| {
            if b.is_ascii_graphic() || b == b' ' {
                char::from(b)
            } else {
                '.'
            }
        })
        .collect();
    format!("\"{text}\" instead of \"SQLite format 3\"")
}

fn open_read_only(path: &Path) -> Result<Connection, ReplicaError> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(ReplicaError::sqlite(
        "opening the replica to check it",
        path,
    ))?;
    Ok(conn)
}

fn check_version(conn: &Connection, path: &Path) -> Result<u32, ReplicaError> {
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |row| row.get(0))
        .map_err(corruption(path))?;
    let schema_version = schema::stored_version(conn).map_err(corruption(path))?;
    let has_tables: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table')",
            [],
            |row| row.get(0),
        )
        .map_err(corruption(path))?;
    // A file that is ours says so; a blank database (no tables, no ids) may become ours.
    let is_blank = application_id == 0 && schema_version == 0 && !has_tables;
    if application_id != APPLICATION_ID && !is_blank {
        return Err(ReplicaError::NotAReplica {
            path: path.to_path_buf(),
            application_id,
        });
    }
    if schema_version > LATEST_VERSION {
        return Err(ReplicaError::TooNew {
            path: path.to_path_buf(),
            found: schema_version,
            supported: LATEST_VERSION,
        });
    }
    Ok(schema_version)
}

/// The telemetry archive's table, checked after opening rather than at it.
const ARCHIVE_TABLE: &str = "telemetry_samples";

/// Checks the whole replica file at `path` (`PRAGMA quick_check`) through a read-only
/// connection of its own: the part of the check that opening leaves for later.
pub fn check_whole_file(path: &Path) -> Result<String, ReplicaError> {
    let conn = open_read_only(path)?;
    check_integrity(&conn, path, IntegrityLevel::Quick)
}

fn check_integrity(
    conn: &Connection,
    path: &Path,
    level: IntegrityLevel,
) -> Result<String, ReplicaError> {
    let run = |pragma: &str| -> rusqlite::Result<Vec<String>> {
        conn.prepare(pragma)?
            .query_map([], |row| row.get::<_, String>(0))?
            .collect()
    };
    let lines: Vec<String> = match level {
        IntegrityLevel::Quick => run("PRAGMA quick_check(5)"),
        IntegrityLevel::Full => run("PRAGMA integrity_check(5)"),
        IntegrityLevel::TablesAtOpen => conn
            .prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name <> ?1")
            .and_then(|mut stmt| {
                stmt.query_map([ARCHIVE_TABLE], |row| row.get::<_, String>(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .and_then(|tables| {
                let mut problems = Vec::new();
                for table in tables {
                    let quoted = table.replace('"', "\"\"");
                    problems.extend(
                        run(&format!("PRAGMA quick_check(\"{quoted}\")"))?
                            .into_iter()
                            .filter(|line| line != "ok"),
                    );
                }
                Ok(if problems.is_empty() {
                    vec!["ok".to_owned()]
                } else {
                    problems
                })
            }),
    }
    .map_err(corruption(path))?;
    if lines.len() == 1 && lines[0] == "ok" {
        Ok("ok".to_owned())
    } else {
        Err(ReplicaError::Corrupt {
            path: path.to_path_buf(),
            report: lines.join("; "),
        })
    }
}

/// SQLite failing to read a file it accepted the header of means the file is damaged.
fn corruption(path: &Path) -> impl Fn(rusqlite::Error) -> ReplicaError + '_ {
    move |err| ReplicaError::Corrupt {
        path: path.to_path_buf(),
        report: err.to_string(),
    }
}
