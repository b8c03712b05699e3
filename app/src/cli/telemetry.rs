//! `galaxium telemetry feed`: a ground-segment producer for the server's live feed. It sends
//! the built-in simulator's mission (driven by the crewed vehicle's orbit from the local
//! replica) or a recording, shifted to the present, once a second. `galaxium telemetry
//! follow`: the feed read from a terminal.

use std::io::Write;
use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use chrono::Utc;
use galaxium_sync::client::SyncClient;
use galaxium_sync::protocol::{MAX_TELEMETRY_POINTS, TelemetryBatch, TelemetryPoint};
use galaxium_sync::{OpenOptions, Replica};

use super::sync::password_for;
use crate::ops::orbit::OrbitData;
use crate::ops::telemetry::dictionary::Dictionary;
use crate::ops::telemetry::playback::Playback;
use crate::ops::telemetry::sim::Simulator;
use crate::ops::telemetry::{Sample, TelemetrySource, crewed_seats, environment_from_orbit};
use crate::paths::DataDir;

/// How often a batch goes out.
pub const SEND_EVERY: Duration = Duration::from_secs(1);
/// Points held while the server cannot be reached (about an hour of the demo mission); the
/// oldest go first beyond this, and the feed says so.
pub const MAX_HELD_POINTS: usize = 200_000;

/// What to feed and where.
#[derive(Debug)]
pub struct FeedArgs<'a> {
    /// The server.
    pub server: &'a str,
    /// Sign in as this user (a controller).
    pub user: &'a str,
    /// A recording to send instead of the simulator.
    pub recording: Option<&'a Path>,
    /// Stop after this many seconds; run until interrupted otherwise.
    pub seconds: Option<u64>,
    /// The simulator's seed.
    pub seed: u64,
}

/// The source to feed, the offset added to its times, and the dictionary's channel ids.
fn source_for(
    data: &DataDir,
    args: &FeedArgs<'_>,
) -> anyhow::Result<(Box<dyn TelemetrySource>, f64, Vec<String>)> {
    // The replica, when there is one, gives the crew's seats and the vehicle's orbit.
    let replica = data
        .replica()
        .exists()
        .then(|| Replica::open(&data.replica(), &OpenOptions::default()))
        .transpose()
        .context("opening the local replica for the crew and the orbit")?;
    let seats = replica
        .as_ref()
        .map(crewed_seats)
        .transpose()?
        .unwrap_or_default();
    let dictionary = Dictionary::shipped(&seats)?;
    let names: Vec<String> = dictionary.channels.iter().map(|c| c.id.clone()).collect();
    let now = Utc::now();
    if let Some(path) = args.recording {
        let playback = Playback::open(path, &dictionary)?;
        // Recorded times are moved to the present, so consoles see live data.
        let offset = playback.mission_start().map_or(0.0, |start| {
            crate::ops::telemetry::unix_seconds(now) - start
        });
        return Ok((Box::new(playback), offset, names));
    }
    let mut simulator = Simulator::new(&dictionary, now, args.seed);
    if let Some(replica) = &replica {
        let orbit = OrbitData::load(replica)?;
        let crewed = orbit
            .objects
            .iter()
            .find(|o| o.vehicle.is_some())
            .and_then(|o| o.satellite.as_ref().ok());
        if let Some(satellite) = crewed {
            simulator.set_environment(&environment_from_orbit(satellite, &orbit.stations, now)?);
        }
    }
    Ok((Box::new(simulator), 0.0, names))
}

/// A network runtime, and a client signed in to `server` as `user` (the password from
/// `GALAXIUM_PASSWORD` or a prompt).
fn signed_in(
    server: &str,
    user: &str,
) -> anyhow::Result<(
    tokio::runtime::Runtime,
    SyncClient,
    galaxium_sync::protocol::LoginResponse,
)> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the network runtime")?;
    let mut client = SyncClient::new(server)?;
    let password = password_for(user)?;
    let login = runtime
        .block_on(client.login(user, &password))
        .with_context(|| format!("signing in to {server} as {user}"))?;
    Ok((runtime, client, login))
}

