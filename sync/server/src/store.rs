//! The server's storage, behind [`Store`] so a PostgreSQL backend can follow; SQLite
//! ([`SqliteStore`]) is the default. Validation against the registry happens inside the push
//! transaction, so a verdict and its effect commit together.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Duration, Utc};
use rusqlite::{Connection, OptionalExtension as _, Transaction, TransactionBehavior, params};
use serde_json::{Map, Value};

use super::auth::{BoundDevice, Principal};
use crate::outbound::Settled;
use crate::rules::{self, Ledger, Recorded, StoredRow};
use galaxium_sync::hlc::HlcClock;
use galaxium_sync::protocol::{
    MAX_PULL_BYTES, MissionClock, Op, OpKind, PullResponse, SERVER_DEVICE, ServerEpoch, ServerOp,
    TelemetryFrame, TelemetryPoint, TrainingSession,
};
use galaxium_sync::schema::registry::{Role, TABLES};

/// Why the store could not do something.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database failed.
    #[error("server database: {0}")]
    Database(#[from] rusqlite::Error),
    /// PostgreSQL failed, or could not be reached.
    #[error("server database (PostgreSQL): {0}")]
    Postgres(String),
    /// PostgreSQL refused a write that breaks one of its constraints (a key the request
    /// repeats): the request's fault, not an outage to retry.
    #[error("server database (PostgreSQL): {0}")]
    PostgresConstraint(String),
    /// A file the store needs could not be made.
    #[error("server files: {0}")]
    Io(String),
    /// The user exists already.
    #[error("user {0:?} exists already")]
    UserExists(String),
    /// A request signed in without a device named a device registered with a key: only a
    /// sign-in with that key may speak for it.
    #[error("device {0} is registered to a console with its own key; sign in on that console")]
    DeviceClaimed(String),
    /// The file is not this server's database (another program's, or not a database at all);
    /// it was left untouched.
    #[error(
        "this is not a Galaxium server database ({0}); it was left untouched. Point --db at the server's own database, or at a new file"
    )]
    NotOurs(String),
    /// The database failed its integrity check; it was left untouched.
    #[error(
        "the server database failed its integrity check ({0}); it was left untouched. Restore it from a backup"
    )]
    Corrupt(String),
    /// The database was written by a newer server.
    #[error("the server database has schema version {found}; this server knows up to {supported}")]
    TooNew {
        /// Its version.
        found: u32,
        /// Ours.
        supported: u32,
    },
}

/// A user as stored.
#[derive(Debug, Clone)]
pub struct UserRecord {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// argon2 PHC string.
    pub password_hash: String,
    /// Whether they may no longer sign in.
    pub disabled: bool,
}

/// Figures for `/metrics`.
#[derive(Debug, Clone, Copy, Default)]
pub struct StoreStats {
    /// The newest cursor.
    pub head_cursor: u64,
    /// Devices seen in the last five minutes.
    pub connected_devices: u64,
    /// How far behind the head the furthest-behind connected device has pulled.
    pub pull_lag: u64,
}

/// What the server stores. Every method is blocking; the HTTP layer calls them off the
/// async runtime.
pub trait Store: Send + Sync + 'static {
    /// Adds a user.
    fn add_user(&self, name: &str, role: Role, password_hash: &str) -> Result<(), StoreError>;
    /// Looks a user up.
    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError>;
    /// Every user, by name, with how many sign-ins of theirs are live.
    fn users(&self) -> Result<Vec<UserSummary>, StoreError>;
    /// Changes a user (and ends their sign-ins: a change takes effect at once); `false` when
    /// there is no such user.
    fn change_user(&self, name: &str, change: &UserChange) -> Result<bool, StoreError>;
    /// Ends every sign-in of `user`; how many there were.
    fn revoke_tokens(&self, user: &str) -> Result<u64, StoreError>;
    /// Ends one sign-in.
    fn revoke_token(&self, token_hash: &str) -> Result<bool, StoreError>;
    /// Keeps a service account's API token (its hash), named `label`, for `scope` only, until
    /// `expires_at`; makes the account (a user that cannot sign in with a password) if needed.
    fn save_api_token(
        &self,
        token_hash: &str,
        account_and_label: (&str, &str),
        scope: crate::auth::Scope,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// Every API token: (label, account, scope, expires at).
    fn api_tokens(&self) -> Result<Vec<(String, String, String, String)>, StoreError>;
    /// Revokes the API tokens named `label`; how many.
    fn revoke_api_token(&self, label: &str) -> Result<u64, StoreError>;
    /// A number that moves on whenever any sign-in ends, by whichever process ended it.
    fn sign_ins_ended(&self) -> Result<u64, StoreError>;
    /// Appends to the audit log.
    fn audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), StoreError>;
    /// The audit log after entry `after`, oldest first, at most `limit`.
    fn audit_entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError>;
    /// Keeps a token's hash until it expires.
    fn save_token(
        &self,
        token_hash: &str,
        principal: &Principal,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    /// The principal behind a token hash (with the device it is bound to) and when it
    /// expires.
    fn token(&self, token_hash: &str) -> Result<Option<(Principal, DateTime<Utc>)>, StoreError>;
    /// Registers device `id` with the hash of its key for `principal` signing in, or checks
    /// the key of a device registered before.
    fn register_device(
        &self,
        id: &str,
        key_hash: &str,
        training: bool,
        principal: &Principal,
    ) -> Result<Registration, StoreError>;
    /// Validates and orders a device's ops; one verdict per op, in order.
    fn push(
        &self,
        principal: &Principal,
        device_id: &str,
        ops: &[Op],
    ) -> Result<Vec<Settled>, StoreError>;
    /// Ops after `after`, at most `limit`; records how far `device_id` has pulled.
    fn pull(
        &self,
        principal: &Principal,
        device_id: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Result<PullResponse, StoreError>;
    /// The epoch its cursors count in.
    fn epoch(&self) -> ServerEpoch;
    /// Figures for `/metrics`.
    fn stats(&self) -> Result<StoreStats, StoreError>;
    /// Stores a producer's telemetry points with consecutive sequence numbers and drops what
    /// is older than [`TELEMETRY_RETENTION`]; returns the frame to relay.
    fn append_telemetry(
        &self,
        producer: &str,
        points: Vec<TelemetryPoint>,
    ) -> Result<TelemetryFrame, StoreError>;
    /// Stored telemetry after sequence number `after`, at most `limit` points, in order; `None`
    /// when nothing newer is held.
    fn telemetry_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Option<TelemetryFrame>, StoreError>;
    /// The newest telemetry sequence number (0 when none was ever stored).
    fn telemetry_head(&self) -> Result<u64, StoreError>;
    /// The columns of a live row (`None` when it was never stored or was deleted). `table`
    /// comes from the registry.
    fn live_row(&self, table: &str, row_id: &str)
    -> Result<Option<Map<String, Value>>, StoreError>;
    /// Whether the store can serve.
    fn ping(&self) -> Result<(), StoreError>;
    /// Records a new training session.
    fn create_training_session(
        &self,
        session: &TrainingSession,
        members: &[String],
    ) -> Result<(), StoreError>;
    /// Every training session `member` takes part in (every one when `None`), newest first.
    fn training_sessions(&self, member: Option<&str>) -> Result<Vec<TrainingSession>, StoreError>;
    /// Whether `user` takes part in session `id`.
    fn is_training_member(&self, id: &str, user: &str) -> Result<bool, StoreError>;
    /// One training session.
    fn training_session(&self, id: &str) -> Result<Option<TrainingSession>, StoreError>;
    /// Sets a session's clock; `false` when there is no such session.
    fn set_training_clock(&self, id: &str, clock: &MissionClock) -> Result<bool, StoreError>;
    /// Remembers `device_id` as a sandbox of session `session_id` (the first session it
    /// reached); returns the session it belongs to.
    fn bind_training_device(&self, device_id: &str, session_id: &str)
    -> Result<String, StoreError>;
    /// Whether training sessions live inside this store's database (a schema each on
    /// PostgreSQL) rather than in databases of their own beside it.
    fn holds_training_sessions(&self) -> bool {
        false
    }
    /// The store of training session `id` inside this store's database (see
    /// [`Store::holds_training_sessions`]).
    fn training_session_store(&self, id: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
        Err(StoreError::Io(format!(
            "training session {id}: this store keeps no sessions inside it"
        )))
    }
    /// Sends telemetry that other server instances store in this namespace to `relay` (on
    /// a database several instances share); nothing to do where one process holds the data.
    fn relay_from_other_instances(
        &self,
        relay: tokio::sync::broadcast::Sender<std::sync::Arc<TelemetryFrame>>,
    ) {
        let _ = relay;
    }
}

/// Builds one page of a pull: at most `limit` ops, ending before the op that would take it
/// past [`MAX_PULL_BYTES`] (one op always goes, however large, so a pull always moves on).
pub(crate) struct PageBuilder {
    ops: Vec<ServerOp>,
    limit: usize,
    bytes: usize,
    cut_short: bool,
}

impl PageBuilder {
    pub(crate) fn new(limit: usize) -> Self {
        Self {
            ops: Vec::new(),
            limit,
            bytes: 0,
            cut_short: false,
        }
    }

    /// Adds an op read after the last (its payload and notice `size` bytes long); `false`
    /// when the page is full and reading should stop.
    pub(crate) fn add(&mut self, op: ServerOp, size: usize) -> bool {
        self.bytes += size + 256;
        if !self.ops.is_empty() && self.bytes > MAX_PULL_BYTES {
            self.cut_short = true;
            return false;
        }
        self.ops.push(op);
        true
    }

    /// The page's ops, the cursor after them (`after` when there are none), and whether more
    /// follow. The reader asks for `limit + 1` ops to know.
    pub(crate) fn finish(self, after: u64) -> (Vec<ServerOp>, u64, bool) {
        let mut ops = self.ops;
        let more = ops.len() > self.limit || self.cut_short;
        ops.truncate(self.limit);
        let next_cursor = ops.last().map_or(after, |op| op.cursor);
        (ops, next_cursor, more)
    }
}

/// A user as `user list` shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserSummary {
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Whether they may sign in.
    pub disabled: bool,
    /// Their sign-ins that have not expired.
    pub live_sign_ins: u64,
}

