//! `galaxium-server`: the thin central server that reconciles console replicas.

use std::io::{BufRead as _, Write as _};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context as _, bail};
use clap::Parser as _;
use galaxium_server::cli::{Cli, Command, UserCommand};
use galaxium_server::store::{SqliteStore, Store as _};
use galaxium_server::{AppState, auth, serve};
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

fn run(cli: Cli) -> anyhow::Result<()> {
    let db = cli
        .db
        .context("--db PATH is required (or set GALAXIUM_SERVER_DB)")?;
    let store = SqliteStore::open(&db).with_context(|| format!("opening {}", db.display()))?;
    match cli.command {
        Some(Command::User(UserCommand::Add { name, role })) => {
            let role: Role = role.parse().map_err(anyhow::Error::msg)?;
            let mut password = String::new();
            std::io::stdin()
                .lock()
                .read_line(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\r', '\n']);
            if password.chars().count() < 8 {
                bail!("the password must have at least 8 characters");
            }
            let hash = auth::hash_password(password)
                .map_err(|err| anyhow::anyhow!("hashing the password: {err}"))?;
            store.add_user(&name, role, &hash)?;
            let mut out = std::io::stdout().lock();
            writeln!(out, "added user {name} with role {}", role.as_str())?;
            Ok(())
        }
        None => {
            let runtime = tokio::runtime::Runtime::new().context("starting the runtime")?;
            runtime.block_on(async move {
                let listener = tokio::net::TcpListener::bind(&cli.listen)
                    .await
                    .with_context(|| format!("cannot listen on {}", cli.listen))?;
                let address = listener.local_addr()?;
                // Each training session's database sits beside the server's own.
                let training_dir = db
                    .parent()
                    .unwrap_or_else(|| std::path::Path::new("."))
                    .join("training-sessions");
                let state = Arc::new(
                    AppState::new(
                        Arc::new(store),
                        chrono::Duration::seconds(i64::from(cli.token_ttl_seconds)),
                    )
                    .with_training_dir(training_dir),
                );
                {
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "galaxium-server listening on http://{address}")?;
                    out.flush()?;
                }
                tracing::info!(%address, db = %db.display(), "serving");
                serve(listener, state, shutdown_signal()).await?;
                tracing::info!("stopped");
                Ok(())
            })
        }
    }
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