/// Signs in and sends a batch every second until done; one line per batch on `out`.
pub fn feed(data: &DataDir, args: &FeedArgs<'_>, out: &mut impl Write) -> anyhow::Result<()> {
    let (mut source, offset, names) = source_for(data, args)?;
    let (runtime, client, _) = signed_in(args.server, args.user)?;
    writeln!(
        out,
        "feeding {} as {} with {} ({} channels); Ctrl+C stops",
        client.base_url(),
        args.user,
        args.recording
            .map_or_else(|| "the simulator".to_owned(), |p| p.display().to_string()),
        names.len()
    )?;

    let started = std::time::Instant::now();
    let mut uplink = Uplink {
        dictionary: galaxium_sync::commanding::CommandDictionary::shipped()?,
        after: None,
    };
    let mut held: Vec<TelemetryPoint> = Vec::new();
    let mut polled: Vec<Sample> = Vec::new();
    let mut dropped = 0usize;
    loop {
        polled.clear();
        source.poll(Utc::now(), &mut polled);
        held.extend(polled.iter().map(|s| TelemetryPoint {
            t: s.t + offset,
            channel: names[s.channel].clone(),
            value: s.value,
        }));
        if held.len() > MAX_HELD_POINTS {
            let excess = held.len() - MAX_HELD_POINTS;
            held.drain(..excess);
            dropped += excess;
        }
        while !held.is_empty() {
            let take = held.len().min(MAX_TELEMETRY_POINTS);
            let batch = TelemetryBatch {
                points: held[..take].to_vec(),
            };
            match runtime.block_on(client.post_telemetry(&batch)) {
                Ok(accepted) => {
                    held.drain(..take);
                    writeln!(
                        out,
                        "{} sent {} points, last seq {}",
                        Utc::now().format("%H:%M:%S"),
                        accepted.accepted,
                        accepted.last_seq
                    )?;
                }
                Err(err) if err.is_retryable() => {
                    writeln!(
                        out,
                        "{} holding {} points: {err}",
                        Utc::now().format("%H:%M:%S"),
                        held.len()
                    )?;
                    break;
                }
                Err(err) => bail!("the server refused the feed: {err}"),
            }
        }
        if dropped > 0 {
            writeln!(
                out,
                "the server was away too long: the oldest {dropped} points were dropped"
            )?;
            dropped = 0;
        }
        carry_out_commands(&runtime, &client, &mut uplink, source.as_mut(), &names, out)?;
        if held.is_empty() && source.playback().is_some_and(|p| p.finished()) {
            writeln!(out, "the whole recording has been sent")?;
            return Ok(());
        }
        if args
            .seconds
            .is_some_and(|s| started.elapsed() >= Duration::from_secs(s))
        {
            return Ok(());
        }
        std::thread::sleep(SEND_EVERY);
    }
}

/// What to follow and where.
#[derive(Debug)]
pub struct FollowArgs<'a> {
    /// The server.
    pub server: &'a str,
    /// Sign in as this user.
    pub user: &'a str,
    /// Print each point of these channels; a line per frame when empty.
    pub channels: &'a [String],
    /// Start after this sequence number; from now on when `None`.
    pub after: Option<u64>,
    /// Stop after this many seconds; run until interrupted otherwise.
    pub seconds: Option<u64>,
}

