//! Online copies of the server's SQLite database: `galaxium-server backup FILE`, and the
//! schedule the serving server keeps (every 15 minutes by default, the newest few kept), so
//! that a lost machine loses at most the last interval.
//!
//! `galaxium-server restore FILE` puts a copy back, with the server stopped: the copy is
//! checked, copied beside the database, given a new epoch (consoles that synced after the copy
//! was taken pull again from where it ends and send again what they had sent since; see
//! [`galaxium_sync::protocol::ServerEpoch`]), and its sign-ins are ended; the database it
//! replaces is kept beside it.
//!
//! A copy is taken on a connection of its own, in one read transaction (`VACUUM INTO`): with
//! the database in WAL mode the server goes on taking pushes while it is made, and the copy is
//! the database as it stood at one instant. It is written beside its final name, checked as
//! the server checks a database before opening one, flushed to disk, and only then renamed
//! into place: a copy under its final name is always whole.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OpenFlags};

use crate::store::{NewAuditEntry, SqliteStore, Store as _, StoreError, check_before_opening};
use galaxium_sync::protocol::ServerEpoch;

/// What a backup wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backup {
    /// The copy.
    pub path: PathBuf,
    /// Its size.
    pub bytes: u64,
    /// How long it took, checks included.
    pub took: Duration,
}

/// Copies the database at `db` to `dest`, which must not exist yet.
pub fn take(db: &Path, dest: &Path) -> Result<Backup, StoreError> {
    let started = Instant::now();
    if dest.exists() {
        return Err(StoreError::Io(format!(
            "{} exists already; a backup never overwrites a file (choose a new name)",
            dest.display()
        )));
    }
    if !db.exists() {
        return Err(StoreError::Io(format!("{} does not exist", db.display())));
    }
    let partial = beside(dest, ".partial");
    let written = copy_checked(db, &partial).and_then(|()| {
        std::fs::rename(&partial, dest).map_err(|err| io_error(dest, &err))?;
        if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
            // The rename itself must survive a power cut.
            std::fs::File::open(dir)
                .and_then(|d| d.sync_all())
                .map_err(|err| io_error(dir, &err))?;
        }
        Ok(())
    });
    if let Err(err) = written {
        let _ = std::fs::remove_file(&partial);
        return Err(err);
    }
    let bytes = std::fs::metadata(dest)
        .map_err(|err| io_error(dest, &err))?
        .len();
    Ok(Backup {
        path: dest.to_path_buf(),
        bytes,
        took: started.elapsed(),
    })
}

