//! The server's command line (clap), kept in the library so its manual page can be made from
//! it (see the console's `man-pages` example).

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// What `--help` and the manual page say after the options.
const AFTER_HELP: &str = "\
Endpoints (all but /health need `Authorization: Bearer TOKEN` from /api/v1/login):
  GET  /health                          200 when the server can serve
  GET  /metrics                         Prometheus text (admins and controllers)
  POST /api/v1/login                    {\"user\",\"password\",\"device\"?} -> {\"token\",\"expires_at\",\"role\"}
  POST /api/v1/logout                   ends the sign-in
  GET  /api/v1/admin/audit              the audit log (admins)
  POST /api/v1/push, GET /api/v1/pull   replica ops in, ops after a cursor out
  POST /api/v1/telemetry/batch          telemetry from the ground segment
  GET  /api/v1/telemetry/live           the live relay (WebSocket)
  /api/v1/training/sessions/...         training sessions, each its own namespace

Files:
  the --db file                         users, tokens, replicated rows, a day of telemetry
  training-sessions/ beside it          one database per training session
  backups/ beside it                    the scheduled copies (--backup-dir)
  on PostgreSQL                         all in the database: operations in its public
                                        schema, each training session a training_ID schema;
                                        copies with pg_dump or WAL archiving
  /etc/galaxium/server.env              settings of the packaged service (environment)

Examples:
  galaxium-server --db /var/lib/galaxium/server.sqlite --listen 0.0.0.0:8780 \\
      --tls-cert /etc/galaxium/server.crt --tls-key /etc/galaxium/server.key
  echo 'a-long-password' | galaxium-server --db server.sqlite user add ada --role admin
  galaxium-server --db /var/lib/galaxium/server.sqlite backup /srv/copies/server-now.sqlite
  galaxium-server --db /var/lib/galaxium/server.sqlite restore /srv/copies/server-now.sqlite
  galaxium-server --db postgres://galaxium@%2Fvar%2Frun%2Fpostgresql/galaxium --listen 0.0.0.0:8780";

/// Galaxium central server: reconciles console replicas and relays live telemetry.
///
/// Consoles keep their own replica and work offline; the server takes the ops each one
/// pushes, checks them against the table registry (who may write what, foreign keys, status
/// transitions, one active booking per seat), orders them, and hands every console the ops
/// after its cursor. Refused ops come back with the reason and the winning row, so nothing is
/// lost silently. It also stores telemetry posted by the ground segment (a day of it) and
/// relays it over WebSockets, and keeps training sessions apart from operations.
///
/// Passwords are hashed with argon2; tokens expire and are stored only as hashes. Every
/// request but health needs a sign-in, and roles are checked on every write.
///
/// Run without a subcommand to serve; stop with Ctrl+C or SIGTERM (requests in flight
/// finish). Add users with `user add`.
#[derive(Debug, Parser)]
#[allow(
    clippy::doc_markdown,
    reason = "these doc comments are clap's help text, read as plain text in a terminal"
)]
#[command(
    name = "galaxium-server",
    version,
    about,
    long_about,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    /// The server's database: a SQLite file (created if missing; training sessions are kept
    /// in training-sessions/ beside it), or a PostgreSQL database,
    /// postgres://USER[:PASSWORD]@HOST[:PORT]/DB (its tables made at start; training
    /// sessions a schema each; several servers may share it).
    #[arg(
        long,
        value_name = "PATH|URL",
        env = "GALAXIUM_SERVER_DB",
        // Its value may hold a password: `--help` does not show it.
        hide_env_values = true,
        global = true
    )]
    pub db: Option<PathBuf>,

    /// Address to listen on, such as 127.0.0.1:8780 (port 0 picks a free port and prints it).
    #[arg(
        long,
        value_name = "ADDR",
        env = "GALAXIUM_SERVER_LISTEN",
        default_value = "127.0.0.1:8780"
    )]
    pub listen: String,

    /// How long a sign-in lasts, in seconds.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "GALAXIUM_SERVER_TOKEN_TTL_SECONDS",
        default_value_t = 12 * 60 * 60
    )]
    pub token_ttl_seconds: u32,

    /// Serve HTTPS with this certificate chain (PEM, the server's own certificate first);
    /// needs --tls-key. Without both, plain HTTP: only on loopback or a trusted network.
    #[arg(
        long,
        value_name = "PEM",
        env = "GALAXIUM_SERVER_TLS_CERT",
        requires = "tls_key"
    )]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM).
    #[arg(
        long,
        value_name = "PEM",
        env = "GALAXIUM_SERVER_TLS_KEY",
        requires = "tls_cert"
    )]
    pub tls_key: Option<PathBuf>,

    /// Let sign-ins without a device key (consoles older than device keys) push and pull under
    /// a device they name, as long as no console has claimed that device. Only while a site
    /// upgrades its consoles: such a sign-in can speak for any unclaimed device.
    #[arg(long, env = "GALAXIUM_SERVER_ALLOW_UNCLAIMED_DEVICES")]
    pub allow_unclaimed_devices: bool,

    /// While serving, copy the database into this folder on a schedule (default: backups/
    /// beside the database). Each copy is whole and checked; the oldest beyond --backup-keep
    /// are removed.
    #[arg(long, value_name = "DIR", env = "GALAXIUM_SERVER_BACKUP_DIR")]
    pub backup_dir: Option<PathBuf>,

    /// Seconds between scheduled copies (15 minutes: the most a lost machine loses); 0 turns
    /// the schedule off.
    #[arg(
        long,
        value_name = "SECONDS",
        env = "GALAXIUM_SERVER_BACKUP_EVERY_SECONDS",
        default_value_t = 15 * 60
    )]
    pub backup_every_seconds: u64,

    /// How many scheduled copies to keep (96: a day at 15 minutes).
    #[arg(
        long,
        value_name = "N",
        env = "GALAXIUM_SERVER_BACKUP_KEEP",
        default_value_t = 96,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub backup_keep: u32,

    /// What to do instead of serving.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The server's subcommands.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::doc_markdown,
    reason = "these doc comments are clap's help text, read as plain text in a terminal"
)]
pub enum Command {
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens of service accounts (a Prometheus scraper, a ground-segment
    /// producer): long-lived, revocable, each good for one thing only.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Print the audit log (sign-ins, failed sign-ins, sign-outs, user changes, refused ops
    /// and devices), oldest first, one entry per line, tab-separated.
    Audit {
        /// Only the newest N entries.
        #[arg(long, value_name = "N", default_value_t = 100)]
        last: usize,
    },
    /// Copy the database to FILE while the server runs (a consistent copy of one instant,
    /// checked before it takes its name; FILE must not exist). Training sessions are not
    /// copied: they are practice, and end with the server's restart in any case.
    Backup {
        /// Where the copy goes.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
    /// Put a copy (from `backup` or the schedule) in place of the database, with the server
    /// stopped. The copy is checked first; the database it replaces is kept beside it
    /// (PATH.replaced-TIME). Every sign-in and API token ends, and user changes made after
    /// the copy was taken are undone (review `user list`). Consoles that synced after the
    /// copy was taken send again, at their next sync, what it lacks.
    Restore {
        /// The copy to put back.
        #[arg(value_name = "FILE")]
        file: PathBuf,
    },
}

/// `galaxium-server token …`
#[derive(Debug, Subcommand)]
#[allow(
    clippy::doc_markdown,
    reason = "these doc comments are clap's help text, read as plain text in a terminal"
)]
pub enum TokenCommand {
    /// Make an API token and print it (once: only its hash is kept).
    Create {
        /// The token's name (for listing and revoking), such as prometheus.
        name: String,
        /// metrics (read /metrics) or telemetry (post telemetry batches).
        #[arg(long)]
        scope: String,
        /// The service account it acts as (made if missing; it cannot sign in with a
        /// password).
        #[arg(long, default_value = "service")]
        account: String,
        /// How many days it lasts.
        #[arg(long, default_value_t = 365)]
        days: u32,
    },
    /// List the API tokens: name, account, scope, expiry.
    List,
    /// Revoke the API tokens of a name: they stop working at once.
    Revoke {
        /// The token's name.
        name: String,
    },
}

