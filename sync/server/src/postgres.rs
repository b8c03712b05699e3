//! The PostgreSQL store: for sites that outgrow one machine. Several server instances share
//! one database and serve consoles interchangeably.
//!
//! - **One order.** A push judges and records its ops holding the op log's advisory lock
//!   (`pg_advisory_xact_lock`) until it commits, so pushes on every instance are judged one at
//!   a time, as on SQLite: the seat rule and unique keys see every committed row, and cursors
//!   are taken in the order pushes commit. A reader therefore never sees a cursor while a
//!   smaller one is still to commit (the sequence-gap trap of concurrent transactions).
//! - **The rules are [`crate::rules`]'s**, through a [`Ledger`] over one transaction.
//! - **Telemetry** is numbered the same way under a lock of its own; each append notifies
//!   (`NOTIFY galaxium_telemetry`) after it commits, and every instance listens and relays
//!   what another instance stored, read from the table.
//! - **Training sessions** live in a schema each (`training_<id>`), with the same tables.
//!
//! The client is `postgres` (the synchronous face of `tokio-postgres`): the store's methods
//! run on blocking threads, as SQLite's do, so the rules stay one synchronous function for
//! both backends. Connections are pooled by r2d2, each with its own prepared statements.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use postgres::fallible_iterator::FallibleIterator as _;
use postgres::{Client, NoTls, Statement, Transaction};
use serde_json::{Map, Value};
use tokio::sync::broadcast;

use crate::auth::{BoundDevice, Principal};
use crate::outbound::Settled;
use crate::rules::{self, Ledger, Recorded, StoredRow};
use crate::store::{
    AuditEntry, DEVICE_FORGOTTEN_AFTER, NewAuditEntry, PageBuilder, Registration, Store,
    StoreError, StoreStats, TELEMETRY_RETENTION, UserChange, UserRecord, UserSummary,
};
use galaxium_sync::hlc::HlcClock;
use galaxium_sync::protocol::{
    MissionClock, Op, OpKind, PullResponse, SERVER_DEVICE, ServerEpoch, ServerOp, TelemetryFrame,
    TelemetryPoint, TrainingSession,
};
use galaxium_sync::schema::registry::{self, Role, TABLES};

/// The schema steps, in order; `galaxium_schema.version` counts those applied. Append only.
const MIGRATIONS: &[&str] = &[include_str!("migrations_pg/0001_server.sql")];

/// Advisory lock keys ("GX" and a number): the op log, telemetry numbering, migrations.
/// A training session's locks add its schema's hash, so sessions do not wait on each other.
const OP_LOG_LOCK: i64 = 0x4758_0001;
const TELEMETRY_LOCK: i64 = 0x4758_0002;
const MIGRATION_LOCK: i64 = 0x4758_0003;

/// How often telemetry past its retention is deleted.
const PRUNE_EVERY: std::time::Duration = std::time::Duration::from_mins(1);

/// The channel every instance listens on for telemetry another instance stored.
const TELEMETRY_CHANNEL: &str = "galaxium_telemetry";

/// Connections a store keeps for requests (the operational store's; a training session's
/// keeps [`SESSION_POOL_SIZE`] and closes them when idle).
pub const POOL_SIZE: u32 = 12;
/// Connections a training session's store keeps at most.
pub const SESSION_POOL_SIZE: u32 = 2;

/// Whether `db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(db: &str) -> bool {
    db.starts_with("postgres://") || db.starts_with("postgresql://")
}

/// A pooled connection with its prepared statements.
pub struct Connection {
    client: Client,
    statements: HashMap<String, Statement>,
}

/// Opens connections to one schema.
#[derive(Debug)]
struct Manager {
    config: postgres::Config,
}

impl r2d2::ManageConnection for Manager {
    type Connection = Connection;
    type Error = postgres::Error;

    fn connect(&self) -> Result<Connection, postgres::Error> {
        Ok(Connection {
            client: self.config.connect(NoTls)?,
            statements: HashMap::new(),
        })
    }

    fn is_valid(&self, conn: &mut Connection) -> Result<(), postgres::Error> {
        conn.client.simple_query("").map(|_| ())
    }

    fn has_broken(&self, conn: &mut Connection) -> bool {
        conn.client.is_closed()
    }
}

/// One transaction with the connection's prepared statements.
struct Tx<'a> {
    tx: Transaction<'a>,
    statements: &'a mut HashMap<String, Statement>,
}

impl Tx<'_> {
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(statement) = self.statements.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.tx.prepare(sql)?;
        self.statements.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }

    fn query(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Vec<postgres::Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.query(&statement, params)
    }

    fn query_opt(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<Option<postgres::Row>, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.query_opt(&statement, params)
    }

    fn query_one(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<postgres::Row, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.query_one(&statement, params)
    }

    fn execute(
        &mut self,
        sql: &str,
        params: &[&(dyn postgres::types::ToSql + Sync)],
    ) -> Result<u64, postgres::Error> {
        let statement = self.statement(sql)?;
        self.tx.execute(&statement, params)
    }

    fn commit(self) -> Result<(), postgres::Error> {
        self.tx.commit()
    }
}

/// What every store of one server process shares: where the database is, which instance
/// this is, and where telemetry stored by other instances goes.
struct Shared {
    config: postgres::Config,
    /// This process among the instances (telemetry it stored itself is relayed at once, not
    /// again when its notice comes back).
    instance: String,
    /// Per schema, where its telemetry goes.
    relays: Mutex<HashMap<String, broadcast::Sender<Arc<TelemetryFrame>>>>,
    listening: std::sync::Once,
}

/// The PostgreSQL store of one schema: operations (`public`) or one training session.
pub struct PgStore {
    /// Taken only when the store is dropped (see its `Drop`).
    pool: Option<r2d2::Pool<Manager>>,
    schema: String,
    shared: Arc<Shared>,
    /// Whether this schema's tables are made (a session's are made on its first use, off the
    /// async runtime).
    ready: Mutex<bool>,
    clamp_clock: Mutex<HlcClock>,
    epoch: Mutex<Option<ServerEpoch>>,
    /// When telemetry past its retention was last deleted.
    last_prune: Mutex<Option<std::time::Instant>>,
    /// Lock keys of this schema.
    op_log_lock: i64,
    telemetry_lock: i64,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("schema", &self.schema)
            .finish_non_exhaustive()
    }
}