/// Signs in and prints what the live feed relays until `args.seconds` have passed (or the
/// server ends the feed, which is an error).
pub fn follow(args: &FollowArgs<'_>, mut out: impl Write + Send) -> anyhow::Result<()> {
    let (runtime, client, login) = signed_in(args.server, args.user)?;
    writeln!(
        out,
        "following {} as {}; Ctrl+C stops",
        client.base_url(),
        args.user
    )?;
    let mut written: std::io::Result<()> = Ok(());
    let on_frame = |frame: galaxium_sync::protocol::TelemetryFrame| {
        if written.is_err() {
            return;
        }
        written = print_frame(&mut out, &frame, args.channels);
    };
    let following = galaxium_sync::live::follow(
        client.base_url(),
        None,
        &login.token,
        args.after,
        on_frame,
        || {},
    );
    let ended = runtime.block_on(async {
        match args.seconds {
            Some(seconds) => tokio::time::timeout(Duration::from_secs(seconds), following)
                .await
                .ok(),
            None => Some(following.await),
        }
    });
    match ended {
        // The time asked for has passed.
        None => Ok(()),
        Some(Ok(())) => bail!("the server ended the live feed"),
        Some(Err(err)) => Err(err).context("following the live feed"),
    }?;
    written.context("writing what the feed relays")
}

/// One line for `frame`, or one per point of `channels` in it.
fn print_frame(
    out: &mut impl Write,
    frame: &galaxium_sync::protocol::TelemetryFrame,
    channels: &[String],
) -> std::io::Result<()> {
    if channels.is_empty() {
        return writeln!(
            out,
            "{} seq {}-{}: {} points",
            Utc::now().format("%H:%M:%S"),
            frame.first_seq,
            frame.last_seq,
            frame.points.len()
        );
    }
    for point in frame
        .points
        .iter()
        .filter(|p| channels.contains(&p.channel))
    {
        // The server keeps point times within the years 2000-2100, so whole seconds fit.
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "checked by the server to lie within 2000-2100; a fraction is 0 to 1"
        )]
        let (seconds, nanos) = (
            point.t.floor() as i64,
            ((point.t - point.t.floor()) * 1e9) as u32,
        );
        let at = chrono::DateTime::from_timestamp(seconds, nanos).map_or_else(
            || format!("{:.3}", point.t),
            |t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        );
        writeln!(out, "{at} {} {}", point.channel, point.value)?;
    }
    Ok(())
}

/// The ground segment's side of the uplink: the command dictionary, and where in the
/// server's op log it has read the commands sent to the vehicle (`None` before the first ask:
/// the first answer starts from now).
struct Uplink {
    dictionary: galaxium_sync::commanding::CommandDictionary,
    after: Option<u64>,
}

/// Takes the commands consoles sent through the server and carries them out on the vehicle
/// this feed plays (a recording cannot be commanded: said, and the command is left to fail
/// its verifiers at the console that sent it).
fn carry_out_commands(
    runtime: &tokio::runtime::Runtime,
    client: &SyncClient,
    uplink: &mut Uplink,
    source: &mut dyn TelemetrySource,
    names: &[String],
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let sent = match runtime.block_on(client.uplink_commands(uplink.after)) {
        Ok(sent) => sent,
        Err(err) if err.is_retryable() => {
            writeln!(
                out,
                "{} commands not read: {err}",
                Utc::now().format("%H:%M:%S")
            )?;
            return Ok(());
        }
        Err(err) => bail!("the server refused the commands for the vehicle: {err}"),
    };
    uplink.after = Some(sent.next_after);
    for command in sent.commands {
        let Some(spec) = uplink.dictionary.get(&command.name) else {
            writeln!(
                out,
                "{} is not in this feed's command dictionary: not carried out",
                command.name
            )?;
            continue;
        };
        let text = spec.text_form(&command.arguments);
        let mut done = true;
        for (channel, actuation) in crate::ops::commanding::actuations(spec, &command.arguments) {
            let index = names.iter().position(|n| *n == channel);
            done &= index.is_some_and(|i| source.actuate(i, actuation));
        }
        if done {
            writeln!(
                out,
                "{} carried out {text} (queued by {})",
                Utc::now().format("%H:%M:%S"),
                command.queued_by
            )?;
        } else {
            writeln!(
                out,
                "{} could not carry out {text}: this feed's source cannot be commanded",
                Utc::now().format("%H:%M:%S")
            )?;
        }
    }
    Ok(())
}
