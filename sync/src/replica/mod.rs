//! The local replica: one SQLite file per console that works with or without the network.
//!
//! Opening is careful: read-only checks come first (is it SQLite, is it ours, is it newer than
//! this build, does it pass `quick_check`), and only a file that passes them is opened for
//! writing. A refused file is left byte for byte as it was.

mod backup;
mod error;
mod inspect;
mod local;
mod meta;
mod rows;
mod status;
mod sync;
mod values;
mod writer;

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior};

pub use backup::restore;
pub use error::ReplicaError;
pub use inspect::{Inspection, IntegrityLevel, check_whole_file, inspect};
pub use local::{LoggedEvent, MISSION_LOG_KEPT};
pub use rows::{GroundStationRow, LaunchRow, LaunchSummary, SpaceportRow, VehicleRow};
pub use status::{BackupRecord, ReplicaStatus, TableCount};
pub use sync::{
    ApplyReport, Conflict, EpochChange, SENT_OPS_KEPT_DAYS, SetAsideOp, SignIn, SyncRun,
    TrainingLink,
};
pub use writer::Writer;

use crate::hlc::{Hlc, HlcClock};
use crate::schema::{self, registry::TABLES};

/// The replica's file name inside the data folder.
pub const REPLICA_FILE_NAME: &str = "replica.sqlite";

/// Whether a replica holds operational data or a training sandbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ReplicaKind {
    /// Live operations.
    #[default]
    Operational,
    /// A training sandbox; nothing in it is operational data.
    Training,
}

impl ReplicaKind {
    /// The word stored in the file.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Operational => "operational",
            Self::Training => "training",
        }
    }
}

impl FromStr for ReplicaKind {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "operational" => Ok(Self::Operational),
            "training" => Ok(Self::Training),
            other => Err(format!("unknown replica kind {other:?}")),
        }
    }
}

/// How to open a replica.
#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    /// The kind recorded if the replica is created now; an existing one keeps its own.
    pub kind_if_new: ReplicaKind,
}

/// What happened while opening.
#[derive(Debug, Clone)]
pub struct OpenReport {
    /// The file did not exist (or was empty) and was created.
    pub created: bool,
    /// The schema version the file had, when it was upgraded.
    pub migrated_from: Option<u32>,
    /// The copy taken before upgrading.
    pub pre_migration_backup: Option<PathBuf>,
    /// The result of the integrity check run at open (`"ok"`).
    pub integrity: String,
    /// When that check ran.
    pub checked_at: DateTime<Utc>,
}

/// An open local replica.
pub struct Replica {
    conn: Connection,
    path: PathBuf,
    report: OpenReport,
    device_id: String,
    clock: HlcClock,
}

