//! `galaxium-server`: the thin central server that reconciles console replicas.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Parser as _;
use galaxium_server::cli::{Cli, Command, TokenCommand, UserCommand};
use galaxium_server::postgres::{PgStore, is_postgres_url};
use galaxium_server::store::{SqliteStore, Store, UserChange};
use galaxium_server::training;
use galaxium_server::{AppState, auth, serve, serve_tls};
use galaxium_sync::schema::registry::Role;

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("galaxium-server: {err:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(mut cli: Cli) -> anyhow::Result<()> {
    let db = cli
        .db
        .clone()
        .context("--db PATH is required (or set GALAXIUM_SERVER_DB)")?;
    if let Some(url) = db.to_str().filter(|db| is_postgres_url(db)) {
        return run_on_postgres(cli, url);
    }
    // A restore runs with the server stopped, before anything opens the database.
    if let Some(Command::Restore { file }) = &cli.command {
        return restore_database(file, &db);
    }
    let store = SqliteStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
    match cli.command.take() {
        Some(Command::User(command)) => manage_user(&store, command),
        Some(Command::Token(command)) => manage_tokens(&store, command),
        Some(Command::Backup { file }) => {
            let backup = galaxium_server::backup::take(&db, &file)
                .with_context(|| format!("backing up {}", db.display()))?;
            writeln!(
                std::io::stdout().lock(),
                "copied {} to {} ({:.1} MiB in {:.1} s)",
                db.display(),
                backup.path.display(),
                mib(backup.bytes),
                backup.took.as_secs_f64()
            )?;
            Ok(())
        }
        Some(Command::Audit { last }) => print_audit(&store, last),
        Some(Command::Restore { file }) => restore_database(&file, &db),
        None => {
            // Each training session's database sits beside the server's own.
            let training = training::Sessions::in_dir(
                db.parent()
                    .unwrap_or_else(|| std::path::Path::new("."))
                    .join("training-sessions"),
            );
            serve_until_stopped(&cli, Some(&db), Arc::new(store), Some(training))
        }
    }
}

/// The commands on a PostgreSQL database: the same, but copies are PostgreSQL's own tools'.
fn run_on_postgres(mut cli: Cli, url: &str) -> anyhow::Result<()> {
    // The address without its password, for messages.
    let shown = url.split_once('@').map_or(url, |(_, host)| host);
    let store = Arc::new(
        PgStore::open(url).with_context(|| format!("opening the PostgreSQL database {shown}"))?,
    );
    match cli.command.take() {
        Some(Command::User(command)) => manage_user(&*store, command),
        Some(Command::Token(command)) => manage_tokens(&*store, command),
        Some(Command::Audit { last }) => print_audit(&*store, last),
        Some(Command::Backup { .. } | Command::Restore { .. }) => anyhow::bail!(
            "backup and restore copy a SQLite database; on PostgreSQL use pg_dump and pg_restore (or WAL archiving), as the README shows"
        ),
        None => {
            // The sessions live in the database too (AppState knows).
            serve_until_stopped(&cli, None, store, None)
        }
    }
}

/// Puts the copy `file` in place of the database `db` and says what that means.
fn restore_database(file: &std::path::Path, db: &std::path::Path) -> anyhow::Result<()> {
    let restored = galaxium_server::backup::restore(file, db)
        .with_context(|| format!("restoring {} into {}", file.display(), db.display()))?;
    let mut out = std::io::stdout().lock();
    writeln!(
        out,
        "restored {} into {}: a new epoch from cursor {}",
        file.display(),
        db.display(),
        restored.epoch.since
    )?;
    if let Some(replaced) = &restored.replaced {
        writeln!(
            out,
            "the database it replaced is kept as {}",
            replaced.display()
        )?;
    }
    writeln!(
        out,
        "{} sign-ins and API tokens ended: consoles sign in again, service accounts need new tokens (token create); user changes made after the copy was taken are undone (user list)",
        restored.sign_ins_ended
    )?;
    writeln!(
        out,
        "consoles that synced after the copy was taken send again what it lacks at their next sync"
    )?;
    Ok(())
}

/// Prints the newest `last` entries of the audit log, oldest first.
fn print_audit(store: &dyn Store, last: usize) -> anyhow::Result<()> {
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let page = store.audit_entries(after, 1_000)?;
        let Some(newest) = page.last() else { break };
        after = newest.id;
        entries.extend(page);
        if entries.len() > last {
            entries.drain(..entries.len() - last);
        }
    }
    let mut out = std::io::stdout().lock();
    for e in entries {
        writeln!(
            out,
            "{}\t{}\t{}\t{}\t{}\t{}",
            e.at,
            e.actor,
            e.action,
            e.subject.unwrap_or_default(),
            e.address.unwrap_or_default(),
            e.detail
        )?;
    }
    Ok(())
}