/// A change to a user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    /// May no longer sign in.
    Disable,
    /// May sign in again.
    Enable,
    /// A new role.
    Role(Role),
    /// A new password (its argon2 hash).
    Password(String),
}

/// What the audit log keeps of one event.
#[derive(Debug, Clone, Copy)]
pub struct NewAuditEntry<'a> {
    /// Who did it.
    pub actor: &'a str,
    /// What: `sign-in`, `sign-in-failed`, `sign-out`, `user-added`, `ops-refused`, …
    pub action: &'a str,
    /// To what, when not the actor.
    pub subject: Option<&'a str>,
    /// More, in words.
    pub detail: &'a str,
    /// From where.
    pub address: Option<&'a str>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AuditEntry {
    /// Its number (entries are numbered in order).
    pub id: i64,
    /// When (RFC 3339 UTC).
    pub at: String,
    /// Who did it.
    pub actor: String,
    /// What.
    pub action: String,
    /// To what.
    pub subject: Option<String>,
    /// More, in words.
    pub detail: String,
    /// From where.
    pub address: Option<String>,
}

/// What came of a device's registration at sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Registration {
    /// Registered now, or registered before with the same key.
    Registered,
    /// Registered before with another key (another console, or a copied replica), or seen
    /// before keys under another user who is not an admin: refused.
    Taken,
}

/// The server's schema steps, in order; `user_version` counts those applied. Append only.
const SERVER_MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_server.sql"),
    include_str!("migrations/0002_resources.sql"),
    include_str!("migrations/0003_telemetry.sql"),
    include_str!("migrations/0004_training.sql"),
    include_str!("migrations/0005_refusal_notices.sql"),
    include_str!("migrations/0006_repairs.sql"),
    include_str!("migrations/0007_one_time_form.sql"),
    include_str!("migrations/0008_devices_are_identities.sql"),
    include_str!("migrations/0009_users_and_audit.sql"),
    include_str!("migrations/0010_tombstone_cursor.sql"),
    include_str!("migrations/0011_sign_in_endings.sql"),
    include_str!("migrations/0012_server_epoch.sql"),
];
#[allow(clippy::cast_possible_truncation, reason = "a handful of migrations")]
const SERVER_SCHEMA_VERSION: u32 = SERVER_MIGRATIONS.len() as u32;
const SERVER_APPLICATION_ID: i32 = 0x4758_5356; // "GXSV"

/// Marks a row deleted as of its latest op (the delete just recorded), which the purge reads.
pub(crate) const MARK_DELETED: &str = "UPDATE rows SET deleted = 1, deleted_at = (
         SELECT max(cursor) FROM ops WHERE table_name = ?1 AND row_id = ?2)
     WHERE table_name = ?1 AND row_id = ?2";

/// At most this many deleted rows are forgotten after one pull, so a purge never holds the
/// lock for long; the rest go after the next pulls.
pub(crate) const PURGE_BATCH: i64 = 1_000;

/// After how long unseen a device no longer holds back the purge of deleted rows.
pub const DEVICE_FORGOTTEN_AFTER: Duration = Duration::days(30);

/// How long the server keeps telemetry it has relayed.
pub const TELEMETRY_RETENTION: std::time::Duration = std::time::Duration::from_hours(24);

