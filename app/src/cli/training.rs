//! `galaxium training list|prepare|host|join`: the shipped scenarios, a sandbox replica
//! ready to play one, and sandboxes joined to a training session on the server (the trainer's
//! hosting it, trainees' following it).

use std::io::Write;

use anyhow::Context as _;
use chrono::Utc;
use galaxium_sync::client::{SyncClient, sync_once};
use galaxium_sync::replica::{SignIn, TrainingLink};
use galaxium_sync::{OpenOptions, Replica, ReplicaKind};

use crate::ops::demo::DemoDataset;
use crate::ops::training::{self, scenario};
use crate::paths::DataDir;

/// Lists the shipped scenarios.
pub fn list(out: &mut impl Write) -> anyhow::Result<()> {
    for s in scenario::shipped()? {
        writeln!(
            out,
            "{:<26} {} ({} min, {} events)",
            s.id,
            s.title,
            (s.duration_s / 60.0).round(),
            s.events.len()
        )?;
    }
    Ok(())
}

/// Makes the data folder a training sandbox that plays `scenario_id`: a training replica
/// (bannered, never synced with operations), seeded with the demo dataset when new, or made
/// as a copy of the replica in `from`.
pub fn prepare(
    data: &DataDir,
    scenario_id: &str,
    from: Option<&DataDir>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    // Check the scenario before creating anything.
    let chosen = training::scenario_by_id(scenario_id)?;
    let mut replica = sandbox(data, from)?;
    training::prepare(&mut replica, &chosen.id)?;
    writeln!(
        out,
        "sandbox ready in {}: {} ({} min). Open it with: galaxium --data {}",
        data.root().display(),
        chosen.title,
        (chosen.duration_s / 60.0).round(),
        data.root().display()
    )?;
    Ok(())
}

/// The data folder's sandbox: a copy of the replica in `from` (the folder must hold no
/// replica yet), or the sandbox already there, or a new one seeded with the demo dataset.
fn sandbox(data: &DataDir, from: Option<&DataDir>) -> anyhow::Result<Replica> {
    let Some(from) = from else {
        let mut replica = open_sandbox(data)?;
        if replica.open_report().created {
            DemoDataset::shipped()?.seed(&mut replica, Utc::now())?;
        }
        return Ok(replica);
    };
    if data.replica().exists() {
        anyhow::bail!(
            "{} holds a replica already; a copy of {} needs an empty folder",
            data.root().display(),
            from.root().display()
        );
    }
    if !from.replica().exists() {
        anyhow::bail!("{} holds no replica to copy", from.root().display());
    }
    let source = Replica::open(&from.replica(), &OpenOptions::default())
        .with_context(|| format!("opening {}", from.replica().display()))?;
    std::fs::create_dir_all(data.root())
        .with_context(|| format!("creating {}", data.root().display()))?;
    source
        .training_copy(&data.replica())
        .with_context(|| format!("copying {} into a sandbox", from.replica().display()))
}

/// Opens the data folder's replica as a training sandbox (created if new); refused on an
/// operational replica.
fn open_sandbox(data: &DataDir) -> anyhow::Result<Replica> {
    let replica = Replica::open(
        &data.replica(),
        &OpenOptions {
            kind_if_new: ReplicaKind::Training,
        },
    )
    .with_context(|| format!("opening {}", data.replica().display()))?;
    if replica.kind()? != ReplicaKind::Training {
        anyhow::bail!(
            "{} is an operational replica; a sandbox needs a folder of its own (choose another --data folder, or copy this one with --from)",
            data.replica().display()
        );
    }
    Ok(replica)
}

/// Signs `user` in to `server` on the sandbox `replica` (password from `GALAXIUM_PASSWORD` or
/// a prompt), its device claimed by the sign-in; the client and the sign-in to keep.
fn sign_in(
    runtime: &tokio::runtime::Runtime,
    (server, user): (&str, &str),
    replica: &Replica,
) -> anyhow::Result<(SyncClient, SignIn)> {
    let mut client = SyncClient::new(server)?;
    let password = super::sync::password_for(user)?;
    let claim = replica.device_claim()?;
    let login = runtime
        .block_on(client.login_as(user, &password, Some(claim)))
        .with_context(|| format!("signing in to {server} as {user}"))?;
    let kept = SignIn {
        server: client.base_url().to_owned(),
        user: user.to_owned(),
        role: login.role,
        token: login.token,
        expires_at: login.expires_at,
    };
    Ok((client, kept))
}

