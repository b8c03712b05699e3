//! Commanding at the commanding issue's targets, end to end on loopback through a real server:
//!
//! 1. an approval made at one console is visible at the sending console: p99 ≤ 1 s;
//! 2. queue → released → executed by the simulator → verified by telemetry.
//!
//! Two consoles, each with its real sync agent paced as the console paces it while commands
//! are on their way, a real server on loopback, and the sending console's simulated vehicle
//! and uplink turned every 5 ms as the console's frames turn them. Each round queues a
//! two-person command at the sender (`PWR.BUS_B_DISABLE`), approves it at the other console,
//! and follows it until it is verified; then a one-person command (`PWR.BUS_B_ENABLE`) from
//! queue to verified. Verification waits for the vehicle: bus B's voltage settles with a one-
//! second time constant and telemetry arrives once a second, so it is reported apart.
//!
//! Run: `cargo bench -p galaxium --bench commanding` (`COMMANDING_ROUNDS`, default 20).

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    clippy::too_many_lines,
    reason = "a benchmark prints its figures, stops loudly when its setup fails, and reads top to bottom"
)]

#[path = "../../tests/support/mod.rs"]
#[allow(dead_code, reason = "the benchmark uses one of the shared helpers")]
mod support;

use std::time::{Duration, Instant};

use chrono::Utc;
use galaxium::ops::commanding::{self, NewCommand, Uplink, UplinkEvent};
use galaxium::ops::sync_agent::{SYNC_WHILE_COMMANDING, SyncAgent, SyncRequest};
use galaxium::ops::telemetry::Telemetry;
use galaxium::ops::telemetry::dictionary::Dictionary;
use galaxium::ops::telemetry::sim::Simulator;
use galaxium_sync::commanding::CommandDictionary;
use galaxium_sync::schema::registry::Role;
use galaxium_sync::{OpenOptions, Replica};

/// A console for the benchmark: its replica (the UI's connection) and its sync agent.
struct Console {
    replica: Replica,
    agent: SyncAgent,
}

fn console(dir: &std::path::Path, name: &str, url: &str, user: &str) -> Console {
    let path = dir.join(name);
    let replica = Replica::open(&path, &OpenOptions::default()).expect("a replica");
    let agent = SyncAgent::start(&path, || {}).expect("the sync agent");
    agent.send(SyncRequest::SignIn {
        server: url.to_owned(),
        user: user.to_owned(),
        password: support::PASSWORD.to_owned(),
    });
    let deadline = Instant::now() + Duration::from_secs(30);
    while agent.status().last_success.is_none() {
        assert!(Instant::now() < deadline, "{user} did not sign in and sync");
        std::thread::sleep(Duration::from_millis(10));
    }
    agent.send(SyncRequest::Pace(SYNC_WHILE_COMMANDING));
    Console { replica, agent }
}

fn status(replica: &Replica, id: &str) -> Option<String> {
    replica
        .read("bench", |conn| {
            conn.query_row("SELECT status FROM commands WHERE id = ?1", [id], |r| {
                r.get::<_, String>(0)
            })
        })
        .ok()
}

/// The sender's frames: the vehicle and the uplink turned every 5 ms until `done` says so
/// (or 30 s pass); the times (from `since`) when each uplink event happened.
fn frames_until(
    sender: &mut Console,
    telemetry: &mut Telemetry,
    uplink: &mut Uplink,
    since: Instant,
    mut done: impl FnMut(&Replica, &[(UplinkEvent, Duration)]) -> bool,
) -> Vec<(UplinkEvent, Duration)> {
    let mut seen = Vec::new();
    let deadline = since + Duration::from_secs(30);
    while !done(&sender.replica, &seen) {
        assert!(Instant::now() < deadline, "no progress in 30 s: {seen:?}");
        telemetry.tick(Utc::now());
        let events = uplink.tick(
            &mut sender.replica,
            telemetry,
            "cal",
            Utc::now(),
            Instant::now(),
        );
        if !events.is_empty() {
            sender.agent.send(SyncRequest::SyncNow);
        }
        seen.extend(events.into_iter().map(|e| (e, since.elapsed())));
        std::thread::sleep(Duration::from_millis(5));
    }
    seen
}

fn when(seen: &[(UplinkEvent, Duration)], kind: fn(&UplinkEvent) -> bool) -> Duration {
    seen.iter()
        .find(|(e, _)| kind(e))
        .map(|(_, at)| *at)
        .expect("the event happened")
}

fn percentiles(name: &str, mut samples: Vec<Duration>) {
    samples.sort();
    let at = |q: f64| samples[((samples.len() - 1) as f64 * q).round() as usize];
    println!(
        "{name:<52} p50 {:>7.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  ({} rounds)",
        at(0.5).as_secs_f64() * 1e3,
        at(0.99).as_secs_f64() * 1e3,
        samples.last().unwrap().as_secs_f64() * 1e3,
        samples.len()
    );
}

