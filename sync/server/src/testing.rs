//! For the server's tests: one database per test, on the backend the run asks for, so that
//! the same story-style tests run against SQLite and against PostgreSQL.
//!
//! `GALAXIUM_TEST_DATABASE=postgres` runs them on PostgreSQL, at the server the libpq
//! variables name (`PGHOST`, `PGPORT`, `PGUSER`, `PGPASSWORD`, `PGDATABASE`, as
//! `pg_virtualenv` sets them), each test in a database of its own. When it is set and no
//! PostgreSQL answers, the test fails: a missing PostgreSQL is never a silent skip.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::postgres::PgStore;
use crate::store::{SqliteStore, Store};

/// Where one test's server keeps its data.
#[derive(Debug, Clone)]
pub enum TestDatabase {
    /// A SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL database made for the test: its address (`postgres://…`).
    Postgres(String),
}

/// Whether this run tests the PostgreSQL backend.
pub fn on_postgres() -> bool {
    std::env::var("GALAXIUM_TEST_DATABASE").is_ok_and(|v| v == "postgres")
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Percent-encodes what a URL's user, password or host part may not hold as it is.
fn encoded(part: &str) -> String {
    part.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The address of database `name` on the server the libpq variables name.
pub fn postgres_url(name: &str) -> String {
    let user = env_or("PGUSER", "postgres");
    let password = std::env::var("PGPASSWORD").ok();
    let host = env_or("PGHOST", "localhost");
    let port = env_or("PGPORT", "5432");
    let login = match password {
        Some(password) => format!("{}:{}", encoded(&user), encoded(&password)),
        None => encoded(&user),
    };
    format!("postgres://{login}@{}:{port}/{name}", encoded(&host))
}

impl TestDatabase {
    /// A new, empty database for one test: a file in `dir`, or a PostgreSQL database made
    /// now.
    ///
    /// # Panics
    /// When the run asks for PostgreSQL and none answers.
    #[allow(
        clippy::expect_used,
        reason = "a test helper: no PostgreSQL is a failed test"
    )]
    pub fn fresh(dir: &Path) -> Self {
        if on_postgres() {
            Self::fresh_postgres()
        } else {
            Self::Sqlite(dir.join("server.sqlite"))
        }
    }

    /// A new, empty PostgreSQL database at the PG* variables' address.
    ///
    /// # Panics
    /// When no PostgreSQL answers there.
    #[allow(
        clippy::expect_used,
        reason = "a test helper: no PostgreSQL is a failed test"
    )]
    pub fn fresh_postgres() -> Self {
        let maintenance = postgres_url(&env_or("PGDATABASE", "postgres"));
        let mut client = postgres::Client::connect(&maintenance, postgres::NoTls).expect(
            "GALAXIUM_TEST_DATABASE=postgres but no PostgreSQL answers at the PG* variables' address (run the tests under pg_virtualenv)",
        );
        let name = format!("galaxium_test_{}", uuid::Uuid::new_v4().simple());
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("making a database for the test");
        Self::Postgres(postgres_url(&name))
    }

    /// Opens its store (the tables are made the first time).
    ///
    /// # Panics
    /// When it cannot be opened.
    #[allow(clippy::expect_used, reason = "a test helper")]
    pub fn open(&self) -> Arc<dyn Store> {
        match self {
            Self::Sqlite(path) => Arc::new(SqliteStore::open(path).expect("opening the store")),
            // On a thread of its own: a test may open it from inside a runtime, where the
            // synchronous client cannot block (the server calls it off the runtime).
            Self::Postgres(url) => std::thread::scope(|scope| {
                scope
                    .spawn(|| Arc::new(PgStore::open(url).expect("opening the store")))
                    .join()
                    .expect("opening the store")
            }),
        }
    }

    /// What `galaxium-server --db` takes.
    pub fn db_argument(&self) -> String {
        match self {
            Self::Sqlite(path) => path.display().to_string(),
            Self::Postgres(url) => url.clone(),
        }
    }

    /// The live rows held, as (table, row id, columns as JSON text).
    ///
    /// # Panics
    /// When the database cannot be read.
    #[allow(clippy::expect_used, reason = "a test helper")]
    pub fn live_rows(&self) -> Vec<(String, String, String)> {
        let sql = "SELECT table_name, row_id, data::text FROM rows WHERE deleted = false";
        match self {
            Self::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).expect("opening the database");
                let mut stmt = conn
                    .prepare("SELECT table_name, row_id, data FROM rows WHERE deleted = 0")
                    .expect("reading rows");
                stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                    .and_then(Iterator::collect)
                    .expect("reading rows")
            }
            Self::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut client| client.query(sql, &[]))
                .expect("reading rows")
                .iter()
                .map(|r| (r.get(0), r.get(1), r.get(2)))
                .collect(),
        }
    }

    /// The one number `sql` reads (SQL that both databases speak).
    ///
    /// # Panics
    /// When the database cannot be read.
    #[allow(clippy::expect_used, reason = "a test helper")]
    pub fn count(&self, sql: &str) -> i64 {
        match self {
            Self::Sqlite(path) => rusqlite::Connection::open(path)
                .and_then(|conn| conn.query_row(sql, [], |r| r.get(0)))
                .expect("counting"),
            Self::Postgres(url) => postgres::Client::connect(url, postgres::NoTls)
                .and_then(|mut client| client.query_one(sql, &[]))
                .expect("counting")
                .get(0),
        }
    }
}