/// What went wrong, in PostgreSQL's own words where it gave any ("db error" alone says
/// nothing).
fn describe(err: &postgres::Error) -> String {
    if let Some(db) = err.as_db_error() {
        return format!("{} ({})", db.message(), db.code().code());
    }
    let mut text = err.to_string();
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

fn database_error(err: &postgres::Error) -> StoreError {
    // SQLSTATE class 23: integrity constraint violation.
    if err.code().is_some_and(|code| code.code().starts_with("23")) {
        return StoreError::PostgresConstraint(describe(err));
    }
    StoreError::Postgres(describe(err))
}

impl From<postgres::Error> for StoreError {
    fn from(err: postgres::Error) -> Self {
        database_error(&err)
    }
}

impl From<r2d2::Error> for StoreError {
    fn from(err: r2d2::Error) -> Self {
        StoreError::Postgres(format!("no connection to PostgreSQL: {err}"))
    }
}

impl PgStore {
    /// Opens the server's database at `url` (`postgres://USER[:PASSWORD]@HOST[:PORT]/DB`),
    /// making or upgrading its tables.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let config: postgres::Config = url.parse().map_err(|err| {
            StoreError::Postgres(format!("{url:?} is no PostgreSQL address: {err}"))
        })?;
        let shared = Arc::new(Shared {
            config,
            instance: uuid::Uuid::new_v4().simple().to_string(),
            relays: Mutex::default(),
            listening: std::sync::Once::new(),
        });
        let store = Self::in_schema(&shared, "public", POOL_SIZE);
        // One connection first, so that a wrong address or password is said at once, in
        // PostgreSQL's words, rather than after the pool's retries.
        let mut config = shared.config.clone();
        config.connect_timeout(std::time::Duration::from_secs(10));
        drop(config.connect(NoTls)?);
        store.prepare()?;
        Ok(store)
    }

    /// The store of training session `id`, in a schema of its own; its tables are made on
    /// its first use.
    pub fn session(&self, id: &str) -> Result<Self, StoreError> {
        let schema = format!("training_{}", id.replace('-', ""));
        if !schema
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            return Err(StoreError::Postgres(format!("{id:?} is no session id")));
        }
        Ok(Self::in_schema(&self.shared, &schema, SESSION_POOL_SIZE))
    }

    fn in_schema(shared: &Arc<Shared>, schema: &str, size: u32) -> Self {
        let mut config = shared.config.clone();
        // Notices ("already exists, skipping") are no news for the log.
        config.options(&format!(
            "-c search_path={schema} -c client_min_messages=warning"
        ));
        config.application_name("galaxium-server");
        config.connect_timeout(std::time::Duration::from_secs(10));
        let pool = r2d2::Pool::builder()
            .max_size(size)
            .min_idle(Some(0))
            .idle_timeout(Some(std::time::Duration::from_mins(1)))
            .connection_timeout(std::time::Duration::from_secs(10))
            // Failures reach the caller as errors (and the log from there), not twice.
            .error_handler(Box::new(r2d2::NopErrorHandler))
            .build_unchecked(Manager { config });
        let pool = Some(pool);
        let hash = schema
            .bytes()
            .fold(0_i64, |h, b| h.wrapping_mul(31).wrapping_add(i64::from(b)))
            & 0xffff_ffff;
        let offset = if schema == "public" { 0 } else { hash << 16 };
        Self {
            pool,
            schema: schema.to_owned(),
            shared: Arc::clone(shared),
            ready: Mutex::new(false),
            clamp_clock: Mutex::new(HlcClock::new(SERVER_DEVICE, None)),
            epoch: Mutex::new(None),
            last_prune: Mutex::new(None),
            op_log_lock: OP_LOG_LOCK ^ offset,
            telemetry_lock: TELEMETRY_LOCK ^ offset,
        }
    }

    /// Makes or upgrades this schema's tables (once per store), indexes the registry's
    /// references, and reads the epoch, starting a new one when the database is a copy
    /// restored from a dump.
    fn prepare(&self) -> Result<(), StoreError> {
        let mut ready = self
            .ready
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if *ready {
            return Ok(());
        }
        let mut conn = self.pool()?.get()?;
        let mut tx = conn.client.transaction()?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
        if self.schema != "public" {
            tx.batch_execute(&format!("CREATE SCHEMA IF NOT EXISTS {}", self.schema))?;
        }
        let exists: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_tables
                                WHERE schemaname = $1 AND tablename = 'galaxium_schema')",
                &[&self.schema],
            )?
            .get(0);
        if !exists {
            tx.batch_execute("CREATE TABLE galaxium_schema (version INTEGER NOT NULL)")?;
        }
        let version: Option<i32> = tx
            .query_opt("SELECT version FROM galaxium_schema", &[])?
            .map(|r| r.get(0));
        let applied = usize::try_from(version.unwrap_or(0)).unwrap_or(usize::MAX);
        if applied > MIGRATIONS.len() {
            return Err(StoreError::TooNew {
                found: u32::try_from(applied).unwrap_or(u32::MAX),
                supported: u32::try_from(MIGRATIONS.len()).unwrap_or(u32::MAX),
            });
        }
        for sql in MIGRATIONS.iter().skip(applied) {
            tx.batch_execute(sql)?;
        }
        let now = i32::try_from(MIGRATIONS.len()).unwrap_or(i32::MAX);
        if version.is_none() {
            tx.execute("INSERT INTO galaxium_schema (version) VALUES ($1)", &[&now])?;
        } else {
            tx.execute("UPDATE galaxium_schema SET version = $1", &[&now])?;
        }
        for table in TABLES {
            for fk in table.foreign_keys {
                tx.batch_execute(&format!(
                    "CREATE INDEX IF NOT EXISTS rows_by_{t}_{c} ON rows ((data ->> '{c}'))
                     WHERE table_name = '{t}' AND NOT deleted",
                    t = table.name,
                    c = fk.column
                ))?;
            }
        }
        // A database restored from a dump is another object than the one its history was
        // written in: its consoles must pull again from the copy's newest cursor and send
        // again what they sent after it, as after `galaxium-server restore`.
        let here: String = tx
            .query_one(
                "SELECT (SELECT system_identifier FROM pg_control_system())::text || '/' ||
                        (SELECT oid FROM pg_database WHERE datname = current_database())::text",
                &[],
            )?
            .get(0);
        let copy_of: String = tx
            .query_one("SELECT copy_of FROM server_epoch", &[])?
            .get(0);
        if copy_of != here {
            if !copy_of.is_empty() {
                tracing::warn!(
                    schema = %self.schema,
                    "this database was restored from a copy: a new epoch begins, and every sign-in it held is ended"
                );
                tx.execute(
                    "UPDATE server_epoch SET epoch = replace(gen_random_uuid()::text, '-', ''),
                         since = (SELECT coalesce(max(cursor), 0) FROM ops)",
                    &[],
                )?;
                tx.execute("DELETE FROM tokens", &[])?;
            }
            tx.execute("UPDATE server_epoch SET copy_of = $1", &[&here])?;
        }
        let row = tx.query_one("SELECT database, epoch, since FROM server_epoch", &[])?;
        *self
            .epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(ServerEpoch {
            database: row.get(0),
            id: row.get(1),
            since: row.get::<_, i64>(2).unsigned_abs(),
        });
        tx.commit()?;
        *ready = true;
        Ok(())
    }

    /// A transaction on a pooled connection (this schema's tables made first).
    fn with_tx<T>(
        &self,
        work: impl FnOnce(&mut Tx<'_>) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.prepare()?;
        let mut conn = self.pool()?.get()?;
        let Connection { client, statements } = &mut *conn;
        let mut tx = Tx {
            tx: client.transaction()?,
            statements,
        };
        let value = work(&mut tx)?;
        tx.commit()?;
        Ok(value)
    }

    /// Forgets a session's relay (its store is closed).
    fn forget_relay(&self) {
        if self.schema != "public" {
            self.shared
                .relays
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .remove(&self.schema);
        }
    }
}

impl PgStore {
    fn pool(&self) -> Result<&r2d2::Pool<Manager>, StoreError> {
        self.pool
            .as_ref()
            .ok_or_else(|| StoreError::Postgres("the store is closed".into()))
    }
}