/// The SQLite store: one file, WAL, `synchronous=FULL`.
pub struct SqliteStore {
    conn: Mutex<Connection>,
    /// Gives ops stamped too far ahead the server's time instead, in order (see
    /// [`galaxium_sync::protocol::MAX_CLOCK_AHEAD`]).
    clamp_clock: Mutex<HlcClock>,
    /// The epoch its cursors count in: set when the database is made or restored, never
    /// while it is open.
    epoch: ServerEpoch,
}

impl SqliteStore {
    /// Opens (or creates) the server database at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        check_before_opening(path)?;
        let mut conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let version: u32 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        if version > SERVER_SCHEMA_VERSION {
            return Err(StoreError::TooNew {
                found: version,
                supported: SERVER_SCHEMA_VERSION,
            });
        }
        for (index, sql) in SERVER_MIGRATIONS.iter().enumerate().skip(version as usize) {
            let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
            tx.execute_batch(sql)?;
            tx.pragma_update(
                None,
                "user_version",
                i64::try_from(index + 1).unwrap_or(i64::MAX),
            )?;
            tx.pragma_update(None, "application_id", SERVER_APPLICATION_ID)?;
            tx.commit()?;
        }
        index_references(&conn)?;
        let mut clamp_clock = HlcClock::new(SERVER_DEVICE, None);
        if !super::repair::done(&conn)? {
            super::repair::repair(&mut conn, &mut clamp_clock)?.log();
        }
        let epoch = conn.query_row("SELECT database, epoch, since FROM server_epoch", [], |r| {
            Ok(ServerEpoch {
                database: r.get(0)?,
                id: r.get(1)?,
                since: r.get::<_, i64>(2)?.unsigned_abs(),
            })
        })?;
        Ok(Self {
            conn: Mutex::new(conn),
            clamp_clock: Mutex::new(clamp_clock),
            epoch,
        })
    }

    /// Starts a new epoch from the newest cursor held (for a database just put back from a
    /// copy) and ends every sign-in and API token it held: a sign-out or revocation made after
    /// the copy was taken must not come back with it. The new epoch, and how many sign-ins
    /// ended.
    pub fn begin_epoch(&self) -> Result<(ServerEpoch, u64), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        exec(
            &tx,
            "UPDATE server_epoch SET epoch = lower(hex(randomblob(16))),
                 since = (SELECT coalesce(max(cursor), 0) FROM ops)",
            [],
        )?;
        let ended = exec(&tx, "DELETE FROM tokens", [])?;
        let epoch = one(
            &tx,
            "SELECT database, epoch, since FROM server_epoch",
            [],
            |r| {
                Ok(ServerEpoch {
                    database: r.get(0)?,
                    id: r.get(1)?,
                    since: r.get::<_, i64>(2)?.unsigned_abs(),
                })
            },
        )?;
        tx.commit()?;
        Ok((epoch, ended as u64))
    }

    /// Records ops as accepted without judging them, as a server before the value and key
    /// rules did: only for tests that rebuild the state such a server could leave behind, to
    /// prove that [`super::repair`] mends it.
    #[doc(hidden)]
    pub fn accept_unjudged(
        &self,
        principal: &Principal,
        device_id: &str,
        ops: &[Op],
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut ledger = SqliteLedger(&tx);
        ledger.note_device(device_id, &principal.user)?;
        for op in ops {
            let existing = ledger.row(&op.table, &op.row_id)?;
            let row = (op.kind != OpKind::Delete).then(|| {
                let (mut data, mut clocks) =
                    existing.map_or_else(Default::default, |c| (c.data, c.clocks));
                for (column, value) in &op.payload {
                    data.insert(column.clone(), value.clone());
                    clocks.insert(column.clone(), Value::String(op.hlc.clone()));
                }
                (data, clocks)
            });
            ledger.record(&Recorded {
                op,
                kind: op.kind,
                effective: &op.payload,
                user: &principal.user,
                row,
            })?;
        }
        // What was taken unjudged has not been through the repair.
        tx.execute("DELETE FROM repairs", [])?;
        tx.commit()?;
        Ok(())
    }

    /// Runs the start-up repair again (it runs at [`SqliteStore::open`] once per version of
    /// the rules).
    pub fn repair(&self) -> Result<super::repair::RepairReport, StoreError> {
        let mut conn = self.lock();
        let mut clock = self
            .clamp_clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let report = super::repair::repair(&mut conn, &mut clock)?;
        report.log();
        Ok(report)
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite half-written (transactions
        // roll back), so a poisoned lock is still safe to use.
        self.conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn now_text() -> String {
    galaxium_sync::time::stored(Utc::now())
}

impl Store for SqliteStore {
    fn add_user(&self, name: &str, role: Role, password_hash: &str) -> Result<(), StoreError> {
        let conn = self.lock();
        let inserted = conn.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (name) DO NOTHING",
            params![name, role.as_str(), password_hash, now_text()],
        )?;
        if inserted == 0 {
            return Err(StoreError::UserExists(name.to_owned()));
        }
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        let conn = self.lock();
        Ok(conn
            .query_row(
                "SELECT name, role, password_hash, disabled FROM users WHERE name = ?1",
                [name],
                |row| {
                    let role: String = row.get(1)?;
                    Ok(UserRecord {
                        name: row.get(0)?,
                        role: role.parse().unwrap_or(Role::Trainee),
                        password_hash: row.get(2)?,
                        disabled: row.get::<_, i64>(3)? != 0,
                    })
                },
            )
            .optional()?)
    }

    fn save_token(
        &self,
        token_hash: &str,
        principal: &Principal,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let conn = self.lock();
        // Expired tokens are of no use to anyone; drop them while here.
        conn.execute("DELETE FROM tokens WHERE expires_at < ?1", [now_text()])?;
        conn.execute(
            "INSERT INTO tokens (token_hash, user, role, expires_at, device_id)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                token_hash,
                principal.user,
                principal.role.as_str(),
                galaxium_sync::time::stored(expires_at),
                principal.device.as_ref().map(|d| d.id.as_str())
            ],
        )?;
        Ok(())
    }

    fn sign_ins_ended(&self) -> Result<u64, StoreError> {
        let generation: i64 = self.lock().query_row(
            "SELECT generation FROM sign_in_endings WHERE id = 1",
            [],
            |r| r.get(0),
        )?;
        Ok(generation.unsigned_abs())
    }

    fn token(&self, token_hash: &str) -> Result<Option<(Principal, DateTime<Utc>)>, StoreError> {
        let conn = self.lock();
        let found = conn
            .query_row(
                "SELECT t.user, t.role, t.expires_at, t.device_id, d.training, t.scope
                 FROM tokens t
                 JOIN users u ON u.name = t.user AND u.disabled = 0
                 LEFT JOIN devices d ON d.device_id = t.device_id
                 WHERE t.token_hash = ?1",
                [token_hash],
                |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, Option<String>>(3)?,
                        row.get::<_, Option<i64>>(4)?,
                        row.get::<_, Option<String>>(5)?,
                    ))
                },
            )
            .optional()?;
        Ok(
            found.and_then(|(user, role, expires, device, training, scope)| {
                let expires = DateTime::parse_from_rfc3339(&expires)
                    .ok()?
                    .with_timezone(&Utc);
                Some((
                    Principal {
                        user,
                        role: role.parse().ok()?,
                        device: device.map(|id| BoundDevice {
                            id,
                            training: training.unwrap_or(0) != 0,
                        }),
                        practising: false,
                        // A scope this server does not know grants nothing at all.
                        scope: match scope {
                            None => None,
                            Some(scope) => Some(scope.parse().ok()?),
                        },
                    },
                    expires,
                ))
            }),
        )
    }

    fn users(&self) -> Result<Vec<UserSummary>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT u.name, u.role, u.disabled,
                    (SELECT count(*) FROM tokens t WHERE t.user = u.name AND t.expires_at > ?1)
             FROM users u ORDER BY u.name",
        )?;
        let users = stmt
            .query_map([now_text()], |r| {
                Ok(UserSummary {
                    name: r.get(0)?,
                    role: r.get::<_, String>(1)?.parse().unwrap_or(Role::Trainee),
                    disabled: r.get::<_, i64>(2)? != 0,
                    live_sign_ins: r.get::<_, i64>(3)?.unsigned_abs(),
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(users)
    }

    fn change_user(&self, name: &str, change: &UserChange) -> Result<bool, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let changed = match change {
            UserChange::Disable => {
                exec(&tx, "UPDATE users SET disabled = 1 WHERE name = ?1", [name])?
            }
            UserChange::Enable => {
                exec(&tx, "UPDATE users SET disabled = 0 WHERE name = ?1", [name])?
            }
            UserChange::Role(role) => exec(
                &tx,
                "UPDATE users SET role = ?2 WHERE name = ?1",
                params![name, role.as_str()],
            )?,
            UserChange::Password(hash) => exec(
                &tx,
                "UPDATE users SET password_hash = ?2 WHERE name = ?1",
                params![name, hash],
            )?,
        };
        // A token carries the role it was given: every change ends the user's sign-ins.
        exec(&tx, "DELETE FROM tokens WHERE user = ?1", [name])?;
        tx.commit()?;
        Ok(changed == 1)
    }

    fn revoke_tokens(&self, user: &str) -> Result<u64, StoreError> {
        let removed = self
            .lock()
            .execute("DELETE FROM tokens WHERE user = ?1", [user])?;
        Ok(removed as u64)
    }

    fn revoke_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        let removed = self
            .lock()
            .execute("DELETE FROM tokens WHERE token_hash = ?1", [token_hash])?;
        Ok(removed == 1)
    }

    fn save_api_token(
        &self,
        token_hash: &str,
        (account, label): (&str, &str),
        scope: crate::auth::Scope,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        // "!" is no password hash: nobody signs in as a service account with a password.
        tx.execute(
            "INSERT INTO users (name, role, password_hash, created_at) VALUES (?1, ?2, '!', ?3)
             ON CONFLICT (name) DO NOTHING",
            params![account, Role::Controller.as_str(), now_text()],
        )?;
        tx.execute(
            "INSERT INTO tokens (token_hash, user, role, expires_at, scope, label)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                token_hash,
                account,
                Role::Controller.as_str(),
                galaxium_sync::time::stored(expires_at),
                scope.as_str(),
                label
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    fn api_tokens(&self) -> Result<Vec<(String, String, String, String)>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT label, user, scope, expires_at FROM tokens WHERE scope IS NOT NULL
             ORDER BY label",
        )?;
        let tokens = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(tokens)
    }

    fn revoke_api_token(&self, label: &str) -> Result<u64, StoreError> {
        let removed = self.lock().execute(
            "DELETE FROM tokens WHERE scope IS NOT NULL AND label = ?1",
            [label],
        )?;
        Ok(removed as u64)
    }

    fn audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), StoreError> {
        self.lock().execute(
            "INSERT INTO audit (at, actor, action, subject, detail, address)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                now_text(),
                entry.actor,
                entry.action,
                entry.subject,
                entry.detail,
                entry.address
            ],
        )?;
        Ok(())
    }

    fn audit_entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT id, at, actor, action, subject, detail, address FROM audit
             WHERE id > ?1 ORDER BY id LIMIT ?2",
        )?;
        let entries = stmt
            .query_map(
                params![after, i64::try_from(limit).unwrap_or(i64::MAX)],
                |r| {
                    Ok(AuditEntry {
                        id: r.get(0)?,
                        at: r.get(1)?,
                        actor: r.get(2)?,
                        action: r.get(3)?,
                        subject: r.get(4)?,
                        detail: r.get(5)?,
                        address: r.get(6)?,
                    })
                },
            )?
            .collect::<rusqlite::Result<_>>()?;
        Ok(entries)
    }

    fn register_device(
        &self,
        id: &str,
        key_hash: &str,
        training: bool,
        principal: &Principal,
    ) -> Result<Registration, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let known: Option<(Option<String>, String)> = one(
            &tx,
            "SELECT key_hash, user FROM devices WHERE device_id = ?1",
            [id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
        let known = known
            .as_ref()
            .map(|(hash, user)| (hash.as_deref(), user.as_str()));
        let registration = match rules::registering(known, key_hash, principal) {
            rules::Registering::Known => Registration::Registered,
            rules::Registering::Taken => Registration::Taken,
            rules::Registering::Claim => {
                exec(
                    &tx,
                    "UPDATE devices SET key_hash = ?2, training = ?3, registered_by = ?4,
                            registered_at = ?5
                     WHERE device_id = ?1",
                    params![id, key_hash, training, principal.user, now_text()],
                )?;
                Registration::Registered
            }
            rules::Registering::New => {
                // A new device holds nothing a purge could strand: it starts at the head.
                exec(
                    &tx,
                    "INSERT INTO devices (device_id, user, last_seen, pulled_cursor, key_hash,
                                          training, registered_by, registered_at)
                     VALUES (?1, ?2, ?3, (SELECT coalesce(max(cursor), 0) FROM ops), ?4, ?5,
                             ?2, ?3)",
                    params![id, principal.user, now_text(), key_hash, training],
                )?;
                Registration::Registered
            }
        };
        tx.commit()?;
        Ok(registration)
    }

    fn push(
        &self,
        principal: &Principal,
        device_id: &str,
        ops: &[Op],
    ) -> Result<Vec<Settled>, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut clock = self
            .clamp_clock
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let results = rules::push(
            &mut SqliteLedger(&tx),
            &mut clock,
            principal,
            device_id,
            ops,
        )?;
        tx.commit()?;
        Ok(results)
    }

    fn pull(
        &self,
        principal: &Principal,
        device_id: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Result<PullResponse, StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let after_signed = i64::try_from(after).unwrap_or(i64::MAX);
        let fetch = i64::try_from(limit + 1).unwrap_or(i64::MAX);
        let (ops, next_cursor, more) = {
            let mut stmt = tx.prepare_cached(
                "SELECT cursor, op_id, device_id, seq, hlc, table_name, row_id, kind, payload, notice,
                        user
                 FROM ops WHERE cursor > ?1 ORDER BY cursor LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![after_signed, fetch])?;
            let mut page = PageBuilder::new(limit);
            while let Some(row) = rows.next()? {
                let kind: String = row.get(7)?;
                let payload: String = row.get(8)?;
                let notice: Option<String> = row.get(9)?;
                let size = payload.len() + notice.as_ref().map_or(0, String::len);
                let op = ServerOp {
                    notice: notice.and_then(|n| serde_json::from_str(&n).ok()),
                    by: Some(row.get(10)?),
                    cursor: row.get::<_, i64>(0)?.unsigned_abs(),
                    op: Op {
                        op_id: row.get(1)?,
                        device_id: row.get(2)?,
                        seq: row.get::<_, i64>(3)?.unsigned_abs(),
                        hlc: row.get(4)?,
                        table: row.get(5)?,
                        row_id: row.get(6)?,
                        kind: OpKind::parse(&kind).unwrap_or(OpKind::Update),
                        payload: serde_json::from_str(&payload).unwrap_or_default(),
                    },
                };
                if !page.add(op, size) {
                    break;
                }
            }
            page.finish(after)
        };
        if let Some(device) = device_id {
            let mut ledger = SqliteLedger(&tx);
            rules::refuse_unbound_speaking_for_a_claimed_device(&mut ledger, principal, device)?;
            ledger.note_device(device, &principal.user)?;
            exec(
                &tx,
                "UPDATE devices SET pulled_cursor = max(pulled_cursor, ?2) WHERE device_id = ?1",
                params![device, i64::try_from(next_cursor).unwrap_or(i64::MAX)],
            )?;
            purge_tombstones(&tx)?;
        }
        tx.commit()?;
        Ok(PullResponse {
            ops,
            next_cursor,
            more,
            epoch: Some(self.epoch.clone()),
        })
    }

    fn epoch(&self) -> ServerEpoch {
        self.epoch.clone()
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        let conn = self.lock();
        let head: i64 =
            conn.query_row("SELECT coalesce(max(cursor), 0) FROM ops", [], |r| r.get(0))?;
        let since = galaxium_sync::time::stored(Utc::now() - Duration::minutes(5));
        let (connected, lowest): (i64, Option<i64>) = conn.query_row(
            "SELECT count(*), min(pulled_cursor) FROM devices WHERE last_seen >= ?1",
            [since],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        Ok(StoreStats {
            head_cursor: head.unsigned_abs(),
            connected_devices: connected.unsigned_abs(),
            pull_lag: lowest.map_or(0, |low| (head - low).unsigned_abs()),
        })
    }

    fn append_telemetry(
        &self,
        producer: &str,
        points: Vec<TelemetryPoint>,
    ) -> Result<TelemetryFrame, StoreError> {
        let received_at = Utc::now().timestamp_millis() as f64 / 1000.0;
        let mut conn = self.lock();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut first_seq = 0;
        let mut last_seq = 0;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO telemetry (t, channel, value, producer, received_at)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for point in &points {
                insert.execute(params![
                    point.t,
                    point.channel,
                    point.value,
                    producer,
                    received_at
                ])?;
                last_seq = u64::try_from(tx.last_insert_rowid()).unwrap_or(0);
                if first_seq == 0 {
                    first_seq = last_seq;
                }
            }
        }
        tx.execute(
            "DELETE FROM telemetry WHERE received_at < ?1",
            [received_at - TELEMETRY_RETENTION.as_secs_f64()],
        )?;
        tx.commit()?;
        Ok(TelemetryFrame {
            first_seq,
            last_seq,
            points,
        })
    }

    fn telemetry_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Option<TelemetryFrame>, StoreError> {
        let conn = self.lock();
        let mut query = conn.prepare_cached(
            "SELECT seq, t, channel, value FROM telemetry WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let rows = query.query_map(
            params![
                i64::try_from(after).unwrap_or(i64::MAX),
                i64::try_from(limit).unwrap_or(i64::MAX)
            ],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    TelemetryPoint {
                        t: r.get(1)?,
                        channel: r.get(2)?,
                        value: r.get(3)?,
                    },
                ))
            },
        )?;
        let mut frame: Option<TelemetryFrame> = None;
        for row in rows {
            let (seq, point) = row?;
            let seq = u64::try_from(seq).unwrap_or(0);
            let frame = frame.get_or_insert_with(|| TelemetryFrame {
                first_seq: seq,
                last_seq: seq,
                points: Vec::new(),
            });
            frame.last_seq = seq;
            frame.points.push(point);
        }
        Ok(frame)
    }

    fn live_row(
        &self,
        table: &str,
        row_id: &str,
    ) -> Result<Option<Map<String, Value>>, StoreError> {
        let conn = self.lock();
        let data: Option<String> = conn
            .query_row(
                "SELECT data FROM rows WHERE table_name = ?1 AND row_id = ?2 AND deleted = 0",
                params![table, row_id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(data.map(|d| serde_json::from_str(&d).unwrap_or_default()))
    }

    fn telemetry_head(&self) -> Result<u64, StoreError> {
        let conn = self.lock();
        // sqlite_sequence remembers the highest seq even after old points were pruned.
        let head: Option<i64> = conn
            .query_row(
                "SELECT seq FROM sqlite_sequence WHERE name = 'telemetry'",
                [],
                |r| r.get(0),
            )
            .optional()?;
        Ok(head.and_then(|h| u64::try_from(h).ok()).unwrap_or(0))
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.lock().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }

    fn create_training_session(
        &self,
        session: &TrainingSession,
        members: &[String],
    ) -> Result<(), StoreError> {
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO training_sessions (id, scenario, created_by, created_at, clock)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                session.id,
                session.scenario,
                session.created_by,
                session.created_at,
                clock_text(&session.clock)
            ],
        )?;
        for user in members.iter().chain(std::iter::once(&session.created_by)) {
            tx.execute(
                "INSERT OR IGNORE INTO training_members (session_id, user) VALUES (?1, ?2)",
                params![session.id, user],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    fn training_sessions(&self, member: Option<&str>) -> Result<Vec<TrainingSession>, StoreError> {
        let conn = self.lock();
        let mut statement = conn.prepare(
            "SELECT id, scenario, created_by, created_at, clock FROM training_sessions s
             WHERE ?1 IS NULL
                OR EXISTS (SELECT 1 FROM training_members m WHERE m.session_id = s.id AND m.user = ?1)
             ORDER BY created_at DESC, id DESC",
        )?;
        let sessions = statement
            .query_map([member], session_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(sessions)
    }

    fn is_training_member(&self, id: &str, user: &str) -> Result<bool, StoreError> {
        Ok(self.lock().query_row(
            "SELECT EXISTS (SELECT 1 FROM training_members WHERE session_id = ?1 AND user = ?2)",
            params![id, user],
            |r| r.get(0),
        )?)
    }

    fn training_session(&self, id: &str) -> Result<Option<TrainingSession>, StoreError> {
        Ok(self
            .lock()
            .query_row(
                "SELECT id, scenario, created_by, created_at, clock FROM training_sessions
                 WHERE id = ?1",
                [id],
                session_row,
            )
            .optional()?)
    }

    fn set_training_clock(&self, id: &str, clock: &MissionClock) -> Result<bool, StoreError> {
        let changed = self.lock().execute(
            "UPDATE training_sessions SET clock = ?2 WHERE id = ?1",
            params![id, clock_text(clock)],
        )?;
        Ok(changed == 1)
    }

    fn bind_training_device(
        &self,
        device_id: &str,
        session_id: &str,
    ) -> Result<String, StoreError> {
        let conn = self.lock();
        conn.execute(
            "INSERT OR IGNORE INTO training_devices (device_id, session_id, first_seen)
             VALUES (?1, ?2, ?3)",
            params![device_id, session_id, now_text()],
        )?;
        Ok(conn.query_row(
            "SELECT session_id FROM training_devices WHERE device_id = ?1",
            [device_id],
            |r| r.get(0),
        )?)
    }
}

fn session_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TrainingSession> {
    Ok(TrainingSession {
        id: r.get(0)?,
        scenario: r.get(1)?,
        created_by: r.get(2)?,
        created_at: r.get(3)?,
        // Written only by this server from a checked clock.
        clock: serde_json::from_str(&r.get::<_, String>(4)?).unwrap_or_default(),
    })
}

fn clock_text(clock: &MissionClock) -> String {
    serde_json::to_string(clock).unwrap_or_default()
}

/// The expression of a row's reference in `column`, as the reference indexes hold it.
/// `column` comes from the table registry, never from a request.
fn reference_expression(column: &str) -> String {
    format!("json_extract(data, '$.{column}')")
}

/// The condition of `table`'s live rows, spelled with the table's name in it (from the
/// registry, never from a request), as the reference indexes are partial on it: a query
/// that binds the name as a parameter could not use them.
fn live_rows_of(table: &str) -> String {
    format!("table_name = '{table}' AND deleted = 0")
}

/// Indexes every foreign key of the registry over its table's live rows, so that a delete
/// finds the rows still using its row without reading the child table (a launch with 200,000
/// bookings stored would otherwise hold the server's lock for a tenth of a second per delete).
/// Each index covers one table's rows only, so a write pays for its own table's references.
/// Made at start from the registry, so a key added there is indexed on the next start.
fn index_references(conn: &Connection) -> rusqlite::Result<()> {
    for table in TABLES {
        for fk in table.foreign_keys {
            conn.execute_batch(&format!(
                "CREATE INDEX IF NOT EXISTS rows_by_{}_{} ON rows ({}) WHERE {}",
                table.name,
                fk.column,
                reference_expression(fk.column),
                live_rows_of(table.name)
            ))?;
        }
    }
    Ok(())
}

/// Forgets deleted rows once every known device has pulled past their deletion: nobody can
/// still hold them, and a late edit of one is refused as "does not exist" all the same.
fn purge_tombstones(tx: &Transaction<'_>) -> rusqlite::Result<usize> {
    // A device unseen for a month no longer holds the purge back: one that comes back after
    // that is told the rows are gone (refused as "does not exist"), not left in between.
    let seen_since = galaxium_sync::time::stored(Utc::now() - DEVICE_FORGOTTEN_AFTER);
    let horizon: Option<i64> = one(
        tx,
        "SELECT min(pulled_cursor) FROM devices WHERE last_seen >= ?1",
        [seen_since],
        |r| r.get(0),
    )?;
    let Some(horizon) = horizon else {
        return Ok(0);
    };
    exec(
        tx,
        "DELETE FROM rows WHERE rowid IN (
             SELECT rowid FROM rows WHERE deleted = 1 AND deleted_at <= ?1
             ORDER BY deleted_at LIMIT ?2)",
        params![horizon, PURGE_BATCH],
    )
}

/// Refuses, without writing a byte, a file that is not this server's database (another
/// program's SQLite file, or not SQLite at all), one a newer server wrote, or one that fails
/// its integrity check. A missing or empty file is a new database.
pub(crate) fn check_before_opening(path: &Path) -> Result<(), StoreError> {
    let length = match std::fs::metadata(path) {
        Ok(meta) => meta.len(),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(err) => return Err(StoreError::Io(format!("{}: {err}", path.display()))),
    };
    if length == 0 {
        return Ok(());
    }
    let mut header = [0_u8; 16];
    let read = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut header));
    if read.is_err() || &header != b"SQLite format 3\0" {
        return Err(StoreError::NotOurs(
            "the file is not a SQLite database".into(),
        ));
    }
    let conn = Connection::open_with_flags(
        path,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )?;
    let corrupt = |err: rusqlite::Error| StoreError::Corrupt(err.to_string());
    let application_id: i32 = conn
        .pragma_query_value(None, "application_id", |r| r.get(0))
        .map_err(corrupt)?;
    let version: u32 = conn
        .pragma_query_value(None, "user_version", |r| r.get(0))
        .map_err(corrupt)?;
    let tables: i64 = conn
        .query_row("SELECT count(*) FROM sqlite_schema", [], |r| r.get(0))
        .map_err(corrupt)?;
    if application_id != 0 && application_id != SERVER_APPLICATION_ID {
        return Err(StoreError::NotOurs(format!(
            "it is another program's SQLite database, application id {application_id:#x}"
        )));
    }
    if application_id == 0 && tables > 0 {
        return Err(StoreError::NotOurs(
            "it is another program's SQLite database: it has tables but no server schema".into(),
        ));
    }
    if version > SERVER_SCHEMA_VERSION {
        return Err(StoreError::TooNew {
            found: version,
            supported: SERVER_SCHEMA_VERSION,
        });
    }
    let report: Vec<String> = conn
        .prepare("PRAGMA quick_check(5)")
        .and_then(|mut stmt| stmt.query_map([], |r| r.get(0))?.collect())
        .map_err(corrupt)?;
    if report != ["ok"] {
        return Err(StoreError::Corrupt(report.join("; ")));
    }
    Ok(())
}

