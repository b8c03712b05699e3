//! Keys of the `replica_meta` table: facts about the replica itself.

use rusqlite::{Connection, OptionalExtension, params};

pub(crate) const DEVICE_ID: &str = "device_id";
/// The device's secret key, with the device id it was made for: `"<id> <key>"` (a replica
/// whose id is renewed, on restore or as a training copy, makes a key of its own).
pub(crate) const DEVICE_KEY: &str = "device_key";
pub(crate) const CREATED_AT: &str = "created_at";
pub(crate) const KIND: &str = "kind";
pub(crate) const LAST_BACKUP_AT: &str = "last_backup_at";
pub(crate) const LAST_BACKUP_PATH: &str = "last_backup_path";
pub(crate) const LAST_BACKUP_BYTES: &str = "last_backup_bytes";
/// The newest hybrid-logical-clock time this replica issued or saw.
pub(crate) const HLC_LAST: &str = "hlc_last";
/// The last sign-in: server, user, role, token and its expiry (never the password).
pub(crate) const SIGN_IN: &str = "sign_in";
/// The server training session a sandbox belongs to (see `TrainingLink`).
pub(crate) const TRAINING_SESSION: &str = "training_session";
/// Before the key of a preference (a user's panel layout, say), so none can collide with the
/// keys above.
pub(crate) const PREFERENCE_PREFIX: &str = "preference.";
/// The server cursor this replica has pulled up to.
pub(crate) const SYNC_CURSOR: &str = "sync_cursor";
/// The server epoch the sync cursor counts in.
pub(crate) const SERVER_EPOCH: &str = "server_epoch";

pub(crate) fn get(conn: &Connection, key: &str) -> rusqlite::Result<Option<String>> {
    // Before the first migration there is no meta table; that is "nothing recorded".
    let has_table: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'replica_meta')",
        [],
        |row| row.get(0),
    )?;
    if !has_table {
        return Ok(None);
    }
    conn.query_row(
        "SELECT value FROM replica_meta WHERE key = ?1",
        [key],
        |row| row.get(0),
    )
    .optional()
}

pub(crate) fn set(conn: &Connection, key: &str, value: &str) -> rusqlite::Result<()> {
    conn.execute(
        "INSERT INTO replica_meta (key, value) VALUES (?1, ?2)
         ON CONFLICT (key) DO UPDATE SET value = excluded.value",
        params![key, value],
    )?;
    Ok(())
}
