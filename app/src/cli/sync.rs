//! `galaxium sync --server URL [--user NAME]`: one sync of the local replica.

use std::io::Write;

use anyhow::{Context as _, bail};
use chrono::Utc;
use galaxium_sync::Replica;
use galaxium_sync::client::{SyncClient, SyncError, sync_once};
use galaxium_sync::replica::SignIn;

use crate::paths::DataDir;

/// Where the password comes from when signing in.
pub const PASSWORD_ENV: &str = "GALAXIUM_PASSWORD";

/// Signs in if needed (password from `GALAXIUM_PASSWORD` or a prompt), pushes pending edits,
/// pulls everyone else's, and prints one summary line.
pub fn sync(
    data: &DataDir,
    server: &str,
    user: Option<&str>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let mut replica = Replica::open(&data.replica(), &galaxium_sync::OpenOptions::default())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the network runtime")?;
    let mut client = SyncClient::new(server)?;

    let kept = replica
        .sign_in()?
        .filter(|s| s.server == client.base_url() && s.is_valid_at(Utc::now()))
        .filter(|s| user.is_none_or(|u| u == s.user));
    match (kept, user) {
        (Some(kept), _) => client = client.with_token(kept.token),
        (None, Some(user)) => {
            let password = password_for(user)?;
            let claim = replica.device_claim()?;
            let login = runtime.block_on(client.login_as(user, &password, Some(claim)))?;
            replica.keep_sign_in(Some(&SignIn {
                server: client.base_url().to_owned(),
                user: user.to_owned(),
                role: login.role,
                token: login.token,
                expires_at: login.expires_at,
            }))?;
        }
        (None, None) => bail!(
            "not signed in to {}; pass --user NAME (the password comes from {PASSWORD_ENV} or a prompt)",
            client.base_url()
        ),
    }

    let summary = match runtime.block_on(sync_once(&mut replica, &client)) {
        Ok(summary) => summary,
        Err(err @ SyncError::Unauthorized(_)) => {
            replica.keep_sign_in(None)?;
            return Err(err).context("signing in again needs --user NAME");
        }
        Err(err) => return Err(err.into()),
    };
    let waiting = replica.conflicts(false)?.len();
    write!(out, "synced with {}: {summary}", client.base_url())?;
    if waiting > 0 {
        write!(out, "; {waiting} conflicts wait in the inbox")?;
    }
    writeln!(out)?;
    Ok(())
}

pub(super) fn password_for(user: &str) -> anyhow::Result<String> {
    if let Ok(password) = std::env::var(PASSWORD_ENV) {
        return Ok(password);
    }
    rpassword::prompt_password(format!("password for {user}: "))
        .with_context(|| format!("cannot prompt for the password here; set {PASSWORD_ENV}"))
}
