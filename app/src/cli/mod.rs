//! The command line: `galaxium` opens the console; subcommands run headless.

pub mod bookings;
mod db;
pub mod orbit;
mod sync;
pub mod telemetry;
mod training;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::logging::{self, StderrLevel};
use crate::paths::DataDir;

/// What `--help` and the manual page say after the options.
const AFTER_HELP: &str = "\
Files (in the data folder):
  replica.sqlite              the local replica (SQLite): everything the console shows
  backups/                    backups, and the copy taken before a schema upgrade
  logs/galaxium.DATE.log      one log a day, the last 14 kept
  exports/                    reports, manifests, debriefs and lists written from the console

Environment:
  GALAXIUM_DATA               the data folder (as --data)
  GALAXIUM_PASSWORD           the password for sync, telemetry feed and training sign-ins

Examples:
  galaxium                                    open the console on the default data folder
  galaxium --data /srv/galaxium/pad-b         open the console on another replica
  galaxium db backup /media/usb/replica.sqlite
  galaxium sync --server https://ops.example:8780 --user ada
  galaxium training list

Every command prints one clear line on standard error and exits non-zero when something is
wrong, and writes nothing half-way.";

/// Galaxium Console: the operator console for crewed space-tourism missions.
///
/// Mission controllers watch the crewed vehicle (live telemetry with limits and alarms,
/// plots, the orbit, ground-station contacts) and run incidents from the first alarm to the
/// closed report; spaceport staff manage launches, seats, bookings, passengers, check-in and
/// manifests; trainers run simulated missions and debrief trainees.
///
/// Without a subcommand, opens the console on the local replica in the data folder (created,
/// with a demo dataset, on first run). The console works fully offline; it syncs with the
/// central server (galaxium-server) when one is reachable. Subcommands work headless on the
/// same replica.
#[derive(Debug, Parser)]
#[command(
    name = "galaxium",
    version,
    about,
    long_about,
    after_long_help = AFTER_HELP
)]
pub struct Cli {
    /// Folder of the local replica, its backups and logs [default: the platform data folder,
    /// on Linux ~/.local/share/galaxium].
    #[arg(long, value_name = "DIR", env = "GALAXIUM_DATA", global = true)]
    pub data: Option<PathBuf>,

    /// Start a new replica empty instead of seeding the demo dataset.
    #[arg(long)]
    pub no_demo: bool,

    /// What to do instead of opening the console.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Headless subcommands.
#[derive(Debug, Subcommand)]
#[allow(
    clippy::doc_markdown,
    reason = "these doc comments are clap's help text, read as plain text in a terminal"
)]
pub enum Command {
    /// Check, back up or restore the local replica.
    #[command(subcommand)]
    Db(DbCommand),
    /// Sync the local replica with the central server once and print a summary line.
    ///
    /// Signs in when needed: the password comes from GALAXIUM_PASSWORD or a prompt, and only
    /// the token is kept (in the replica) until it expires.
    Sync {
        /// The server, such as http://127.0.0.1:8780.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Sign in as this user.
        #[arg(long, value_name = "NAME")]
        user: Option<String>,
    },
    /// Ground tracks and ground-station passes from element sets (TLE or OMM JSON).
    #[command(subcommand)]
    Orbit(OrbitCommand),
    /// Ground-segment tools for the server's live telemetry feed.
    #[command(subcommand)]
    Telemetry(TelemetryCommand),
    /// Training scenarios and sandboxes.
    #[command(subcommand)]
    Training(TrainingCommand),
    /// Import data into the local replica.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Export data from the local replica.
    #[command(subcommand)]
    Export(ExportCommand),
}