/// Runs a statement through the connection's statement cache: the push path runs the same
/// few statements for every op, and compiling them each time cost more than running them.
fn exec(tx: &Transaction<'_>, sql: &str, params: impl rusqlite::Params) -> rusqlite::Result<usize> {
    tx.prepare_cached(sql)?.execute(params)
}

/// One row through the statement cache; see [`exec`].
fn one<T>(
    tx: &Transaction<'_>,
    sql: &str,
    params: impl rusqlite::Params,
    read: impl FnOnce(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
) -> rusqlite::Result<T> {
    tx.prepare_cached(sql)?.query_row(params, read)
}

/// The rules' view of one SQLite transaction.
struct SqliteLedger<'a>(&'a Transaction<'a>);

impl Ledger for SqliteLedger<'_> {
    fn device_claimed(&mut self, device_id: &str) -> Result<bool, StoreError> {
        Ok(one(
            self.0,
            "SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = ?1 AND key_hash IS NOT NULL)",
            [device_id],
            |r| r.get(0),
        )?)
    }

    fn note_device(&mut self, device_id: &str, user: &str) -> Result<(), StoreError> {
        exec(
            self.0,
            "INSERT INTO devices (device_id, user, last_seen) VALUES (?1, ?2, ?3)
             ON CONFLICT (device_id) DO UPDATE SET user = excluded.user,
                                                   last_seen = excluded.last_seen",
            params![device_id, user, now_text()],
        )?;
        Ok(())
    }

    fn accepted_op(&mut self, device_id: &str, seq: i64) -> Result<Option<String>, StoreError> {
        Ok(one(
            self.0,
            "SELECT op_id FROM ops WHERE device_id = ?1 AND seq = ?2",
            params![device_id, seq],
            |r| r.get(0),
        )
        .optional()?)
    }

    fn kept_refusal(
        &mut self,
        device_id: &str,
        seq: i64,
    ) -> Result<Option<(String, String, Option<String>)>, StoreError> {
        Ok(one(
            self.0,
            "SELECT op_id, result, table_name FROM op_results WHERE device_id = ?1 AND seq = ?2",
            params![device_id, seq],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?)
    }

    fn keep_refusal(
        &mut self,
        device_id: &str,
        seq: i64,
        op: &Op,
        result: &str,
    ) -> Result<(), StoreError> {
        exec(
            self.0,
            "INSERT INTO op_results (device_id, seq, op_id, result, table_name)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![device_id, seq, op.op_id, result, op.table],
        )?;
        Ok(())
    }

    fn op_recorded(&mut self, op_id: &str) -> Result<bool, StoreError> {
        Ok(one(
            self.0,
            "SELECT EXISTS (SELECT 1 FROM ops WHERE op_id = ?1)",
            [op_id],
            |r| r.get(0),
        )?)
    }

    fn newest_clock(&mut self, device_id: &str) -> Result<Option<String>, StoreError> {
        Ok(one(
            self.0,
            "SELECT hlc FROM ops WHERE device_id = ?1 ORDER BY seq DESC LIMIT 1",
            [device_id],
            |r| r.get(0),
        )
        .optional()?)
    }

    fn row(&mut self, table: &str, row_id: &str) -> Result<Option<StoredRow>, StoreError> {
        Ok(one(
            self.0,
            "SELECT data, clocks, deleted FROM rows WHERE table_name = ?1 AND row_id = ?2",
            params![table, row_id],
            |r| {
                let data: String = r.get(0)?;
                let clocks: String = r.get(1)?;
                Ok(StoredRow {
                    data: serde_json::from_str(&data).unwrap_or_default(),
                    clocks: serde_json::from_str(&clocks).unwrap_or_default(),
                    deleted: r.get(2)?,
                })
            },
        )
        .optional()?)
    }

    fn live_references(
        &mut self,
        table: &str,
        column: &str,
        row_id: &str,
    ) -> Result<i64, StoreError> {
        // Spelled as its index has it (`index_references`), so this counts from the index
        // instead of reading every row of the child table.
        Ok(one(
            self.0,
            &format!(
                "SELECT count(*) FROM rows WHERE {} AND {} = ?1",
                live_rows_of(table),
                reference_expression(column)
            ),
            [row_id],
            |r| r.get(0),
        )?)
    }

    fn live_rows_holding(
        &mut self,
        table: &str,
        key: &[(&str, &str)],
        except: &str,
    ) -> Result<Vec<Map<String, Value>>, StoreError> {
        // The table name and JSON paths are written into the SQL (registry names, never
        // input), so that the partial `rows_by_seat` index serves the query.
        let mut sql = format!(
            "SELECT data FROM rows WHERE table_name = '{table}' AND deleted = 0 AND row_id <> ?1"
        );
        for (index, (column, _)) in key.iter().enumerate() {
            let _ = write!(
                sql,
                " AND json_extract(data, '$.{column}') = ?{}",
                index + 2
            );
        }
        let mut stmt = self.0.prepare_cached(&sql)?;
        let values = std::iter::once(except).chain(key.iter().map(|(_, value)| *value));
        let rows = stmt.query_map(rusqlite::params_from_iter(values), |r| {
            r.get::<_, String>(0)
        })?;
        let mut holders = Vec::new();
        for data in rows {
            holders.push(serde_json::from_str(&data?).unwrap_or_default());
        }
        Ok(holders)
    }

    fn live_values(
        &mut self,
        table: &str,
        column: &str,
        except: &str,
    ) -> Result<Vec<Option<String>>, StoreError> {
        let mut stmt = self.0.prepare_cached(
            "SELECT json_extract(data, '$.' || ?2) FROM rows
             WHERE table_name = ?1 AND deleted = 0 AND row_id <> ?3",
        )?;
        let values = stmt.query_map(params![table, column, except], |r| {
            Ok(r.get::<_, Option<String>>(0).ok().flatten())
        })?;
        Ok(values.collect::<rusqlite::Result<_>>()?)
    }

    fn record(&mut self, entry: &Recorded<'_>) -> Result<(), StoreError> {
        let op = entry.op;
        exec(
            self.0,
            "INSERT INTO ops (op_id, device_id, seq, hlc, table_name, row_id, kind, payload, user,
                              received_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            params![
                op.op_id,
                op.device_id,
                i64::try_from(op.seq).unwrap_or(i64::MAX),
                op.hlc,
                op.table,
                op.row_id,
                entry.kind.as_str(),
                Value::Object(entry.effective.clone()).to_string(),
                entry.user,
                now_text(),
            ],
        )?;
        match &entry.row {
            None => {
                exec(self.0, MARK_DELETED, params![op.table, op.row_id])?;
            }
            Some((data, clocks)) => {
                exec(
                    self.0,
                    "INSERT INTO rows (table_name, row_id, data, clocks) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (table_name, row_id)
                     DO UPDATE SET data = excluded.data, clocks = excluded.clocks",
                    params![
                        op.table,
                        op.row_id,
                        Value::Object(data.clone()).to_string(),
                        Value::Object(clocks.clone()).to_string()
                    ],
                )?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every file of `dir` with its bytes.
    fn files(dir: &Path) -> Vec<(std::path::PathBuf, Vec<u8>)> {
        let mut files: Vec<_> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .map(|p| {
                let bytes = std::fs::read(&p).unwrap();
                (p, bytes)
            })
            .collect();
        files.sort();
        files
    }

    /// Deleted rows are forgotten a batch per pull, oldest first, and a delete counts the
    /// rows still using its row from the reference index.
    #[test]
    fn tombstones_are_purged_a_batch_at_a_time_and_deletes_count_from_the_index() {
        let store = SqliteStore::open(Path::new(":memory:")).unwrap();
        let admin = Principal::of("ada", Role::Admin);
        let op = |seq: u64, table: &str, row_id: String, kind: OpKind, payload: Value| Op {
            op_id: format!("op-{seq}"),
            device_id: "console-a".into(),
            seq,
            hlc: format!("{:015}-000000-console-a", 1_700_000_000_000_u64 + seq),
            table: table.into(),
            row_id,
            kind,
            payload: payload.as_object().cloned().unwrap_or_default(),
        };
        let total = 2_500;
        let mut ops = vec![op(
            1,
            "launches",
            "l".into(),
            OpKind::Insert,
            serde_json::json!({}),
        )];
        for n in 0..total {
            let id = format!("b{n}");
            let payload = serde_json::json!({"launch_id": "l"});
            ops.push(op(
                2 + 2 * n,
                "bookings",
                id.clone(),
                OpKind::Insert,
                payload,
            ));
            ops.push(op(3 + 2 * n, "bookings", id, OpKind::Delete, Value::Null));
        }
        store.accept_unjudged(&admin, "console-a", &ops).unwrap();
        let tombstones = || -> i64 {
            store
                .lock()
                .query_row("SELECT count(*) FROM rows WHERE deleted = 1", [], |r| {
                    r.get(0)
                })
                .unwrap()
        };
        assert_eq!(tombstones(), i64::try_from(total).unwrap());
        let plan: String = store
            .lock()
            .query_row(
                &format!(
                    "EXPLAIN QUERY PLAN SELECT count(*) FROM rows WHERE {} AND {} = 'l'",
                    live_rows_of("bookings"),
                    reference_expression("launch_id")
                ),
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("rows_by_bookings_launch_id"), "{plan}");
        let head = store.stats().unwrap().head_cursor;
        for left in [1_500, 500, 0] {
            store.pull(&admin, Some("console-a"), head, 1).unwrap();
            assert_eq!(tombstones(), left);
        }
    }

    #[test]
    fn another_programs_file_a_newer_or_a_damaged_database_is_refused_and_left_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let refused = |path: &Path| {
            let before = files(dir.path());
            let err = SqliteStore::open(path).err().expect("refused");
            assert_eq!(files(dir.path()), before, "{err}: nothing was written");
            err
        };
        // Not SQLite at all.
        let text = dir.path().join("notes.txt");
        std::fs::write(&text, "the launch went well, and nothing about databases").unwrap();
        assert!(matches!(refused(&text), StoreError::NotOurs(_)));
        // Another program's SQLite file.
        let other = dir.path().join("other.sqlite");
        {
            let conn = Connection::open(&other).unwrap();
            conn.execute_batch(
                "CREATE TABLE invoices (id INTEGER PRIMARY KEY); PRAGMA journal_mode = DELETE;",
            )
            .unwrap();
        }
        let err = refused(&other);
        assert!(err.to_string().contains("another program"), "{err}");
        // A console's replica (its own application id).
        {
            let conn = Connection::open(&other).unwrap();
            conn.pragma_update(None, "application_id", 0x4758_5250)
                .unwrap();
        }
        assert!(matches!(refused(&other), StoreError::NotOurs(_)));
        // Written by a newer server.
        let newer = dir.path().join("newer.sqlite");
        drop(SqliteStore::open(&newer).unwrap());
        {
            let conn = Connection::open(&newer).unwrap();
            conn.pragma_update(None, "user_version", SERVER_SCHEMA_VERSION + 1)
                .unwrap();
            conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
        }
        assert!(matches!(refused(&newer), StoreError::TooNew { .. }));
        // Damaged interior pages.
        let damaged = dir.path().join("damaged.sqlite");
        {
            let store = SqliteStore::open(&damaged).unwrap();
            for n in 0..300 {
                store
                    .add_user(&format!("user{n}"), Role::Staff, "x")
                    .unwrap();
            }
            store
                .lock()
                .pragma_update(None, "journal_mode", "DELETE")
                .unwrap();
        }
        let mut bytes = std::fs::read(&damaged).unwrap();
        let page = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
        for n in 2..bytes.len() / page {
            bytes[n * page..n * page + 64].fill(0xA5);
        }
        std::fs::write(&damaged, &bytes).unwrap();
        assert!(matches!(refused(&damaged), StoreError::Corrupt(_)));
        // A new file and the server's own database open.
        drop(SqliteStore::open(&dir.path().join("new.sqlite")).unwrap());
        drop(SqliteStore::open(&dir.path().join("new.sqlite")).unwrap());
    }

    #[test]
    fn opening_an_older_store_rewrites_its_rows_times_into_the_one_stored_form() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("server.sqlite");
        {
            // A store as the version before left it: times to the second.
            let conn = Connection::open(&path).unwrap();
            for (index, sql) in SERVER_MIGRATIONS[..6].iter().enumerate() {
                conn.execute_batch(sql).unwrap();
                conn.pragma_update(None, "user_version", i64::try_from(index + 1).unwrap())
                    .unwrap();
                conn.pragma_update(None, "application_id", SERVER_APPLICATION_ID)
                    .unwrap();
            }
            conn.execute(
                "INSERT INTO rows (table_name, row_id, data) VALUES ('launches', 'l1', ?1)",
                [r#"{"mission":"GX-1","scheduled_at":"2026-11-30T09:00:05Z"}"#],
            )
            .unwrap();
            conn.execute(
                "INSERT INTO rows (table_name, row_id, data) VALUES ('bookings', 'b1', ?1)",
                [r#"{"locator":"QX7T2M","hold_expires_at":null,"created_at":"2026-11-30T09:00:05.250Z"}"#],
            )
            .unwrap();
        }
        let store = SqliteStore::open(&path).unwrap();
        let conn = store.conn.lock().unwrap();
        let data = |row: &str| -> Map<String, Value> {
            let text: String = conn
                .query_row("SELECT data FROM rows WHERE row_id = ?1", [row], |r| {
                    r.get(0)
                })
                .unwrap();
            serde_json::from_str(&text).unwrap()
        };
        let launch = data("l1");
        assert_eq!(launch["scheduled_at"], "2026-11-30T09:00:05.000Z");
        assert_eq!(launch["mission"], "GX-1");
        let booking = data("b1");
        assert_eq!(booking["created_at"], "2026-11-30T09:00:05.250Z");
        assert_eq!(booking["hold_expires_at"], Value::Null);
    }
}
