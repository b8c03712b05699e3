use std::path::{Path, PathBuf};

use chrono::{SubsecRound as _, Utc};
use rusqlite::{Connection, MAIN_DB};

use super::inspect::{self, IntegrityLevel};
use super::{BackupRecord, ReplicaError};

/// Copies the database behind `conn` to `dest` through a temporary file in the same folder,
/// renamed into place only once complete.
pub(crate) fn backup_connection(
    conn: &Connection,
    source: &Path,
    dest: &Path,
) -> Result<BackupRecord, ReplicaError> {
    if dest.exists() {
        return Err(ReplicaError::BackupExists {
            path: dest.to_path_buf(),
        });
    }
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(ReplicaError::io("creating the backup folder", dir))?;
    }
    let partial = partial_path(dest);
    let result = conn
        .backup(MAIN_DB, &partial, None::<fn(rusqlite::backup::Progress)>)
        .map_err(ReplicaError::sqlite("backing up", source))
        .and_then(|()| {
            std::fs::rename(&partial, dest).map_err(ReplicaError::io("finishing the backup", dest))
        });
    if let Err(err) = result {
        // Best effort: the partial copy is useless, and its removal failing changes nothing.
        let _ = std::fs::remove_file(&partial);
        return Err(err);
    }
    let size_bytes = std::fs::metadata(dest).map_or(0, |m| m.len());
    tracing::info!(source = %source.display(), dest = %dest.display(), size_bytes, "backup written");
    Ok(BackupRecord {
        path: dest.to_path_buf(),
        at: Utc::now().trunc_subsecs(0),
        size_bytes,
    })
}

/// Replaces the replica at `target` with the backup at `backup`.
///
/// The backup is checked first (SQLite, ours, not too new, passes `integrity_check`). The file
/// it replaces, with its write-ahead log, is moved into `backups/` rather than deleted, so a
/// restore loses nothing. The restored replica gets a new device id, so its unsent edits can
/// never be mistaken for ones the old identity already sent. The console must not have the
/// replica open. Returns where the replaced file went, if there was one.
pub fn restore(backup: &Path, target: &Path) -> Result<Option<PathBuf>, ReplicaError> {
    if !backup.exists() {
        return Err(ReplicaError::MissingBackup {
            path: backup.to_path_buf(),
        });
    }
    inspect::inspect(backup, IntegrityLevel::Full)?;
    let dir = super::parent_dir(target);
    super::ensure_writable_dir(&dir)?;

    let staged = partial_path(target);
    std::fs::copy(backup, &staged).map_err(ReplicaError::io("copying the backup", &staged))?;
    let sync_staged = std::fs::File::open(&staged).and_then(|f| f.sync_all());
    if let Err(err) = sync_staged {
        let _ = std::fs::remove_file(&staged);
        return Err(ReplicaError::io("copying the backup", &staged)(err));
    }

    // A new device id: the restored outbox may reuse sequence numbers the old identity already
    // pushed, and the server would answer them with the old verdicts.
    // The kept sign-in was bound to the old id: the restored console signs in again.
    // What the old identity sent is the server's under that identity: never sent again.
    let renew = rusqlite::Connection::open(&staged).and_then(|conn| {
        super::meta::set(&conn, super::meta::DEVICE_ID, &super::new_id())?;
        conn.execute(
            "DELETE FROM replica_meta WHERE key = ?1",
            [super::meta::SIGN_IN],
        )?;
        let keeps_sent_ops: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'sent_ops')",
            [],
            |r| r.get(0),
        )?;
        if keeps_sent_ops {
            conn.execute("DELETE FROM sent_ops", [])?;
        }
        Ok(())
    });
    if let Err(cause) = renew {
        let _ = std::fs::remove_file(&staged);
        return Err(ReplicaError::sqlite(
            "giving the restored replica a new device id",
            &staged,
        )(cause));
    }

    let mut set_aside = None;
    if target.exists() {
        let stamp = Utc::now().format("%Y%m%dT%H%M%SZ");
        let aside = super::backups_dir(target).join(format!("replaced-by-restore-{stamp}.sqlite"));
        std::fs::create_dir_all(super::backups_dir(target))
            .map_err(ReplicaError::io("creating the backup folder", &aside))?;
        // The database and its log move together, so the set-aside copy stays consistent.
        for (from, to) in [
            (target.to_path_buf(), aside.clone()),
            (inspect::wal_path(target), inspect::wal_path(&aside)),
            (inspect::shm_path(target), inspect::shm_path(&aside)),
        ] {
            if from.exists() {
                std::fs::rename(&from, &to)
                    .map_err(ReplicaError::io("setting the current replica aside", &from))?;
            }
        }
        set_aside = Some(aside);
    }
    std::fs::rename(&staged, target)
        .map_err(ReplicaError::io("putting the backup in place", target))?;
    tracing::info!(backup = %backup.display(), target = %target.display(), "replica restored");
    Ok(set_aside)
}