impl Drop for PgStore {
    fn drop(&mut self) {
        self.forget_relay();
        // Closing a connection blocks on its own small runtime, which must not happen on a
        // thread that drives the server's (a training session's store is closed from a
        // request): the pool is closed on a thread of its own.
        if let Some(pool) = self.pool.take() {
            let closed = std::thread::Builder::new()
                .name("close-pool".into())
                .spawn(move || drop(pool));
            if let Err(err) = closed {
                tracing::warn!(%err, "could not close a PostgreSQL pool");
            }
        }
    }
}

/// Listens for telemetry stored by other instances and relays it, read from the table, to
/// the consoles following this one. Reconnects after a lost connection; a console that
/// missed frames meanwhile catches up from the table at the next frame, as after any gap.
fn listen(shared: &Shared) {
    loop {
        if let Err(err) = listen_once(shared) {
            tracing::warn!(%err, "the telemetry listener lost PostgreSQL; connecting again");
        }
        std::thread::sleep(std::time::Duration::from_secs(1));
    }
}

fn listen_once(shared: &Shared) -> Result<(), postgres::Error> {
    let mut client = shared.config.connect(NoTls)?;
    client.batch_execute(&format!("LISTEN {TELEMETRY_CHANNEL}"))?;
    loop {
        let mut notices = Vec::new();
        {
            let mut notifications = client.notifications();
            let mut waiting = notifications.blocking_iter();
            if let Some(first) = waiting.next()? {
                notices.push(first);
            }
        }
        notices.extend(client.notifications().iter().collect::<Vec<_>>()?);
        for notice in notices {
            let mut words = notice.payload().split(' ');
            let (Some(schema), Some(instance), Some(first), Some(last)) =
                (words.next(), words.next(), words.next(), words.next())
            else {
                continue;
            };
            if instance == shared.instance {
                continue;
            }
            let relay = shared
                .relays
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner)
                .get(schema)
                .cloned();
            let (Some(relay), Ok(first), Ok(last)) =
                (relay, first.parse::<i64>(), last.parse::<i64>())
            else {
                continue;
            };
            if !schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
            {
                continue;
            }
            let rows = client.query(
                &format!(
                    "SELECT seq, t, channel, value FROM {schema}.telemetry
                     WHERE seq BETWEEN $1 AND $2 ORDER BY seq"
                ),
                &[&first, &last],
            )?;
            if let Some(frame) = frame_of(&rows) {
                let _ = relay.send(Arc::new(frame));
            }
        }
    }
}

fn frame_of(rows: &[postgres::Row]) -> Option<TelemetryFrame> {
    let first = rows.first()?;
    let last = rows.last()?;
    Some(TelemetryFrame {
        first_seq: first.get::<_, i64>(0).unsigned_abs(),
        last_seq: last.get::<_, i64>(0).unsigned_abs(),
        points: rows
            .iter()
            .map(|r| TelemetryPoint {
                t: r.get(1),
                channel: r.get(2),
                value: r.get(3),
            })
            .collect(),
    })
}

fn now_text() -> String {
    galaxium_sync::time::stored(Utc::now())
}

/// An accepted op waiting to be written with the rest of its push.
struct PendingOp {
    op: Op,
    kind: OpKind,
    payload: String,
    user: String,
}

type RowKey = (String, String);
/// A kept refusal: its op id, the result (JSON) and the table of the op it answered.
type KeptRefusal = (String, String, Option<String>);

/// The rules' view of one PostgreSQL transaction. A push's lookups are read in a few
/// statements before it is judged, and its writes go in a few statements after, so a push
/// of a thousand ops costs a handful of round trips rather than ten per op. Whatever the
/// cache cannot answer (who else holds a seat or a key, who still uses a row) is read after
/// writing what is pending, so it sees the push's own earlier ops.
struct PgLedger<'t, 'a> {
    tx: &'t mut Tx<'a>,
    accepted: HashMap<(String, i64), Option<String>>,
    refusals: HashMap<(String, i64), Option<KeptRefusal>>,
    recorded_ids: HashMap<String, bool>,
    rows: HashMap<RowKey, Option<StoredRow>>,
    /// The rows of `rows` that the database holds (written by an earlier push or flush).
    in_db: std::collections::HashSet<RowKey>,
    pending_ops: Vec<PendingOp>,
    dirty_rows: Vec<RowKey>,
    pending_refusals: Vec<(String, i64, String, String, String)>,
}

impl<'t, 'a> PgLedger<'t, 'a> {
    fn new(tx: &'t mut Tx<'a>) -> Self {
        Self {
            tx,
            accepted: HashMap::new(),
            refusals: HashMap::new(),
            recorded_ids: HashMap::new(),
            rows: HashMap::new(),
            in_db: std::collections::HashSet::new(),
            pending_ops: Vec::new(),
            dirty_rows: Vec::new(),
            pending_refusals: Vec::new(),
        }
    }

    /// Reads what judging `ops` will look up: earlier verdicts under their numbers, whether
    /// their ids were used, their rows and the rows their references name.
    fn prefetch(&mut self, device_id: &str, ops: &[Op]) -> Result<(), StoreError> {
        let seqs: Vec<i64> = ops
            .iter()
            .filter_map(|o| i64::try_from(o.seq).ok())
            .collect();
        for seq in &seqs {
            self.accepted.insert((device_id.to_owned(), *seq), None);
            self.refusals.insert((device_id.to_owned(), *seq), None);
        }
        for row in self.tx.query(
            "SELECT seq, op_id FROM ops WHERE device_id = $1 AND seq = ANY($2)",
            &[&device_id, &seqs],
        )? {
            self.accepted
                .insert((device_id.to_owned(), row.get(0)), Some(row.get(1)));
        }
        for row in self.tx.query(
            "SELECT seq, op_id, result, table_name FROM op_results
             WHERE device_id = $1 AND seq = ANY($2)",
            &[&device_id, &seqs],
        )? {
            self.refusals.insert(
                (device_id.to_owned(), row.get(0)),
                Some((row.get(1), row.get(2), row.get(3))),
            );
        }
        let ids: Vec<&str> = ops.iter().map(|o| o.op_id.as_str()).collect();
        for id in &ids {
            self.recorded_ids.insert((*id).to_owned(), false);
        }
        for row in self
            .tx
            .query("SELECT op_id FROM ops WHERE op_id = ANY($1)", &[&ids])?
        {
            self.recorded_ids.insert(row.get(0), true);
        }
        let mut keys: Vec<RowKey> = Vec::new();
        for op in ops {
            let Some(spec) = registry::table(&op.table) else {
                continue;
            };
            keys.push((spec.name.to_owned(), op.row_id.clone()));
            for fk in spec.foreign_keys {
                if let Some(Value::String(target)) = op.payload.get(fk.column) {
                    keys.push((fk.table.to_owned(), target.clone()));
                }
            }
        }
        keys.sort_unstable();
        keys.dedup();
        let (tables, row_ids): (Vec<&str>, Vec<&str>) =
            keys.iter().map(|(t, r)| (t.as_str(), r.as_str())).unzip();
        for key in &keys {
            self.rows.insert(key.clone(), None);
        }
        for row in self.tx.query(
            "SELECT r.table_name, r.row_id, r.data, r.clocks, r.deleted
             FROM rows r JOIN unnest($1::text[], $2::text[]) AS k (table_name, row_id)
               ON r.table_name = k.table_name AND r.row_id = k.row_id",
            &[&tables, &row_ids],
        )? {
            let key: RowKey = (row.get(0), row.get(1));
            self.in_db.insert(key.clone());
            self.rows.insert(
                key,
                Some(StoredRow {
                    data: object(row.get(2)),
                    clocks: parsed(row.get(3)),
                    deleted: row.get(4),
                }),
            );
        }
        Ok(())
    }