/// Serves until Ctrl+C or SIGTERM.
/// Serves until a signal stops the server. `db` is the SQLite file, which scheduled backups
/// copy (none on PostgreSQL).
fn serve_until_stopped(
    cli: &Cli,
    db: Option<&std::path::Path>,
    store: Arc<dyn Store>,
    training: Option<training::Sessions>,
) -> anyhow::Result<()> {
    let tls = match (&cli.tls_cert, &cli.tls_key) {
        (Some(cert), Some(key)) => {
            Some(galaxium_server::serving::tls_config(cert, key).map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&cli.listen)
            .await
            .with_context(|| format!("cannot listen on {}", cli.listen))?;
        let address = listener.local_addr()?;
        let mut state = AppState::new(
            store,
            chrono::Duration::seconds(i64::from(cli.token_ttl_seconds)),
        );
        if let Some(training) = training {
            state = state.with_training(training);
        }
        if cli.allow_unclaimed_devices {
            tracing::warn!("sign-ins without a device key may push and pull for unclaimed devices");
            state = state.admitting_unclaimed_devices();
        }
        let state = Arc::new(state);
        if let Some(db) = db
            && cli.backup_every_seconds > 0
        {
            let dir = cli.backup_dir.clone().unwrap_or_else(|| {
                db.parent()
                    .unwrap_or_else(|| std::path::Path::new("."))
                    .join("backups")
            });
            tokio::spawn(scheduled_backups(
                Arc::clone(&state),
                db.to_path_buf(),
                dir,
                std::time::Duration::from_secs(cli.backup_every_seconds),
                cli.backup_keep as usize,
            ));
        }
        {
            let mut out = std::io::stdout().lock();
            let scheme = if tls.is_some() { "https" } else { "http" };
            writeln!(out, "galaxium-server listening on {scheme}://{address}")?;
            out.flush()?;
        }
        if let Some(db) = db {
            tracing::info!(%address, db = %db.display(), "serving");
        } else {
            tracing::info!(%address, "serving on PostgreSQL");
        }
        match tls {
            Some(tls) => serve_tls(listener, state, tls, shutdown_signal()).await?,
            None => serve(listener, state, shutdown_signal()).await?,
        }
        tracing::info!("stopped");
        Ok(())
    })
}

#[allow(
    clippy::cast_precision_loss,
    reason = "a file's size, shown to a tenth of a MiB"
)]
fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Copies the database into `dir` every `every` while the server runs, keeping the newest
/// `keep`; the first as soon as the newest copy there is older than `every` (a restart does
/// not push the next copy a whole interval away).
async fn scheduled_backups(
    state: Arc<AppState>,
    db: std::path::PathBuf,
    dir: std::path::PathBuf,
    every: std::time::Duration,
    keep: usize,
) {
    let newest = galaxium_server::backup::newest_taken_at(&dir)
        .ok()
        .flatten();
    let since = newest.map_or(every, |at| {
        (chrono::Utc::now() - at).to_std().unwrap_or_default()
    });
    let first = tokio::time::Instant::now() + every.saturating_sub(since);
    let mut ticks = tokio::time::interval_at(first, every);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tracing::info!(dir = %dir.display(), every_s = every.as_secs(), keep, "scheduled backups");
    loop {
        ticks.tick().await;
        let (db, dir) = (db.clone(), dir.clone());
        let at = chrono::Utc::now();
        let taken = tokio::task::spawn_blocking(move || {
            galaxium_server::backup::take_scheduled(&db, &dir, keep, at)
        })
        .await
        .map_err(|err| err.to_string())
        .and_then(|taken| taken.map_err(|err| err.to_string()));
        match taken {
            Ok((backup, removed)) => {
                state
                    .metrics
                    .backup(Some(u64::try_from(at.timestamp()).unwrap_or(0)));
                tracing::info!(
                    file = %backup.path.display(),
                    mib = mib(backup.bytes),
                    took_ms = backup.took.as_millis(),
                    removed,
                    "backup taken"
                );
            }
            Err(err) => {
                state.metrics.backup(None);
                tracing::error!("scheduled backup failed: {err}");
            }
        }
    }
}

/// The user who changes users from the command line, in the audit log.
const COMMAND_LINE: &str = "command line";