/// Writes the copy to `partial` and checks it.
fn copy_checked(db: &Path, partial: &Path) -> Result<(), StoreError> {
    let _ = std::fs::remove_file(partial);
    let conn = Connection::open_with_flags(db, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    conn.busy_timeout(Duration::from_secs(30))?;
    let target = partial.to_str().ok_or_else(|| {
        StoreError::Io(format!(
            "{} is not a name SQLite can take",
            partial.display()
        ))
    })?;
    conn.execute("VACUUM INTO ?1", [target]).map_err(|err| {
        StoreError::Io(format!(
            "cannot write the backup {}: {err}",
            partial.display()
        ))
    })?;
    drop(conn);
    // The copy is checked as the server checks a database it opens, so a copy that passes
    // here is one a server will start on.
    check_before_opening(partial)?;
    std::fs::File::open(partial)
        .and_then(|f| f.sync_all())
        .map_err(|err| io_error(partial, &err))
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The epoch the restored database begins.
    pub epoch: ServerEpoch,
    /// Sign-ins and API tokens it ended.
    pub sign_ins_ended: u64,
    /// Where the database it replaced was kept, if there was one.
    pub replaced: Option<PathBuf>,
}

/// `path` with `suffix` added to its file name.
fn beside(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Puts the copy at `copy` in place of the database at `db`, with the server stopped.
pub fn restore(copy: &Path, db: &Path) -> Result<Restored, StoreError> {
    if !copy.exists() {
        return Err(StoreError::Io(format!("{} does not exist", copy.display())));
    }
    let wal = beside(db, "-wal");
    if std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0) {
        return Err(StoreError::Io(format!(
            "{} exists: the server is running on {}, or stopped without folding its log into it. \
             Stop it first (systemctl stop galaxium-server); if it is stopped already, start and \
             stop it once. Nothing was changed",
            wal.display(),
            db.display()
        )));
    }
    let staged = beside(db, ".restoring");
    let _ = std::fs::remove_file(&staged);
    let restored = take(copy, &staged).and_then(|_| {
        let store = SqliteStore::open(&staged)?;
        let (epoch, sign_ins_ended) = store.begin_epoch()?;
        let detail = format!(
            "restored from {}; a new epoch from cursor {}; {sign_ins_ended} sign-ins ended",
            copy.display(),
            epoch.since
        );
        store.audit(&NewAuditEntry {
            actor: "command line",
            action: "restore",
            subject: None,
            detail: &detail,
            address: None,
        })?;
        drop(store);
        // Closing folded the log into the file; a log left over would be lost by the rename.
        if std::fs::metadata(beside(&staged, "-wal")).is_ok_and(|m| m.len() > 0) {
            return Err(StoreError::Io(format!(
                "{} kept a write-ahead log after closing",
                staged.display()
            )));
        }
        Ok((epoch, sign_ins_ended))
    });
    let (epoch, sign_ins_ended) = match restored {
        Ok(done) => done,
        Err(err) => {
            for leftover in [
                staged.clone(),
                beside(&staged, "-wal"),
                beside(&staged, "-shm"),
            ] {
                let _ = std::fs::remove_file(leftover);
            }
            return Err(err);
        }
    };
    let replaced = if db.exists() {
        let aside = beside(
            db,
            &format!(".replaced-{}", Utc::now().format("%Y%m%dT%H%M%SZ")),
        );
        std::fs::rename(db, &aside).map_err(|err| io_error(db, &err))?;
        let _ = std::fs::remove_file(beside(db, "-shm"));
        Some(aside)
    } else {
        None
    };
    std::fs::rename(&staged, db).map_err(|err| io_error(db, &err))?;
    let _ = std::fs::remove_file(beside(&staged, "-shm"));
    if let Some(dir) = db.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|err| io_error(dir, &err))?;
    }
    Ok(Restored {
        epoch,
        sign_ins_ended,
        replaced,
    })
}

fn io_error(path: &Path, err: &std::io::Error) -> StoreError {
    StoreError::Io(format!("{}: {err}", path.display()))
}

/// The schedule's copies in `dir` are named by the time they were taken, so that their names
/// sort by age and nothing else in the folder is ever taken for one.
const PREFIX: &str = "galaxium-server-";
const SUFFIX: &str = ".sqlite";

/// The name of the scheduled copy taken at `at`.
pub fn scheduled_name(at: DateTime<Utc>) -> String {
    format!("{PREFIX}{}{SUFFIX}", at.format("%Y%m%dT%H%M%SZ"))
}

/// The schedule's copies in `dir`, oldest first.
pub fn scheduled_copies(dir: &Path) -> Result<Vec<PathBuf>, StoreError> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(io_error(dir, &err)),
    };
    let mut copies: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .and_then(|n| n.strip_prefix(PREFIX))
                .and_then(|n| n.strip_suffix(SUFFIX))
                .is_some_and(|stamp| {
                    chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ").is_ok()
                })
        })
        .collect();
    copies.sort();
    Ok(copies)
}

/// When the newest scheduled copy in `dir` was taken, by its name.
pub fn newest_taken_at(dir: &Path) -> Result<Option<DateTime<Utc>>, StoreError> {
    Ok(scheduled_copies(dir)?.last().and_then(|path| {
        let name = path.file_name()?.to_str()?;
        let stamp = name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?;
        chrono::NaiveDateTime::parse_from_str(stamp, "%Y%m%dT%H%M%SZ")
            .ok()
            .map(|t| t.and_utc())
    }))
}