    /// Writes the ops, rows and refusals waiting, in the order they were decided: new ops
    /// and rows by binary COPY (a tenth of what row-by-row statements cost), rows the
    /// database holds already by one UPDATE.
    fn flush(&mut self) -> Result<(), StoreError> {
        self.flush_ops()?;
        self.flush_rows()?;
        self.flush_refusals()
    }

    fn flush_ops(&mut self) -> Result<(), StoreError> {
        use postgres::binary_copy::BinaryCopyInWriter;
        use postgres::types::Type;
        if !self.pending_ops.is_empty() {
            let ops = std::mem::take(&mut self.pending_ops);
            let now = now_text();
            let statement = self.tx.statement(
                "COPY ops (op_id, device_id, seq, hlc, table_name, row_id, kind, payload,
                           user_name, received_at) FROM STDIN (FORMAT binary)",
            )?;
            let sink = self.tx.tx.copy_in(&statement)?;
            // Cursors are taken in the order rows arrive (the sequence's default).
            let mut writer = BinaryCopyInWriter::new(
                sink,
                &[
                    Type::TEXT,
                    Type::TEXT,
                    Type::INT8,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                    Type::TEXT,
                ],
            );
            for pending in &ops {
                let op = &pending.op;
                writer.write(&[
                    &op.op_id,
                    &op.device_id,
                    &i64::try_from(op.seq).unwrap_or(i64::MAX),
                    &op.hlc,
                    &op.table,
                    &op.row_id,
                    &pending.kind.as_str(),
                    &pending.payload,
                    &pending.user,
                    &now,
                ])?;
            }
            writer.finish()?;
        }
        Ok(())
    }

    fn flush_rows(&mut self) -> Result<(), StoreError> {
        use postgres::binary_copy::BinaryCopyInWriter;
        use postgres::types::Type;
        if !self.dirty_rows.is_empty() {
            let dirty = std::mem::take(&mut self.dirty_rows);
            let (held, new): (Vec<&RowKey>, Vec<&RowKey>) =
                dirty.iter().partition(|key| self.in_db.contains(*key));
            if !new.is_empty() {
                let statement = self.tx.statement(
                    "COPY rows (table_name, row_id, data, clocks, deleted) FROM STDIN (FORMAT binary)",
                )?;
                let sink = self.tx.tx.copy_in(&statement)?;
                let mut writer = BinaryCopyInWriter::new(
                    sink,
                    &[Type::TEXT, Type::TEXT, Type::JSONB, Type::TEXT, Type::BOOL],
                );
                for key in &new {
                    if let Some(Some(row)) = self.rows.get(*key) {
                        writer.write(&[
                            &key.0,
                            &key.1,
                            &Value::Object(row.data.clone()),
                            &Value::Object(row.clocks.clone()).to_string(),
                            &row.deleted,
                        ])?;
                    }
                }
                writer.finish()?;
            }
            if !held.is_empty() {
                let mut tables = Vec::new();
                let mut ids = Vec::new();
                let mut data = Vec::new();
                let mut clocks = Vec::new();
                let mut deleted = Vec::new();
                for key in &held {
                    if let Some(Some(row)) = self.rows.get(*key) {
                        tables.push(key.0.as_str());
                        ids.push(key.1.as_str());
                        data.push(Value::Object(row.data.clone()));
                        clocks.push(Value::Object(row.clocks.clone()).to_string());
                        deleted.push(row.deleted);
                    }
                }
                self.tx.execute(
                    "UPDATE rows SET data = u.d, clocks = u.c, deleted = u.del
                     FROM unnest($1::text[], $2::text[], $3::jsonb[], $4::text[], $5::bool[])
                          AS u (t, r, d, c, del)
                     WHERE rows.table_name = u.t AND rows.row_id = u.r",
                    &[&tables, &ids, &data, &clocks, &deleted],
                )?;
            }
            // A deleted row keeps the cursor of its deletion (its newest op), which the purge
            // reads.
            let (tables, ids): (Vec<&str>, Vec<&str>) = dirty
                .iter()
                .filter(|key| matches!(self.rows.get(*key), Some(Some(row)) if row.deleted))
                .map(|(t, r)| (t.as_str(), r.as_str()))
                .unzip();
            if !tables.is_empty() {
                self.tx.execute(
                    "UPDATE rows SET deleted_at = (SELECT max(o.cursor) FROM ops o
                                                   WHERE o.table_name = rows.table_name
                                                     AND o.row_id = rows.row_id)
                     FROM unnest($1::text[], $2::text[]) AS u (t, r)
                     WHERE rows.table_name = u.t AND rows.row_id = u.r",
                    &[&tables, &ids],
                )?;
            }
            self.in_db.extend(dirty);
        }
        Ok(())
    }

    fn flush_refusals(&mut self) -> Result<(), StoreError> {
        if !self.pending_refusals.is_empty() {
            let refusals = std::mem::take(&mut self.pending_refusals);
            let devices: Vec<&str> = refusals.iter().map(|r| r.0.as_str()).collect();
            let seqs: Vec<i64> = refusals.iter().map(|r| r.1).collect();
            let ids: Vec<&str> = refusals.iter().map(|r| r.2.as_str()).collect();
            let results: Vec<&str> = refusals.iter().map(|r| r.3.as_str()).collect();
            let tables: Vec<&str> = refusals.iter().map(|r| r.4.as_str()).collect();
            self.tx.execute(
                "INSERT INTO op_results (device_id, seq, op_id, result, table_name)
                 SELECT * FROM unnest($1::text[], $2::int8[], $3::text[], $4::text[], $5::text[])",
                &[&devices, &seqs, &ids, &results, &tables],
            )?;
        }
        Ok(())
    }
}