fn partial_path(dest: &Path) -> PathBuf {
    let mut name = dest
        .file_name()
        .map(std::ffi::OsStr::to_os_string)
        .unwrap_or_default();
    name.push(".partial");
    dest.with_file_name(name)
}

/// What a training copy does to people beyond clearing their personal columns: passengers
/// are named by number, and dates of birth keep only their year.
pub(crate) const PSEUDONYMISE: &str = "
    UPDATE passengers SET
        full_name = 'Passenger ' || (SELECT COUNT(*) FROM passengers AS p WHERE p.id <= passengers.id),
        date_of_birth = CASE WHEN date_of_birth IS NULL THEN NULL
                             ELSE substr(date_of_birth, 1, 4) || '-01-01' END;
    -- A closed manifest froze the names it listed: each becomes the passenger of its seat.
    UPDATE manifests SET content = json_set(content, '$.entries', json((
        SELECT json_group_array(json_set(entry.value, '$.name',
                                         'Passenger ' || json_extract(entry.value, '$.seat')))
        FROM json_each(manifests.content, '$.entries') AS entry
    )))
    WHERE json_valid(content) AND json_type(content, '$.entries') = 'array';
    -- Content that is not the manifest's JSON cannot be rewritten: it goes.
    UPDATE manifests SET content = '{}'
    WHERE NOT json_valid(content) OR json_type(content, '$.entries') IS NOT 'array';
";

impl super::Replica {
    /// Copies this replica into a new training sandbox at `dest` (which must not exist): the
    /// rows as they are now, under a new identity that is a training replica, with nothing of
    /// the original's sync state (no outbox, cursor, sign-in, conflicts or history); every row
    /// is recorded afresh as the sandbox's own insert, so a training session it hosts receives
    /// them. People in it are pseudonymised (`PSEUDONYMISE`): trainees see every field
    /// of a sandbox, so a copy never carries who the passengers really are. The original is
    /// only read.
    pub fn training_copy(&self, dest: &Path) -> Result<super::Replica, ReplicaError> {
        backup_connection(&self.conn, &self.path, dest)?;
        let reset = || -> rusqlite::Result<()> {
            let mut conn = Connection::open(dest)?;
            let tx = conn.transaction()?;
            tx.execute_batch(
                "DELETE FROM outbox;
                 DELETE FROM sent_ops;
                 DELETE FROM sqlite_sequence WHERE name = 'outbox';
                 DELETE FROM conflicts;
                 DELETE FROM sync_runs;",
            )?;
            tx.execute_batch(PSEUDONYMISE)?;
            for spec in crate::schema::registry::TABLES {
                for column in spec.personal_columns {
                    // Dates of birth keep their year (ages still check); the rest goes.
                    if *column != "date_of_birth" {
                        tx.execute(&format!("UPDATE {} SET {column} = NULL", spec.name), [])?;
                    }
                }
            }
            for key in [
                super::meta::SIGN_IN,
                super::meta::SYNC_CURSOR,
                super::meta::SERVER_EPOCH,
                super::meta::TRAINING_SESSION,
                super::meta::HLC_LAST,
                super::meta::LAST_BACKUP_AT,
                super::meta::LAST_BACKUP_PATH,
                super::meta::LAST_BACKUP_BYTES,
            ] {
                tx.execute("DELETE FROM replica_meta WHERE key = ?1", [key])?;
            }
            super::record_identity(&tx, super::ReplicaKind::Training)?;
            tx.commit()
        };
        if let Err(cause) = reset() {
            // Half a sandbox is no use: the copy goes, the original was never touched.
            let _ = std::fs::remove_file(dest);
            return Err(ReplicaError::Sqlite {
                context: "making the training copy",
                path: dest.to_path_buf(),
                cause,
            });
        }
        let mut copy = super::Replica::open(dest, &super::OpenOptions::default())?;
        // A method path will not do: the writer's lifetime must stay open for `write`.
        #[allow(clippy::redundant_closure_for_method_calls, reason = "see above")]
        let rows = copy.write(|w| w.republish_every_row())?;
        tracing::info!(source = %self.path.display(), dest = %dest.display(), rows, "training copy made");
        Ok(copy)
    }
}