/// `galaxium training …`
#[derive(Debug, Subcommand)]
#[allow(
    clippy::doc_markdown,
    reason = "these doc comments are clap's help text, read as plain text in a terminal"
)]
pub enum TrainingCommand {
    /// List the shipped scenarios.
    List,
    /// Make the data folder (--data DIR) a training sandbox that plays SCENARIO.
    ///
    /// The sandbox is a training replica: bannered TRAINING on every screen and never synced
    /// with operational data. A new one is seeded with the demo dataset. Open it with
    /// `galaxium --data DIR`; the Mission view then plays the scenario, with the trainer's
    /// controls (pause, resume, next event, drill faults).
    Prepare {
        /// A scenario id (see `galaxium training list`).
        scenario: String,
        /// Make the sandbox as a copy of the replica in this data folder (an operational
        /// console's, say) instead of the demo dataset; the folder given with --data must hold
        /// no replica yet. The original is only read.
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
    },
    /// Open a training session on the server for SCENARIO and make the data folder the
    /// trainer's sandbox that hosts it.
    ///
    /// The trainer's console plays the scenario and posts its telemetry and mission clock to
    /// the session; trainee consoles joined to it (`galaxium training join`) see the same
    /// telemetry at the same time, and the sandboxes sync with the session only (the server
    /// keeps it apart from operations). The password comes from GALAXIUM_PASSWORD or a
    /// prompt; the sign-in is kept in the sandbox for the console. Prints the session's id.
    Host {
        /// A scenario id (see `galaxium training list`).
        scenario: String,
        /// Make the sandbox as a copy of the replica in this data folder instead of the demo
        /// dataset (see `training prepare --from`).
        #[arg(long, value_name = "DIR")]
        from: Option<PathBuf>,
        /// The server, such as http://127.0.0.1:8780.
        #[arg(long, value_name = "URL")]
        server: String,
        /// A trainer (or admin) account.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// The trainees who take part, comma-separated (only members read or write a session).
        #[arg(long, value_name = "NAMES", value_delimiter = ',')]
        trainees: Vec<String>,
    },
    /// Make the data folder a trainee's sandbox joined to a training session on the server.
    ///
    /// The console then follows the session's telemetry and mission clock, and syncs its
    /// sandbox with the session only. The password comes from GALAXIUM_PASSWORD or a prompt.
    Join {
        /// The session's id (printed by `galaxium training host`); the newest session when
        /// left out.
        session: Option<String>,
        /// The server, such as http://127.0.0.1:8780.
        #[arg(long, value_name = "URL")]
        server: String,
        /// A trainee (or trainer) account.
        #[arg(long, value_name = "NAME")]
        user: String,
    },
}

/// `galaxium telemetry …`
#[derive(Debug, Subcommand)]
pub enum TelemetryCommand {
    /// Send telemetry to the server's live feed once a second, as a ground-segment producer.
    ///
    /// Sends the built-in simulator's mission (the crew and orbit of the local replica), or a
    /// recording (CSV: time,channel,value) moved to the present. Signs in with the password
    /// from GALAXIUM_PASSWORD or a prompt; the user needs the controller or admin role. While
    /// the server cannot be reached, points are held and sent when it is back.
    #[allow(
        clippy::doc_markdown,
        reason = "clap's help text, read as plain text in a terminal"
    )]
    Feed {
        /// The server, such as http://127.0.0.1:8780.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Sign in as this user.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Send this recording instead of the simulator.
        #[arg(long, value_name = "FILE")]
        recording: Option<std::path::PathBuf>,
        /// Stop after this many seconds (default: until interrupted).
        #[arg(long, value_name = "N")]
        seconds: Option<u64>,
        /// The simulator's seed.
        #[arg(long, value_name = "N", default_value_t = 2026)]
        seed: u64,
    },
    /// Follow the server's live feed from a terminal: a line per frame received, or per point
    /// of the channels asked for (to check that the feed reaches this machine).
    ///
    /// Signs in with the password from GALAXIUM_PASSWORD or a prompt. GALAXIUM_CA_FILE names a
    /// site's own certificate authority for an https:// server.
    #[allow(
        clippy::doc_markdown,
        reason = "clap's help text, read as plain text in a terminal"
    )]
    Follow {
        /// The server, such as https://gx-server:8780.
        #[arg(long, value_name = "URL")]
        server: String,
        /// Sign in as this user.
        #[arg(long, value_name = "NAME")]
        user: String,
        /// Print each point of this channel (repeat for more); frames only when none.
        #[arg(long = "channel", value_name = "ID")]
        channels: Vec<String>,
        /// Start with the points the server holds after this sequence number (0: all it
        /// keeps); only what arrives from now on when not given.
        #[arg(long, value_name = "SEQ")]
        after: Option<u64>,
        /// Stop after this many seconds (default: until interrupted).
        #[arg(long, value_name = "N")]
        seconds: Option<u64>,
    },
}