fn main() {
    let rounds: usize = std::env::var("COMMANDING_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let dir = tempfile::tempdir().expect("a folder");
    let (_server, url) = support::start_server_with(
        dir.path(),
        &[("cal", Role::Controller), ("cyd", Role::Controller)],
    );
    let mut sender = console(dir.path(), "sender.sqlite", &url, "cal");
    let mut approver = console(dir.path(), "approver.sqlite", &url, "cyd");
    let dictionary = CommandDictionary::shipped().expect("the command dictionary");
    let vehicle = Dictionary::shipped(&[]).expect("the telemetry dictionary");
    let simulator = Simulator::new(&vehicle, Utc::now(), 2026);
    let mut telemetry = Telemetry::new(vehicle, Box::new(simulator));
    let mut uplink = Uplink::new();
    let (disable, enable) = (
        dictionary.get("PWR.BUS_B_DISABLE").unwrap(),
        dictionary.get("PWR.BUS_B_ENABLE").unwrap(),
    );
    let (mut visible, mut approved_to_sent, mut sent_to_verified) = (vec![], vec![], vec![]);
    let (mut queued_to_sent, mut queued_to_verified) = (vec![], vec![]);
    let started = Instant::now();
    for _ in 0..rounds {
        // A two-person command, approved at the other console.
        let id = commanding::queue(
            &mut sender.replica,
            &NewCommand {
                spec: disable,
                arguments: serde_json::Map::new(),
                priority: "normal",
                hazard_confirmed: true,
            },
            ("cal", Role::Controller),
            Utc::now(),
        )
        .expect("queued");
        sender.agent.send(SyncRequest::SyncNow);
        let deadline = Instant::now() + Duration::from_secs(30);
        while status(&approver.replica, &id).is_none() {
            assert!(
                Instant::now() < deadline,
                "the command did not reach the approver"
            );
            std::thread::sleep(Duration::from_millis(5));
        }
        let approved_at = Instant::now();
        commanding::approve(
            &mut approver.replica,
            &dictionary,
            &id,
            ("cyd", Role::Controller),
            Utc::now(),
        )
        .expect("approved");
        approver.agent.send(SyncRequest::SyncNow);
        let mut seen_at = None;
        let seen = frames_until(
            &mut sender,
            &mut telemetry,
            &mut uplink,
            approved_at,
            |replica, seen| {
                if seen_at.is_none() && status(replica, &id).is_some_and(|s| s != "queued") {
                    seen_at = Some(approved_at.elapsed());
                }
                seen.iter()
                    .any(|(e, _)| matches!(e, UplinkEvent::Verified(_) | UplinkEvent::Failed(_)))
            },
        );
        assert!(
            seen.iter()
                .any(|(e, _)| matches!(e, UplinkEvent::Verified(_))),
            "{seen:?}"
        );
        let sent = when(&seen, |e| matches!(e, UplinkEvent::Sent(_)));
        visible.push(seen_at.expect("the approval was seen"));
        approved_to_sent.push(sent);
        sent_to_verified
            .push(when(&seen, |e| matches!(e, UplinkEvent::Verified(_))).saturating_sub(sent));

        // A one-person command, from queue to verified.
        let queued_at = Instant::now();
        commanding::queue(
            &mut sender.replica,
            &NewCommand {
                spec: enable,
                arguments: serde_json::Map::new(),
                priority: "normal",
                hazard_confirmed: false,
            },
            ("cal", Role::Controller),
            Utc::now(),
        )
        .expect("queued");
        sender.agent.send(SyncRequest::SyncNow);
        let seen = frames_until(
            &mut sender,
            &mut telemetry,
            &mut uplink,
            queued_at,
            |_, seen| {
                seen.iter()
                    .any(|(e, _)| matches!(e, UplinkEvent::Verified(_) | UplinkEvent::Failed(_)))
            },
        );
        assert!(
            seen.iter()
                .any(|(e, _)| matches!(e, UplinkEvent::Verified(_))),
            "{seen:?}"
        );
        queued_to_sent.push(when(&seen, |e| matches!(e, UplinkEvent::Sent(_))));
        queued_to_verified.push(when(&seen, |e| matches!(e, UplinkEvent::Verified(_))));
    }
    println!(
        "commanding end to end on loopback, {rounds} rounds in {:.0} s (sync paced at {} ms while commanding)",
        started.elapsed().as_secs_f64(),
        SYNC_WHILE_COMMANDING.as_millis()
    );
    percentiles("approval at one console → visible at the sender", visible);
    percentiles(
        "approval → released and sent to the vehicle",
        approved_to_sent,
    );
    percentiles(
        "sent → verified by telemetry (vehicle physics)",
        sent_to_verified,
    );
    percentiles("one-person: queued → released and sent", queued_to_sent);
    percentiles(
        "one-person: queued → verified by telemetry",
        queued_to_verified,
    );
    sender.agent.stop();
    approver.agent.stop();
}