fn manage_user(store: &dyn Store, command: UserCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    let audited = |action: &str, name: &str, detail: &str| {
        store.audit(&galaxium_server::store::NewAuditEntry {
            actor: COMMAND_LINE,
            action,
            subject: Some(name),
            detail,
            address: None,
        })
    };
    let changed = |name: &str, change: UserChange, action: &str, detail: &str| {
        if !store.change_user(name, &change)? {
            bail!("there is no user {name:?}");
        }
        audited(action, name, detail)?;
        Ok(())
    };
    match command {
        UserCommand::Add { name, role } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let hash = hash_from_stdin()?;
            store.add_user(&name, role, &hash)?;
            audited("user-added", &name, &format!("as {}", role.as_str()))?;
            writeln!(out, "added user {name} with role {}", role.as_str())?;
        }
        UserCommand::List => {
            for user in store.users()? {
                writeln!(
                    out,
                    "{}\t{}\t{}\t{} live sign-in(s)",
                    user.name,
                    user.role.as_str(),
                    if user.disabled { "disabled" } else { "enabled" },
                    user.live_sign_ins
                )?;
            }
        }
        UserCommand::Disable { name } => {
            changed(&name, UserChange::Disable, "user-disabled", "")?;
            writeln!(out, "disabled {name}; their sign-ins have ended")?;
        }
        UserCommand::Enable { name } => {
            changed(&name, UserChange::Enable, "user-enabled", "")?;
            writeln!(out, "enabled {name}")?;
        }
        UserCommand::SetRole { name, role } => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            changed(
                &name,
                UserChange::Role(role),
                "user-role-set",
                &format!("to {}", role.as_str()),
            )?;
            writeln!(
                out,
                "{name} is now {}; their sign-ins have ended",
                role.as_str()
            )?;
        }
        UserCommand::ResetPassword { name } => {
            let hash = hash_from_stdin()?;
            changed(&name, UserChange::Password(hash), "user-password-reset", "")?;
            writeln!(
                out,
                "set a new password for {name}; their sign-ins have ended"
            )?;
        }
        UserCommand::SignOut { name } => {
            if store.user(&name)?.is_none() {
                bail!("there is no user {name:?}");
            }
            let ended = store.revoke_tokens(&name)?;
            audited(
                "user-signed-out",
                &name,
                &format!("{ended} sign-in(s) ended"),
            )?;
            writeln!(out, "ended {ended} sign-in(s) of {name}")?;
        }
    }
    Ok(())
}

fn manage_tokens(store: &dyn Store, command: TokenCommand) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match command {
        TokenCommand::Create {
            name,
            scope,
            account,
            days,
        } => {
            let scope: auth::Scope = scope.parse().map_err(anyhow::Error::msg)?;
            let token = auth::new_token();
            let expires = chrono::Utc::now() + chrono::Duration::days(i64::from(days));
            store.save_api_token(&auth::token_hash(&token), (&account, &name), scope, expires)?;
            store.audit(&galaxium_server::store::NewAuditEntry {
                actor: COMMAND_LINE,
                action: "api-token-created",
                subject: Some(&name),
                detail: &format!("{} for {account}, {days} days", scope.as_str()),
                address: None,
            })?;
            writeln!(out, "{token}")?;
        }
        TokenCommand::List => {
            for (name, account, scope, expires) in store.api_tokens()? {
                writeln!(out, "{name}\t{account}\t{scope}\tuntil {expires}")?;
            }
        }
        TokenCommand::Revoke { name } => {
            let revoked = store.revoke_api_token(&name)?;
            if revoked == 0 {
                bail!("there is no API token named {name:?}");
            }
            store.audit(&galaxium_server::store::NewAuditEntry {
                actor: COMMAND_LINE,
                action: "api-token-revoked",
                subject: Some(&name),
                detail: "",
                address: None,
            })?;
            writeln!(out, "revoked {revoked} API token(s) named {name}")?;
        }
    }
    Ok(())
}

/// A password from standard input (one line, at least 8 characters), hashed.
fn hash_from_stdin() -> anyhow::Result<String> {
    let mut password = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut password)
        .context("reading the password from standard input")?;
    let password = password.trim_end_matches(['\r', '\n']);
    if password.chars().count() < 8 {
        bail!("the password must have at least 8 characters");
    }
    auth::hash_password(password).map_err(|err| anyhow::anyhow!("hashing the password: {err}"))
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let Ok(mut term) =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        else {
            let _ = interrupt.await;
            return;
        };
        tokio::select! {
            _ = interrupt => {},
            _ = term.recv() => {},
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}