/// `galaxium orbit …`
#[derive(Debug, Subcommand)]
pub enum OrbitCommand {
    /// Print the ground track (latitude, longitude, height) of every element set in FILE,
    /// or of the one named.
    Track {
        /// Element sets: two- or three-line TLEs, or CCSDS OMM JSON.
        #[arg(long, value_name = "FILE")]
        tle: PathBuf,
        /// Only the element set with this name.
        #[arg(long)]
        name: Option<String>,
        /// First point, RFC 3339 (2026-11-22T12:00:00Z).
        #[arg(long, value_name = "RFC3339")]
        start: String,
        /// How long.
        #[arg(long, value_name = "N")]
        minutes: f64,
        /// Seconds between points.
        #[arg(long, value_name = "S")]
        step_seconds: f64,
        /// json or table.
        #[arg(long, default_value = "table", value_parser = ["json", "table"])]
        format: String,
    },
    /// Print the passes of a satellite over a ground station: AOS, TCA, LOS (to half a
    /// second), maximum elevation, and the azimuths at AOS and LOS.
    Passes {
        /// Element sets: two- or three-line TLEs, or CCSDS OMM JSON.
        #[arg(long, value_name = "FILE")]
        tle: PathBuf,
        /// The satellite's name in FILE.
        #[arg(long)]
        name: String,
        /// The station: latitude and longitude in degrees, height in metres.
        #[arg(long, value_name = "LAT,LON,ALT_M", allow_hyphen_values = true)]
        station: String,
        /// Window start, RFC 3339.
        #[arg(long, value_name = "RFC3339")]
        start: String,
        /// Window length.
        #[arg(long, value_name = "H")]
        hours: f64,
        /// Elevation mask in degrees.
        #[arg(
            long,
            value_name = "DEG",
            default_value_t = 10.0,
            allow_hyphen_values = true
        )]
        min_elevation: f64,
        /// json or table.
        #[arg(long, default_value = "table", value_parser = ["json", "table"])]
        format: String,
    },
}

/// `galaxium import …`
#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Import bookings from a CSV file, one row per passenger booking (the layout is in the
    /// README, "Bookings CSV"). Every row is checked first; rows with a problem are listed
    /// with line, column and reason and left out, and the good rows are written in one
    /// transaction. Exits non-zero when any row was left out.
    Bookings {
        /// The CSV file.
        file: PathBuf,
    },
}