/// Takes the scheduled copy of `db` into `dir` (made if missing) and removes the oldest of
/// the schedule's copies beyond `keep`; what it wrote, and how many it removed.
pub fn take_scheduled(
    db: &Path,
    dir: &Path,
    keep: usize,
    at: DateTime<Utc>,
) -> Result<(Backup, usize), StoreError> {
    std::fs::create_dir_all(dir).map_err(|err| io_error(dir, &err))?;
    let backup = take(db, &dir.join(scheduled_name(at)))?;
    let copies = scheduled_copies(dir)?;
    let mut removed = 0;
    for old in copies.iter().take(copies.len().saturating_sub(keep.max(1))) {
        std::fs::remove_file(old).map_err(|err| io_error(old, &err))?;
        removed += 1;
    }
    Ok((backup, removed))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SqliteStore;
    use galaxium_sync::schema::registry::Role;

    fn server_db(dir: &Path) -> PathBuf {
        let db = dir.join("server.sqlite");
        let store = SqliteStore::open(&db).unwrap();
        store.add_user("ada", Role::Admin, "hash").unwrap();
        db
    }

    #[test]
    fn a_copy_is_whole_never_overwrites_and_leaves_nothing_half_written() {
        let dir = tempfile::tempdir().unwrap();
        let db = server_db(dir.path());
        let dest = dir.path().join("copy.sqlite");
        let backup = take(&db, &dest).unwrap();
        assert!(backup.bytes > 0);
        let copy = SqliteStore::open(&dest).unwrap();
        assert!(
            copy.user("ada").unwrap().is_some(),
            "the copy holds the data"
        );
        drop(copy);
        let before = std::fs::read(&dest).unwrap();
        let err = take(&db, &dest).unwrap_err();
        assert!(err.to_string().contains("exists already"), "{err}");
        assert_eq!(
            std::fs::read(&dest).unwrap(),
            before,
            "the first copy untouched"
        );
        // A folder that cannot be written leaves no partial file behind.
        let missing = dir.path().join("no-such-folder").join("copy.sqlite");
        assert!(take(&db, &missing).is_err());
        assert!(!dir.path().join("no-such-folder").exists());
        // Another program's file is not backed up as if it were the server's.
        let other = dir.path().join("other.sqlite");
        Connection::open(&other)
            .unwrap()
            .execute_batch("PRAGMA application_id = 7; CREATE TABLE t (x);")
            .unwrap();
        let err = take(&other, &dir.path().join("other-copy.sqlite")).unwrap_err();
        assert!(matches!(err, StoreError::NotOurs(_)), "{err}");
        assert!(!dir.path().join("other-copy.sqlite").exists());
        assert!(!dir.path().join("other-copy.sqlite.partial").exists());
    }

    #[test]
    fn the_schedule_keeps_the_newest_copies_and_nothing_else_in_the_folder_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let db = server_db(dir.path());
        let backups = dir.path().join("backups");
        std::fs::create_dir_all(&backups).unwrap();
        let notes = backups.join("galaxium-server-notes.sqlite");
        std::fs::write(&notes, "an operator's own file").unwrap();
        let start = DateTime::parse_from_rfc3339("2026-11-30T08:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        for n in 0..5 {
            let at = start + chrono::Duration::minutes(15 * n);
            take_scheduled(&db, &backups, 3, at).unwrap();
        }
        let names: Vec<String> = scheduled_copies(&backups)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "galaxium-server-20261130T083000Z.sqlite",
                "galaxium-server-20261130T084500Z.sqlite",
                "galaxium-server-20261130T090000Z.sqlite",
            ]
        );
        assert!(notes.exists());
        assert_eq!(
            newest_taken_at(&backups).unwrap(),
            Some(start + chrono::Duration::minutes(60))
        );
    }
}