/// Runs `work` on a sandbox that `make` opens in `data`; a sandbox this call made is removed
/// again when `work` fails (a wrong password leaves the folder as it was).
fn with_sandbox<T>(
    data: &DataDir,
    make: impl FnOnce() -> anyhow::Result<Replica>,
    work: impl FnOnce(&mut Replica) -> anyhow::Result<T>,
) -> anyhow::Result<(Replica, T)> {
    let existed = data.replica().exists();
    let mut replica = make()?;
    match work(&mut replica) {
        Ok(done) => Ok((replica, done)),
        Err(err) => {
            if !existed {
                drop(replica);
                for suffix in ["", "-wal", "-shm"] {
                    let mut path = data.replica().into_os_string();
                    path.push(suffix);
                    let _ = std::fs::remove_file(path);
                }
            }
            Err(err)
        }
    }
}

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the network runtime")
}

/// Opens a session for `scenario_id` on `server` and makes the data folder the sandbox that
/// hosts it (a copy of the replica in `from`, or the demo dataset); its rows go up to the
/// session at once, so trainees who join find them.
pub fn host(
    data: &DataDir,
    (scenario_id, trainees): (&str, &[&str]),
    from: Option<&DataDir>,
    (server, user): (&str, &str),
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let chosen = training::scenario_by_id(scenario_id)?;
    let runtime = runtime()?;
    let (mut replica, (client, kept, session)) = with_sandbox(
        data,
        || sandbox(data, from),
        |replica| {
            let (client, kept) = sign_in(&runtime, (server, user), replica)?;
            let session = runtime
                .block_on(client.create_training_session(&chosen.id, trainees))
                .context("opening the training session")?;
            Ok((client, kept, session))
        },
    )?;
    training::prepare(&mut replica, &chosen.id)?;
    replica.set_training_link(&TrainingLink {
        server: client.base_url().to_owned(),
        session: session.id.clone(),
        scenario: chosen.id.clone(),
        hosting: true,
    })?;
    replica.keep_sign_in(Some(&kept))?;
    let summary = runtime
        .block_on(sync_once(&mut replica, &client))
        .context("sending the sandbox's rows to the session")?;
    writeln!(
        out,
        "session {} opened for {} ({} rows sent).\nOpen the trainer's console with: galaxium --data {}\nTrainees join with: galaxium --data TRAINEE_DIR training join {} --server {} --user NAME",
        session.id,
        chosen.title,
        summary.pushed,
        data.root().display(),
        session.id,
        client.base_url()
    )?;
    Ok(())
}

/// Makes the data folder a trainee's sandbox joined to `session` (the newest one when
/// `None`) and pulls the session's rows.
pub fn join(
    data: &DataDir,
    session: Option<&str>,
    server: &str,
    user: &str,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let runtime = runtime()?;
    let (mut replica, (client, kept, found, chosen)) = with_sandbox(
        data,
        || open_sandbox(data),
        |replica| {
            let (client, kept) = sign_in(&runtime, (server, user), replica)?;
            let found = match session {
                Some(id) => runtime
                    .block_on(client.training_session(id))
                    .with_context(|| format!("finding training session {id}"))?,
                None => runtime
                    .block_on(client.training_sessions())
                    .context("listing the training sessions")?
                    .into_iter()
                    .next()
                    .with_context(|| format!("{server} has no training session; a trainer opens one with galaxium training host"))?,
            };
            let chosen = training::scenario_by_id(&found.scenario)?;
            Ok((client, kept, found, chosen))
        },
    )?;
    replica.set_training_link(&TrainingLink {
        server: client.base_url().to_owned(),
        session: found.id.clone(),
        scenario: found.scenario.clone(),
        hosting: false,
    })?;
    replica.keep_sign_in(Some(&kept))?;
    let summary = runtime
        .block_on(sync_once(&mut replica, &client))
        .context("pulling the session's rows")?;
    writeln!(
        out,
        "joined session {} ({}, opened by {}; {} rows pulled). Open the console with: galaxium --data {}",
        found.id,
        chosen.title,
        found.created_by,
        summary.pulled,
        data.root().display()
    )?;
    Ok(())
}