impl Ledger for PgLedger<'_, '_> {
    fn device_claimed(&mut self, device_id: &str) -> Result<bool, StoreError> {
        Ok(self
            .tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM devices WHERE device_id = $1 AND key_hash IS NOT NULL)",
                &[&device_id],
            )?
            .get(0))
    }

    fn note_device(&mut self, device_id: &str, user: &str) -> Result<(), StoreError> {
        self.tx.execute(
            "INSERT INTO devices (device_id, user_name, last_seen) VALUES ($1, $2, $3)
             ON CONFLICT (device_id) DO UPDATE SET user_name = excluded.user_name,
                                                   last_seen = excluded.last_seen",
            &[&device_id, &user, &now_text()],
        )?;
        Ok(())
    }

    fn accepted_op(&mut self, device_id: &str, seq: i64) -> Result<Option<String>, StoreError> {
        if let Some(known) = self.accepted.get(&(device_id.to_owned(), seq)) {
            return Ok(known.clone());
        }
        self.flush()?;
        Ok(self
            .tx
            .query_opt(
                "SELECT op_id FROM ops WHERE device_id = $1 AND seq = $2",
                &[&device_id, &seq],
            )?
            .map(|r| r.get(0)))
    }

    fn kept_refusal(
        &mut self,
        device_id: &str,
        seq: i64,
    ) -> Result<Option<KeptRefusal>, StoreError> {
        if let Some(known) = self.refusals.get(&(device_id.to_owned(), seq)) {
            return Ok(known.clone());
        }
        self.flush()?;
        Ok(self
            .tx
            .query_opt(
                "SELECT op_id, result, table_name FROM op_results WHERE device_id = $1 AND seq = $2",
                &[&device_id, &seq],
            )?
            .map(|r| (r.get(0), r.get(1), r.get(2))))
    }

    fn keep_refusal(
        &mut self,
        device_id: &str,
        seq: i64,
        op: &Op,
        result: &str,
    ) -> Result<(), StoreError> {
        self.refusals.insert(
            (device_id.to_owned(), seq),
            Some((op.op_id.clone(), result.to_owned(), Some(op.table.clone()))),
        );
        self.pending_refusals.push((
            device_id.to_owned(),
            seq,
            op.op_id.clone(),
            result.to_owned(),
            op.table.clone(),
        ));
        Ok(())
    }

    fn op_recorded(&mut self, op_id: &str) -> Result<bool, StoreError> {
        if let Some(known) = self.recorded_ids.get(op_id) {
            return Ok(*known);
        }
        self.flush()?;
        Ok(self
            .tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM ops WHERE op_id = $1)",
                &[&op_id],
            )?
            .get(0))
    }

    fn newest_clock(&mut self, device_id: &str) -> Result<Option<String>, StoreError> {
        self.flush()?;
        Ok(self
            .tx
            .query_opt(
                "SELECT hlc FROM ops WHERE device_id = $1 ORDER BY seq DESC LIMIT 1",
                &[&device_id],
            )?
            .map(|r| r.get(0)))
    }

    fn row(&mut self, table: &str, row_id: &str) -> Result<Option<StoredRow>, StoreError> {
        let key = (table.to_owned(), row_id.to_owned());
        if let Some(known) = self.rows.get(&key) {
            return Ok(known.clone());
        }
        let row = self
            .tx
            .query_opt(
                "SELECT data, clocks, deleted FROM rows WHERE table_name = $1 AND row_id = $2",
                &[&table, &row_id],
            )?
            .map(|r| StoredRow {
                data: object(r.get(0)),
                clocks: parsed(r.get(1)),
                deleted: r.get(2),
            });
        if row.is_some() {
            self.in_db.insert(key.clone());
        }
        self.rows.insert(key, row.clone());
        Ok(row)
    }

    fn live_references(
        &mut self,
        table: &str,
        column: &str,
        row_id: &str,
    ) -> Result<i64, StoreError> {
        self.flush()?;
        // Spelled as its index has it, with the registry's names written in.
        Ok(self
            .tx
            .query_one(
                &format!(
                    "SELECT count(*) FROM rows
                     WHERE table_name = '{table}' AND NOT deleted AND data ->> '{column}' = $1"
                ),
                &[&row_id],
            )?
            .get(0))
    }

    fn live_rows_holding(
        &mut self,
        table: &str,
        key: &[(&str, &str)],
        except: &str,
    ) -> Result<Vec<Map<String, Value>>, StoreError> {
        self.flush()?;
        let mut sql = format!(
            "SELECT data FROM rows WHERE table_name = '{table}' AND NOT deleted AND row_id <> $1"
        );
        for (index, (column, _)) in key.iter().enumerate() {
            let _ = write!(sql, " AND data ->> '{column}' = ${}", index + 2);
        }
        let values: Vec<&str> = std::iter::once(except)
            .chain(key.iter().map(|(_, value)| *value))
            .collect();
        let params: Vec<&(dyn postgres::types::ToSql + Sync)> = values
            .iter()
            .map(|v| v as &(dyn postgres::types::ToSql + Sync))
            .collect();
        Ok(self
            .tx
            .query(&sql, &params)?
            .into_iter()
            .map(|r| object(r.get(0)))
            .collect())
    }

    fn live_values(
        &mut self,
        table: &str,
        column: &str,
        except: &str,
    ) -> Result<Vec<Option<String>>, StoreError> {
        self.flush()?;
        Ok(self
            .tx
            .query(
                "SELECT data ->> $2 FROM rows
                 WHERE table_name = $1 AND NOT deleted AND row_id <> $3",
                &[&table, &column, &except],
            )?
            .into_iter()
            .map(|r| r.get(0))
            .collect())
    }

    fn record(&mut self, entry: &Recorded<'_>) -> Result<(), StoreError> {
        let op = entry.op;
        let seq = i64::try_from(op.seq).unwrap_or(i64::MAX);
        self.accepted
            .insert((op.device_id.clone(), seq), Some(op.op_id.clone()));
        self.recorded_ids.insert(op.op_id.clone(), true);
        let key = (op.table.clone(), op.row_id.clone());
        let row = if let Some((data, clocks)) = &entry.row {
            StoredRow {
                data: data.clone(),
                clocks: clocks.clone(),
                deleted: false,
            }
        } else {
            // A delete keeps the row's columns, marked deleted.
            let mut row = self.row(&op.table, &op.row_id)?.unwrap_or(StoredRow {
                data: Map::new(),
                clocks: Map::new(),
                deleted: true,
            });
            row.deleted = true;
            row
        };
        self.rows.insert(key.clone(), Some(row));
        if !self.dirty_rows.contains(&key) {
            self.dirty_rows.push(key);
        }
        self.pending_ops.push(PendingOp {
            op: op.clone(),
            kind: entry.kind,
            payload: Value::Object(entry.effective.clone()).to_string(),
            user: entry.user.to_owned(),
        });
        Ok(())
    }
}

/// Columns kept as JSON text.
fn parsed(text: &str) -> Map<String, Value> {
    serde_json::from_str(text).unwrap_or_default()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn session_of(r: &postgres::Row) -> TrainingSession {
    TrainingSession {
        id: r.get(0),
        scenario: r.get(1),
        created_by: r.get(2),
        created_at: r.get(3),
        // Written only by this server from a checked clock.
        clock: serde_json::from_str(&r.get::<_, String>(4)).unwrap_or_default(),
    }
}

fn clock_text(clock: &MissionClock) -> String {
    serde_json::to_string(clock).unwrap_or_default()
}

/// Forgets deleted rows once every device seen in the last month has pulled past their
/// deletion, a batch at a time (see the SQLite store's purge).
fn purge_tombstones(tx: &mut Tx<'_>) -> Result<u64, StoreError> {
    let seen_since = galaxium_sync::time::stored(Utc::now() - DEVICE_FORGOTTEN_AFTER);
    let horizon: Option<i64> = tx
        .query_one(
            "SELECT min(pulled_cursor) FROM devices WHERE last_seen >= $1",
            &[&seen_since],
        )?
        .get(0);
    let Some(horizon) = horizon else {
        return Ok(0);
    };
    Ok(tx.execute(
        "DELETE FROM rows WHERE (table_name, row_id) IN (
             SELECT table_name, row_id FROM rows WHERE deleted AND deleted_at <= $1
             ORDER BY deleted_at LIMIT $2)",
        &[&horizon, &crate::store::PURGE_BATCH],
    )?)
}