/// `galaxium export …`
#[derive(Debug, Subcommand)]
pub enum ExportCommand {
    /// Write a launch's bookings, in the import layout (CSV) or as JSON.
    Bookings {
        /// The launch: its id or its mission name.
        #[arg(long, value_name = "ID")]
        launch: String,
        /// csv or json.
        #[arg(long, default_value = "csv", value_parser = ["csv", "json"])]
        format: String,
        /// Write to FILE instead of standard output.
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Write a launch's passenger manifest (the frozen one once closed) as CSV or as a
    /// printable PDF with the seat map.
    Manifest {
        /// The launch: its id or its mission name.
        #[arg(long, value_name = "ID")]
        launch: String,
        /// csv or pdf.
        #[arg(long, default_value = "csv", value_parser = ["csv", "pdf"])]
        format: String,
        /// Write to FILE instead of standard output (required for PDF).
        #[arg(long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
}

/// `galaxium db …`
#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Check the replica without changing it: integrity, schema version, row counts.
    Check,
    /// Write a consistent copy of the replica to FILE (SQLite online backup; safe while the
    /// console runs). FILE must not exist yet.
    Backup {
        /// Where to write the copy.
        file: PathBuf,
    },
    /// Replace the replica with the backup in FILE, after checking the backup. The replica it
    /// replaces is kept in the data folder's backups/. Close the console first.
    Restore {
        /// The backup to restore.
        file: PathBuf,
    },
}

fn telemetry_command(data: &DataDir, command: TelemetryCommand) -> anyhow::Result<()> {
    let _log = logging::init(Some(&data.logs()), StderrLevel::Warn);
    match command {
        TelemetryCommand::Feed {
            server,
            user,
            recording,
            seconds,
            seed,
        } => telemetry::feed(
            data,
            &telemetry::FeedArgs {
                server: &server,
                user: &user,
                recording: recording.as_deref(),
                seconds,
                seed,
            },
            &mut std::io::stdout().lock(),
        ),
        TelemetryCommand::Follow {
            server,
            user,
            channels,
            after,
            seconds,
        } => telemetry::follow(
            &telemetry::FollowArgs {
                server: &server,
                user: &user,
                channels: &channels,
                after,
                seconds,
            },
            std::io::stdout(),
        ),
    }
}

fn training_command(data: &DataDir, command: TrainingCommand) -> anyhow::Result<()> {
    let _log = logging::init(None, StderrLevel::Warn);
    let mut out = std::io::stdout().lock();
    match command {
        TrainingCommand::List => training::list(&mut out),
        TrainingCommand::Prepare { scenario, from } => {
            let from = from.map(|dir| DataDir::at(&dir));
            training::prepare(data, &scenario, from.as_ref(), &mut out)
        }
        TrainingCommand::Host {
            scenario,
            from,
            server,
            user,
            trainees,
        } => {
            let from = from.map(|dir| DataDir::at(&dir));
            let trainees: Vec<&str> = trainees.iter().map(String::as_str).collect();
            training::host(
                data,
                (&scenario, &trainees),
                from.as_ref(),
                (&server, &user),
                &mut out,
            )
        }
        TrainingCommand::Join {
            session,
            server,
            user,
        } => training::join(data, session.as_deref(), &server, &user, &mut out),
    }
}

/// Runs what the command line asked for.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    let data = DataDir::resolve(cli.data.as_deref())?;
    match cli.command {
        None => {
            let _log = logging::init(Some(&data.logs()), StderrLevel::Info);
            tracing::info!(data = %data.root().display(), version = env!("CARGO_PKG_VERSION"), "starting the console");
            crate::console::run(&data, !cli.no_demo)
        }
        Some(Command::Sync { server, user }) => {
            let _log = logging::init(Some(&data.logs()), StderrLevel::Warn);
            sync::sync(
                &data,
                &server,
                user.as_deref(),
                &mut std::io::stdout().lock(),
            )
        }
        Some(Command::Orbit(command)) => {
            let _log = logging::init(None, StderrLevel::Warn);
            let mut out = std::io::stdout().lock();
            match command {
                OrbitCommand::Track {
                    tle,
                    name,
                    start,
                    minutes,
                    step_seconds,
                    format,
                } => orbit::track(
                    &orbit::TrackArgs {
                        file: &tle,
                        name: name.as_deref(),
                        start: &start,
                        minutes,
                        step_seconds,
                        format: &format,
                    },
                    &mut out,
                ),
                OrbitCommand::Passes {
                    tle,
                    name,
                    station,
                    start,
                    hours,
                    min_elevation,
                    format,
                } => orbit::passes_cmd(
                    &orbit::PassArgs {
                        file: &tle,
                        name: &name,
                        station: &station,
                        start: &start,
                        hours,
                        min_elevation,
                        format: &format,
                    },
                    &mut out,
                ),
            }
        }
        Some(Command::Telemetry(command)) => telemetry_command(&data, command),
        Some(Command::Training(command)) => training_command(&data, command),
        Some(Command::Import(ImportCommand::Bookings { file })) => {
            let _log = logging::init(Some(&data.logs()), StderrLevel::Warn);
            bookings::import(&data, &file, &mut std::io::stdout().lock())
        }
        Some(Command::Export(command)) => {
            let log_dir = data.root().exists().then(|| data.logs());
            let _log = logging::init(log_dir.as_deref(), StderrLevel::Warn);
            let mut out = std::io::stdout().lock();
            match command {
                ExportCommand::Bookings {
                    launch,
                    format,
                    output,
                } => {
                    bookings::export_bookings(&data, &launch, &format, output.as_deref(), &mut out)
                }
                ExportCommand::Manifest {
                    launch,
                    format,
                    output,
                } => {
                    bookings::export_manifest(&data, &launch, &format, output.as_deref(), &mut out)
                }
            }
        }
        Some(Command::Db(command)) => {
            // A check must not create a data folder just to log into it.
            let log_dir = data.root().exists().then(|| data.logs());
            let _log = logging::init(log_dir.as_deref(), StderrLevel::Warn);
            let mut out = std::io::stdout().lock();
            match command {
                DbCommand::Check => db::check(&data, &mut out),
                DbCommand::Backup { file } => db::backup(&data, &file, &mut out),
                DbCommand::Restore { file } => db::restore(&data, &file, &mut out),
            }
        }
    }
}