/// `galaxium-server user …`
#[derive(Debug, Subcommand)]
#[allow(
    clippy::doc_markdown,
    reason = "these doc comments are clap's help text, read as plain text in a terminal"
)]
pub enum UserCommand {
    /// Add a user; the password is read from standard input (one line, at least 8 characters).
    ///
    /// Roles: admin (users and reference data), controller (mission control, telemetry),
    /// staff (spaceport: bookings, passengers, check-in), trainer (runs training sessions),
    /// trainee (works only inside training sessions).
    Add {
        /// User name.
        name: String,
        /// admin, controller, staff, trainer or trainee.
        #[arg(long)]
        role: String,
    },
    /// List the users: name, role, whether disabled, live sign-ins.
    List,
    /// Stop a user from signing in; their sign-ins end at once (live feeds within 15 s).
    Disable {
        /// User name.
        name: String,
    },
    /// Let a disabled user sign in again.
    Enable {
        /// User name.
        name: String,
    },
    /// Give a user another role; their sign-ins end at once.
    SetRole {
        /// User name.
        name: String,
        /// admin, controller, staff, trainer or trainee.
        #[arg(long)]
        role: String,
    },
    /// Set a user's password, read from standard input (one line, at least 8 characters);
    /// their sign-ins end at once.
    ResetPassword {
        /// User name.
        name: String,
    },
    /// End every sign-in of a user (a lost laptop): the tokens stop working at once.
    SignOut {
        /// User name.
        name: String,
    },
}