impl Store for PgStore {
    fn add_user(&self, name: &str, role: Role, password_hash: &str) -> Result<(), StoreError> {
        let inserted = self.with_tx(|tx| {
            Ok(tx.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (name) DO NOTHING",
                &[&name, &role.as_str(), &password_hash, &now_text()],
            )?)
        })?;
        if inserted == 0 {
            return Err(StoreError::UserExists(name.to_owned()));
        }
        Ok(())
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT name, role, password_hash, disabled FROM users WHERE name = $1",
                    &[&name],
                )?
                .map(|row| UserRecord {
                    name: row.get(0),
                    role: row.get::<_, String>(1).parse().unwrap_or(Role::Trainee),
                    password_hash: row.get(2),
                    disabled: row.get(3),
                }))
        })
    }

    fn users(&self) -> Result<Vec<UserSummary>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT u.name, u.role, u.disabled,
                            (SELECT count(*) FROM tokens t
                             WHERE t.user_name = u.name AND t.expires_at > $1)
                     FROM users u ORDER BY u.name",
                    &[&now_text()],
                )?
                .into_iter()
                .map(|r| UserSummary {
                    name: r.get(0),
                    role: r.get::<_, String>(1).parse().unwrap_or(Role::Trainee),
                    disabled: r.get(2),
                    live_sign_ins: r.get::<_, i64>(3).unsigned_abs(),
                })
                .collect())
        })
    }

    fn change_user(&self, name: &str, change: &UserChange) -> Result<bool, StoreError> {
        self.with_tx(|tx| {
            let changed = match change {
                UserChange::Disable => {
                    tx.execute("UPDATE users SET disabled = true WHERE name = $1", &[&name])?
                }
                UserChange::Enable => tx.execute(
                    "UPDATE users SET disabled = false WHERE name = $1",
                    &[&name],
                )?,
                UserChange::Role(role) => tx.execute(
                    "UPDATE users SET role = $2 WHERE name = $1",
                    &[&name, &role.as_str()],
                )?,
                UserChange::Password(hash) => tx.execute(
                    "UPDATE users SET password_hash = $2 WHERE name = $1",
                    &[&name, hash],
                )?,
            };
            // A token carries the role it was given: every change ends the user's sign-ins.
            tx.execute("DELETE FROM tokens WHERE user_name = $1", &[&name])?;
            Ok(changed == 1)
        })
    }

    fn revoke_tokens(&self, user: &str) -> Result<u64, StoreError> {
        self.with_tx(|tx| Ok(tx.execute("DELETE FROM tokens WHERE user_name = $1", &[&user])?))
    }

    fn revoke_token(&self, token_hash: &str) -> Result<bool, StoreError> {
        self.with_tx(|tx| {
            Ok(tx.execute("DELETE FROM tokens WHERE token_hash = $1", &[&token_hash])? == 1)
        })
    }

    fn save_api_token(
        &self,
        token_hash: &str,
        (account, label): (&str, &str),
        scope: crate::auth::Scope,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with_tx(|tx| {
            // "!" is no password hash: nobody signs in as a service account with a password.
            tx.execute(
                "INSERT INTO users (name, role, password_hash, created_at) VALUES ($1, $2, '!', $3)
                 ON CONFLICT (name) DO NOTHING",
                &[&account, &Role::Controller.as_str(), &now_text()],
            )?;
            tx.execute(
                "INSERT INTO tokens (token_hash, user_name, role, expires_at, scope, label)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &token_hash,
                    &account,
                    &Role::Controller.as_str(),
                    &galaxium_sync::time::stored(expires_at),
                    &scope.as_str(),
                    &label,
                ],
            )?;
            Ok(())
        })
    }

    fn api_tokens(&self) -> Result<Vec<(String, String, String, String)>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT label, user_name, scope, expires_at FROM tokens
                     WHERE scope IS NOT NULL ORDER BY label",
                    &[],
                )?
                .into_iter()
                .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
                .collect())
        })
    }

    fn revoke_api_token(&self, label: &str) -> Result<u64, StoreError> {
        self.with_tx(|tx| {
            Ok(tx.execute(
                "DELETE FROM tokens WHERE scope IS NOT NULL AND label = $1",
                &[&label],
            )?)
        })
    }

    fn sign_ins_ended(&self) -> Result<u64, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query_one("SELECT generation FROM sign_in_endings WHERE id = 1", &[])?
                .get::<_, i64>(0)
                .unsigned_abs())
        })
    }

    fn audit(&self, entry: &NewAuditEntry<'_>) -> Result<(), StoreError> {
        self.with_tx(|tx| {
            tx.execute(
                "INSERT INTO audit (at, actor, action, subject, detail, address)
                 VALUES ($1, $2, $3, $4, $5, $6)",
                &[
                    &now_text(),
                    &entry.actor,
                    &entry.action,
                    &entry.subject,
                    &entry.detail,
                    &entry.address,
                ],
            )?;
            Ok(())
        })
    }

    fn audit_entries(&self, after: i64, limit: usize) -> Result<Vec<AuditEntry>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT id, at, actor, action, subject, detail, address FROM audit
                     WHERE id > $1 ORDER BY id LIMIT $2",
                    &[&after, &i64::try_from(limit).unwrap_or(i64::MAX)],
                )?
                .into_iter()
                .map(|r| AuditEntry {
                    id: r.get(0),
                    at: r.get(1),
                    actor: r.get(2),
                    action: r.get(3),
                    subject: r.get(4),
                    detail: r.get(5),
                    address: r.get(6),
                })
                .collect())
        })
    }

    fn save_token(
        &self,
        token_hash: &str,
        principal: &Principal,
        expires_at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        self.with_tx(|tx| {
            // Expired tokens are of no use to anyone; drop them while here.
            tx.execute("DELETE FROM tokens WHERE expires_at < $1", &[&now_text()])?;
            tx.execute(
                "INSERT INTO tokens (token_hash, user_name, role, expires_at, device_id)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &token_hash,
                    &principal.user,
                    &principal.role.as_str(),
                    &galaxium_sync::time::stored(expires_at),
                    &principal.device.as_ref().map(|d| d.id.as_str()),
                ],
            )?;
            Ok(())
        })
    }

    fn token(&self, token_hash: &str) -> Result<Option<(Principal, DateTime<Utc>)>, StoreError> {
        let found = self.with_tx(|tx| {
            Ok(tx.query_opt(
                "SELECT t.user_name, t.role, t.expires_at, t.device_id, d.training, t.scope
                 FROM tokens t
                 JOIN users u ON u.name = t.user_name AND NOT u.disabled
                 LEFT JOIN devices d ON d.device_id = t.device_id
                 WHERE t.token_hash = $1",
                &[&token_hash],
            )?)
        })?;
        Ok(found.and_then(|row| {
            let expires = DateTime::parse_from_rfc3339(&row.get::<_, String>(2))
                .ok()?
                .with_timezone(&Utc);
            let scope: Option<String> = row.get(5);
            Some((
                Principal {
                    user: row.get(0),
                    role: row.get::<_, String>(1).parse().ok()?,
                    device: row.get::<_, Option<String>>(3).map(|id| BoundDevice {
                        id,
                        training: row.get::<_, Option<bool>>(4).unwrap_or(false),
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
        }))
    }

    fn register_device(
        &self,
        id: &str,
        key_hash: &str,
        training: bool,
        principal: &Principal,
    ) -> Result<Registration, StoreError> {
        let op_log_lock = self.op_log_lock;
        self.with_tx(|tx| {
            // Two instances registering one device at once: one after the other.
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&op_log_lock])?;
            let known = tx
                .query_opt(
                    "SELECT key_hash, user_name FROM devices WHERE device_id = $1",
                    &[&id],
                )?
                .map(|r| (r.get::<_, Option<String>>(0), r.get::<_, String>(1)));
            let known = known
                .as_ref()
                .map(|(hash, user)| (hash.as_deref(), user.as_str()));
            Ok(match rules::registering(known, key_hash, principal) {
                rules::Registering::Known => Registration::Registered,
                rules::Registering::Taken => Registration::Taken,
                rules::Registering::Claim => {
                    tx.execute(
                        "UPDATE devices SET key_hash = $2, training = $3, registered_by = $4,
                                registered_at = $5
                         WHERE device_id = $1",
                        &[&id, &key_hash, &training, &principal.user, &now_text()],
                    )?;
                    Registration::Registered
                }
                rules::Registering::New => {
                    // A new device holds nothing a purge could strand: it starts at the head.
                    tx.execute(
                        "INSERT INTO devices (device_id, user_name, last_seen, pulled_cursor,
                                              key_hash, training, registered_by, registered_at)
                         VALUES ($1, $2, $3, (SELECT coalesce(max(cursor), 0) FROM ops), $4, $5,
                                 $2, $3)",
                        &[&id, &principal.user, &now_text(), &key_hash, &training],
                    )?;
                    Registration::Registered
                }
            })
        })
    }

    fn push(
        &self,
        principal: &Principal,
        device_id: &str,
        ops: &[Op],
    ) -> Result<Vec<Settled>, StoreError> {
        let op_log_lock = self.op_log_lock;
        self.with_tx(|tx| {
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&op_log_lock])?;
            let mut clock = self
                .clamp_clock
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let mut ledger = PgLedger::new(tx);
            ledger.prefetch(device_id, ops)?;
            let settled = rules::push(&mut ledger, &mut clock, principal, device_id, ops)?;
            ledger.flush()?;
            Ok(settled)
        })
    }

    fn pull(
        &self,
        principal: &Principal,
        device_id: Option<&str>,
        after: u64,
        limit: usize,
    ) -> Result<PullResponse, StoreError> {
        let op_log_lock = self.op_log_lock;
        let epoch = self.epoch();
        self.with_tx(|tx| {
            let rows = tx.query(
                "SELECT cursor, op_id, device_id, seq, hlc, table_name, row_id, kind, payload,
                        notice, user_name
                 FROM ops WHERE cursor > $1 ORDER BY cursor LIMIT $2",
                &[
                    &i64::try_from(after).unwrap_or(i64::MAX),
                    &i64::try_from(limit + 1).unwrap_or(i64::MAX),
                ],
            )?;
            let mut page = PageBuilder::new(limit);
            for row in rows {
                let kind: String = row.get(7);
                let payload: String = row.get(8);
                let notice: Option<String> = row.get(9);
                let op = ServerOp {
                    notice: notice.as_deref().and_then(|n| serde_json::from_str(n).ok()),
                    by: Some(row.get(10)),
                    cursor: row.get::<_, i64>(0).unsigned_abs(),
                    op: Op {
                        op_id: row.get(1),
                        device_id: row.get(2),
                        seq: row.get::<_, i64>(3).unsigned_abs(),
                        hlc: row.get(4),
                        table: row.get(5),
                        row_id: row.get(6),
                        kind: OpKind::parse(&kind).unwrap_or(OpKind::Update),
                        payload: serde_json::from_str(&payload).unwrap_or_default(),
                    },
                };
                if !page.add(op, payload.len() + notice.map_or(0, |n| n.len())) {
                    break;
                }
            }
            let (ops, next_cursor, more) = page.finish(after);
            if let Some(device) = device_id {
                let mut ledger = PgLedger::new(tx);
                rules::refuse_unbound_speaking_for_a_claimed_device(
                    &mut ledger,
                    principal,
                    device,
                )?;
                ledger.note_device(device, &principal.user)?;
                tx.execute(
                    "UPDATE devices SET pulled_cursor = greatest(pulled_cursor, $2)
                     WHERE device_id = $1",
                    &[&device, &i64::try_from(next_cursor).unwrap_or(i64::MAX)],
                )?;
                // The purge deletes rows a push may be judging: only while no push runs
                // (the next pull purges otherwise).
                let free: bool = tx
                    .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&op_log_lock])?
                    .get(0);
                if free {
                    purge_tombstones(tx)?;
                }
            }
            Ok(PullResponse {
                ops,
                next_cursor,
                more,
                epoch: Some(epoch.clone()),
            })
        })
    }

    fn epoch(&self) -> ServerEpoch {
        let unknown = self
            .epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .is_none();
        if unknown {
            // A session's store is made ready on its first use, which can be this question
            // asked on the async runtime, where the synchronous client must not block: on a
            // thread of its own. (A failure leaves the epoch unknown, and the push is sent
            // back to pull first.)
            let _ = std::thread::scope(|scope| scope.spawn(|| self.prepare()).join());
        }
        self.epoch
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| ServerEpoch {
                database: String::new(),
                id: String::new(),
                since: 0,
            })
    }

    fn stats(&self) -> Result<StoreStats, StoreError> {
        self.with_tx(|tx| {
            let head: i64 = tx
                .query_one("SELECT coalesce(max(cursor), 0) FROM ops", &[])?
                .get(0);
            let since = galaxium_sync::time::stored(Utc::now() - Duration::minutes(5));
            let row = tx.query_one(
                "SELECT count(*), min(pulled_cursor) FROM devices WHERE last_seen >= $1",
                &[&since],
            )?;
            let lowest: Option<i64> = row.get(1);
            Ok(StoreStats {
                head_cursor: head.unsigned_abs(),
                connected_devices: row.get::<_, i64>(0).unsigned_abs(),
                pull_lag: lowest.map_or(0, |low| (head - low).unsigned_abs()),
            })
        })
    }

    #[allow(
        clippy::cast_precision_loss,
        reason = "milliseconds since 1970 fit a double exactly"
    )]
    fn append_telemetry(
        &self,
        producer: &str,
        points: Vec<TelemetryPoint>,
    ) -> Result<TelemetryFrame, StoreError> {
        if points.is_empty() {
            return Ok(TelemetryFrame {
                first_seq: 0,
                last_seq: 0,
                points,
            });
        }
        let received_at = Utc::now().timestamp_millis() as f64 / 1000.0;
        let n = i64::try_from(points.len()).unwrap_or(i64::MAX);
        let (times, channels, values): (Vec<f64>, Vec<&str>, Vec<f64>) = points.iter().fold(
            (Vec::new(), Vec::new(), Vec::new()),
            |(mut t, mut c, mut v), p| {
                t.push(p.t);
                c.push(p.channel.as_str());
                v.push(p.value);
                (t, c, v)
            },
        );
        let lock = self.telemetry_lock;
        let last: i64 = self.with_tx(|tx| {
            // Numbers are taken in the order appends commit (see the op log).
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&lock])?;
            let last: i64 = tx
                .query_one(
                    "SELECT setval('telemetry_seq', nextval('telemetry_seq') + $1 - 1)",
                    &[&n],
                )?
                .get(0);
            tx.execute(
                "INSERT INTO telemetry (seq, t, channel, value, producer, received_at)
                 SELECT $1 + p.i - 1, p.t, p.channel, p.value, $5, $6
                 FROM unnest($2::float8[], $3::text[], $4::float8[])
                      WITH ORDINALITY AS p (t, channel, value, i)",
                &[
                    &(last - n + 1),
                    &times,
                    &channels,
                    &values,
                    &producer,
                    &received_at,
                ],
            )?;
            // Points older than the retention go once a minute, not with every batch: a
            // delete by arrival time on every append cost 40 ms a batch once the table held a
            // few hundred thousand points.
            let due = {
                let mut last = self
                    .last_prune
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                let due = last.is_none_or(|at| at.elapsed() >= PRUNE_EVERY);
                if due {
                    *last = Some(std::time::Instant::now());
                }
                due
            };
            if due {
                tx.execute(
                    "DELETE FROM telemetry WHERE received_at < $1",
                    &[&(received_at - TELEMETRY_RETENTION.as_secs_f64())],
                )?;
            }
            // Delivered when this commits, to every instance listening.
            tx.execute(
                "SELECT pg_notify($1, $2)",
                &[
                    &TELEMETRY_CHANNEL,
                    &format!(
                        "{} {} {} {last}",
                        self.schema,
                        self.shared.instance,
                        last - n + 1
                    ),
                ],
            )?;
            Ok(last)
        })?;
        Ok(TelemetryFrame {
            first_seq: (last - n + 1).unsigned_abs(),
            last_seq: last.unsigned_abs(),
            points,
        })
    }

    fn telemetry_after(
        &self,
        after: u64,
        limit: usize,
    ) -> Result<Option<TelemetryFrame>, StoreError> {
        self.with_tx(|tx| {
            let rows = tx.query(
                "SELECT seq, t, channel, value FROM telemetry WHERE seq > $1 ORDER BY seq LIMIT $2",
                &[
                    &i64::try_from(after).unwrap_or(i64::MAX),
                    &i64::try_from(limit).unwrap_or(i64::MAX),
                ],
            )?;
            Ok(frame_of(&rows))
        })
    }

    fn live_row(
        &self,
        table: &str,
        row_id: &str,
    ) -> Result<Option<Map<String, Value>>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT data FROM rows WHERE table_name = $1 AND row_id = $2 AND NOT deleted",
                    &[&table, &row_id],
                )?
                .map(|r| object(r.get(0))))
        })
    }

    fn telemetry_head(&self) -> Result<u64, StoreError> {
        self.with_tx(|tx| {
            // The newest point stored, or, when a day passed without any, the sequence's.
            let head: i64 = tx
                .query_one(
                    "SELECT coalesce((SELECT max(seq) FROM telemetry),
                                     (SELECT CASE WHEN is_called THEN last_value ELSE 0 END
                                      FROM telemetry_seq))",
                    &[],
                )?
                .get(0);
            Ok(head.unsigned_abs())
        })
    }

    fn ping(&self) -> Result<(), StoreError> {
        self.with_tx(|tx| {
            tx.query_one("SELECT 1", &[])?;
            Ok(())
        })
    }

    fn create_training_session(
        &self,
        session: &TrainingSession,
        members: &[String],
    ) -> Result<(), StoreError> {
        self.with_tx(|tx| {
            tx.execute(
                "INSERT INTO training_sessions (id, scenario, created_by, created_at, clock)
                 VALUES ($1, $2, $3, $4, $5)",
                &[
                    &session.id,
                    &session.scenario,
                    &session.created_by,
                    &session.created_at,
                    &clock_text(&session.clock),
                ],
            )?;
            for user in members.iter().chain(std::iter::once(&session.created_by)) {
                tx.execute(
                    "INSERT INTO training_members (session_id, user_name) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING",
                    &[&session.id, user],
                )?;
            }
            Ok(())
        })
    }

    fn training_sessions(&self, member: Option<&str>) -> Result<Vec<TrainingSession>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query(
                    "SELECT id, scenario, created_by, created_at, clock FROM training_sessions s
                     WHERE $1::text IS NULL
                        OR EXISTS (SELECT 1 FROM training_members m
                                   WHERE m.session_id = s.id AND m.user_name = $1)
                     ORDER BY created_at DESC, id DESC",
                    &[&member],
                )?
                .iter()
                .map(session_of)
                .collect())
        })
    }

    fn is_training_member(&self, id: &str, user: &str) -> Result<bool, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query_one(
                    "SELECT EXISTS (SELECT 1 FROM training_members
                                    WHERE session_id = $1 AND user_name = $2)",
                    &[&id, &user],
                )?
                .get(0))
        })
    }

    fn training_session(&self, id: &str) -> Result<Option<TrainingSession>, StoreError> {
        self.with_tx(|tx| {
            Ok(tx
                .query_opt(
                    "SELECT id, scenario, created_by, created_at, clock FROM training_sessions
                     WHERE id = $1",
                    &[&id],
                )?
                .as_ref()
                .map(session_of))
        })
    }

    fn set_training_clock(&self, id: &str, clock: &MissionClock) -> Result<bool, StoreError> {
        self.with_tx(|tx| {
            Ok(tx.execute(
                "UPDATE training_sessions SET clock = $2 WHERE id = $1",
                &[&id, &clock_text(clock)],
            )? == 1)
        })
    }

    fn bind_training_device(
        &self,
        device_id: &str,
        session_id: &str,
    ) -> Result<String, StoreError> {
        self.with_tx(|tx| {
            tx.execute(
                "INSERT INTO training_devices (device_id, session_id, first_seen)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
                &[&device_id, &session_id, &now_text()],
            )?;
            Ok(tx
                .query_one(
                    "SELECT session_id FROM training_devices WHERE device_id = $1",
                    &[&device_id],
                )?
                .get(0))
        })
    }

    fn holds_training_sessions(&self) -> bool {
        true
    }

    fn training_session_store(&self, id: &str) -> Result<Arc<dyn Store>, StoreError> {
        Ok(Arc::new(self.session(id)?))
    }

    /// The first call of a process starts its listener.
    fn relay_from_other_instances(&self, relay: broadcast::Sender<Arc<TelemetryFrame>>) {
        self.shared
            .relays
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(self.schema.clone(), relay);
        let shared = Arc::clone(&self.shared);
        self.shared.listening.call_once(move || {
            let spawned = std::thread::Builder::new()
                .name("telemetry-listener".into())
                .spawn(move || listen(&shared));
            if let Err(err) = spawned {
                tracing::error!(%err, "could not start the telemetry listener");
            }
        });
    }
}