impl std::fmt::Debug for Replica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replica")
            .field("path", &self.path)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl Replica {
    /// Opens the replica at `path`, creating it (and its folder) if there is none, and
    /// upgrading its schema after taking a backup.
    ///
    /// Refuses, leaving the file untouched, a file that is not SQLite, belongs to another
    /// program, was written by a newer build, or fails `quick_check`.
    pub fn open(path: &Path, options: &OpenOptions) -> Result<Self, ReplicaError> {
        Self::open_checking(path, options, true)
    }

    /// Opens a second connection to a replica this process has just opened with
    /// [`Replica::open`] (the sync task's, beside the screens'): every check of `open` but
    /// the integrity check, which that open ran over the whole file a moment ago (with a day
    /// of telemetry archive, some 190 MB read again at every start).
    pub fn reopen(path: &Path) -> Result<Self, ReplicaError> {
        Self::open_checking(path, &OpenOptions::default(), false)
    }

    fn open_checking(
        path: &Path,
        options: &OpenOptions,
        integrity: bool,
    ) -> Result<Self, ReplicaError> {
        let dir = parent_dir(path);
        ensure_writable_dir(&dir)?;
        let precheck = inspect::precheck(path, integrity)?;
        let checked_at = Utc::now();

        let mut conn = Connection::open(path).map_err(ReplicaError::sqlite("opening", path))?;
        configure(&conn).map_err(ReplicaError::sqlite("configuring the connection", path))?;

        let mut report = OpenReport {
            created: false,
            migrated_from: None,
            pre_migration_backup: None,
            integrity: "ok".to_owned(),
            checked_at,
        };
        match precheck {
            inspect::Precheck::New => {
                schema::migrate(&mut conn)
                    .map_err(ReplicaError::sqlite("creating the replica schema", path))?;
                record_identity(&conn, options.kind_if_new).map_err(ReplicaError::sqlite(
                    "recording the replica's identity",
                    path,
                ))?;
                report.created = true;
                tracing::info!(path = %path.display(), kind = options.kind_if_new.as_str(), "created replica");
            }
            inspect::Precheck::Existing { schema_version }
                if schema_version < schema::LATEST_VERSION =>
            {
                let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
                let backup_path = backups_dir(path)
                    .join(format!("pre-migration-v{schema_version}-{stamp}.sqlite"));
                backup::backup_connection(&conn, path, &backup_path)?;
                schema::migrate(&mut conn).map_err(|cause| ReplicaError::Migration {
                    path: path.to_path_buf(),
                    from: schema_version,
                    backup: backup_path.clone(),
                    cause,
                })?;
                report.migrated_from = Some(schema_version);
                report.pre_migration_backup = Some(backup_path);
            }
            inspect::Precheck::Existing { .. } => {}
        }
        let identity = || -> rusqlite::Result<(String, Option<Hlc>)> {
            let device_id = meta::get(&conn, meta::DEVICE_ID)?.unwrap_or_default();
            let last = meta::get(&conn, meta::HLC_LAST)?.and_then(|t| t.parse().ok());
            Ok((device_id, last))
        };
        let (device_id, last_hlc) =
            identity().map_err(ReplicaError::sqlite("reading the replica's identity", path))?;
        Ok(Self {
            clock: HlcClock::new(&device_id, last_hlc),
            device_id,
            conn,
            path: path.to_path_buf(),
            report,
        })
    }

    /// This console's device id.
    pub fn device_id(&self) -> &str {
        &self.device_id
    }

    /// Opens a replica that must already exist (for command-line tools that must not create one).
    pub fn open_existing(path: &Path) -> Result<Self, ReplicaError> {
        if !path.exists() {
            return Err(ReplicaError::Missing {
                path: path.to_path_buf(),
            });
        }
        Self::open(path, &OpenOptions::default())
    }

    /// The replica file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What happened at open.
    pub fn open_report(&self) -> &OpenReport {
        &self.report
    }

    /// Whether this is a training sandbox.
    pub fn kind(&self) -> Result<ReplicaKind, ReplicaError> {
        let kind = meta::get(&self.conn, meta::KIND)
            .map_err(ReplicaError::sqlite("reading the replica kind", &self.path))?;
        Ok(kind.and_then(|k| k.parse().ok()).unwrap_or_default())
    }

    /// Everything the Overview shows about the replica.
    pub fn status(&self) -> Result<ReplicaStatus, ReplicaError> {
        let read = || -> rusqlite::Result<ReplicaStatus> {
            let schema_version = schema::stored_version(&self.conn)?;
            let last_backup = match (
                meta::get(&self.conn, meta::LAST_BACKUP_PATH)?,
                status::parse_time(meta::get(&self.conn, meta::LAST_BACKUP_AT)?),
            ) {
                (Some(path), Some(at)) => Some(BackupRecord {
                    path: PathBuf::from(path),
                    at,
                    size_bytes: meta::get(&self.conn, meta::LAST_BACKUP_BYTES)?
                        .and_then(|b| b.parse().ok())
                        .unwrap_or(0),
                }),
                _ => None,
            };
            Ok(ReplicaStatus {
                path: self.path.clone(),
                size_bytes: inspect::file_size_with_wal(&self.path),
                schema_version,
                kind: meta::get(&self.conn, meta::KIND)?
                    .and_then(|k| k.parse().ok())
                    .unwrap_or_default(),
                device_id: meta::get(&self.conn, meta::DEVICE_ID)?.unwrap_or_default(),
                created_at: status::parse_time(meta::get(&self.conn, meta::CREATED_AT)?),
                tables: status::table_counts(&self.conn, schema_version)?,
                last_backup,
            })
        };
        read().map_err(ReplicaError::sqlite(
            "reading the replica's status",
            &self.path,
        ))
    }

    /// Upcoming launches (scheduled at or after `from`), earliest first.
    pub fn launches_from(
        &self,
        from: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<LaunchSummary>, ReplicaError> {
        let from = crate::time::stored(from);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let read = || -> rusqlite::Result<Vec<LaunchSummary>> {
            let mut stmt = self.conn.prepare_cached(
                "SELECT l.id, l.mission, v.name, s.code, l.pad, l.scheduled_at, l.status, l.demo
                 FROM launches l
                 JOIN vehicles v ON v.id = l.vehicle_id
                 JOIN spaceports s ON s.id = l.spaceport_id
                 WHERE l.scheduled_at >= ?1
                 ORDER BY l.scheduled_at
                 LIMIT ?2",
            )?;
            stmt.query_map(rusqlite::params![from, limit], LaunchSummary::from_row)?
                .collect()
        };
        read().map_err(ReplicaError::sqlite(
            "reading upcoming launches",
            &self.path,
        ))
    }

    /// A number that changes whenever another connection (the sync task, another process)
    /// commits to the file, so a screen re-reads only when there is something new.
    pub fn data_version(&self) -> Result<i64, ReplicaError> {
        self.conn
            .pragma_query_value(None, "data_version", |r| r.get(0))
            .map_err(ReplicaError::sqlite("reading the data version", &self.path))
    }

    /// A mark that changes whenever what the screens show may have changed: a local write (its
    /// clock time), a pulled page (the sync cursor), a conflict or a pulled op set aside, a
    /// sync run. Unlike [`Self::data_version`], which every commit of another connection
    /// moves, it stays put while the telemetry archive writes its samples, so a console asks
    /// `data_version` first and reads this only when that moved.
    pub fn change_mark(&self) -> Result<String, ReplicaError> {
        self.conn
            .query_row(
                "SELECT ifnull((SELECT value FROM replica_meta WHERE key = ?1), '') || '|' ||
                        ifnull((SELECT value FROM replica_meta WHERE key = ?2), '') || '|' ||
                        (SELECT count(*) || ':' || ifnull(max(rowid), 0) FROM conflicts) || '|' ||
                        (SELECT count(*) || ':' || ifnull(max(rowid), 0) FROM pulled_aside) || '|' ||
                        (SELECT ifnull(max(rowid), 0) FROM sync_runs)",
                [meta::HLC_LAST, meta::SYNC_CURSOR],
                |r| r.get(0),
            )
            .map_err(ReplicaError::sqlite("reading the change mark", &self.path))
    }

    /// Runs a read of the domain tables (the bookings queries of the console). `what` names
    /// the read in the error. Writes must go through [`Self::write`], which records their ops.
    pub fn read<T>(
        &self,
        what: &'static str,
        work: impl FnOnce(&Connection) -> rusqlite::Result<T>,
    ) -> Result<T, ReplicaError> {
        work(&self.conn).map_err(ReplicaError::sqlite(what, &self.path))
    }

    /// Runs `work` in one immediate transaction: every change and its outbox op are stored,
    /// or none of them.
    ///
    /// `work` may fail with its own error type (a booking rule refusing a seat, say), which
    /// rolls the transaction back just the same.
    pub fn write<T, E: From<ReplicaError>>(
        &mut self,
        work: impl FnOnce(&mut Writer<'_>) -> Result<T, E>,
    ) -> Result<T, E> {
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(ReplicaError::sqlite("starting a write", &self.path))?;
        // The sync task has its own connection and may have seen later clock times.
        if let Ok(Some(stored)) = meta::get(&tx, meta::HLC_LAST)
            && let Ok(stored) = stored.parse::<Hlc>()
        {
            self.clock.catch_up(&stored);
        }
        let mut writer = Writer {
            tx,
            clock: &mut self.clock,
            started: crate::time::stored(Utc::now()),
        };
        let value = work(&mut writer)?;
        let Writer { tx, clock, .. } = writer;
        meta::set(&tx, meta::HLC_LAST, &clock.last().to_string())
            .and_then(|()| tx.commit())
            .map_err(ReplicaError::sqlite("committing a write", &self.path))?;
        Ok(value)
    }

    /// Deletes every row marked as demo data, children before parents, in one transaction;
    /// the deletions replicate like any other edit. Returns how many rows were removed.
    pub fn remove_demo_rows(&mut self) -> Result<u64, ReplicaError> {
        self.write(|writer| {
            let mut removed = 0;
            for table in TABLES.iter().rev().filter(|t| t.has_demo_rows()) {
                for id in writer.demo_row_ids(table.name)? {
                    writer.delete(table.name, &id)?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
    }

    /// Writes a consistent copy of the replica to `dest` with SQLite's online backup, and
    /// records it as the last backup. Refuses to overwrite an existing file; a failed backup
    /// leaves no file behind.
    pub fn backup_to(&mut self, dest: &Path) -> Result<BackupRecord, ReplicaError> {
        let record = backup::backup_connection(&self.conn, &self.path, dest)?;
        let store = || -> rusqlite::Result<()> {
            meta::set(
                &self.conn,
                meta::LAST_BACKUP_PATH,
                &record.path.display().to_string(),
            )?;
            meta::set(
                &self.conn,
                meta::LAST_BACKUP_AT,
                &crate::time::stored(record.at),
            )?;
            meta::set(
                &self.conn,
                meta::LAST_BACKUP_BYTES,
                &record.size_bytes.to_string(),
            )
        };
        store().map_err(ReplicaError::sqlite("recording the backup", &self.path))?;
        Ok(record)
    }

    /// Where backups of this replica go by default: `backups/` beside it.
    pub fn backups_dir(&self) -> PathBuf {
        backups_dir(&self.path)
    }
}

/// A new row id: UUIDv7, so ids sort by creation time.
pub fn new_id() -> String {
    // Straight into a buffer: an import makes two ids a row, and `to_string` formats.
    uuid::Uuid::now_v7()
        .hyphenated()
        .encode_lower(&mut uuid::Uuid::encode_buffer())
        .to_owned()
}

fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

pub(crate) fn backups_dir(path: &Path) -> PathBuf {
    parent_dir(path).join("backups")
}

/// Creates the folder if needed and proves it can be written, so that a read-only folder is
/// reported as such rather than as a puzzling SQLite error later.
fn ensure_writable_dir(dir: &Path) -> Result<(), ReplicaError> {
    let not_writable = |cause| ReplicaError::FolderNotWritable {
        dir: dir.to_path_buf(),
        cause,
    };
    std::fs::create_dir_all(dir).map_err(not_writable)?;
    // A name of its own for each check: the console's threads open their connections at the
    // same time, and one's probe must not be removed under another's.
    let probe = dir.join(format!(
        ".galaxium-write-probe-{}-{}",
        std::process::id(),
        uuid::Uuid::new_v4().simple()
    ));
    std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(&probe)
        .map_err(not_writable)?;
    std::fs::remove_file(&probe).map_err(not_writable)
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // FULL: a committed booking survives a power cut, which matters more than write speed.
    conn.pragma_update(None, "synchronous", "FULL")?;
    conn.pragma_update(None, "foreign_keys", "ON")?;
    // 64 MiB of page cache (SQLite's default is 2 MiB): a bulk import or an initial sync
    // writes into indexes far larger than that, and re-reading their pages through the
    // kernel doubled the time they took.
    conn.pragma_update(None, "cache_size", -65_536)?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    Ok(())
}

fn record_identity(conn: &Connection, kind: ReplicaKind) -> rusqlite::Result<()> {
    meta::set(conn, meta::DEVICE_ID, &new_id())?;
    meta::set(conn, meta::CREATED_AT, &crate::time::stored(Utc::now()))?;
    meta::set(conn, meta::KIND, kind.as_str())
}

/// The id of a row that every console makes alike, derived from what names it (UUID v5):
/// `stable_id("demo/vehicles/Aurora")` is the same on every console, so two consoles that
/// each load the demo dataset hold one dataset once they sync, not two.
pub fn stable_id(name: &str) -> String {
    /// The namespace of Galaxium's derived ids (a fixed, random UUID).
    const NAMESPACE: uuid::Uuid = uuid::uuid!("5d0c3f5e-8a4b-4f7e-9a61-2b8e0c1d7f43");
    uuid::Uuid::new_v5(&NAMESPACE, name.as_bytes())
        .hyphenated()
        .to_string()
}
