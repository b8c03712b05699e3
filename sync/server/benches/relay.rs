//! The live telemetry relay on loopback, with a real server, real HTTP and a real WebSocket.
//!
//! The operator's architecture asks for 10,000+ telemetry points per second and critical
//! alerts in under 100 ms. Measured here:
//! - throughput: a producer posts 200 batches of 2,000 points as fast as the server takes them
//!   (each batch is stored with `synchronous=FULL` before it is relayed); points per second
//!   until the last one reached a console following the feed;
//! - latency: 20,000 points/s paced as 100 batches of 200 every 10 ms for 10 s; for each
//!   batch, from the moment the producer sends it to the moment the console has it (p50, p99,
//!   max). The console's own arrival → alarm figure is in the telemetry benchmark;
//! - a training session at x60: a trainer's console posts a 43-channel 1 Hz mission at x60
//!   (2,580 points/s, a post every 250 ms as the console's poster does) to its session for
//!   15 s; from each post to each of two trainee consoles following the session (p50, p99,
//!   max), the same pacing through the operational relay in the same run for comparison, and
//!   a check that the operational console received none of the session's points.
//!
//! Run: `cargo bench -p galaxium-server --bench relay`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::cast_precision_loss,
    clippy::cast_sign_loss,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use galaxium_server::store::{SqliteStore, Store as _};
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::client::SyncClient;
use galaxium_sync::live;
use galaxium_sync::protocol::{TelemetryBatch, TelemetryFrame, TelemetryPoint};
use galaxium_sync::schema::registry::Role;
use tokio::sync::mpsc;

const PASSWORD: &str = "benchmark-password";

fn batch(first: u64, count: usize) -> TelemetryBatch {
    TelemetryBatch {
        points: (0..count as u64)
            .map(|i| TelemetryPoint {
                t: 1_790_000_000.0 + (first + i) as f64 * 0.001,
                channel: format!("ch.{:03}", (first + i) % 100),
                value: (first + i) as f64,
            })
            .collect(),
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let store = SqliteStore::open(&dir.path().join("server.sqlite")).expect("server database");
    let hash = auth::hash_password(PASSWORD).expect("hash");
    for (user, role) in [
        ("flight", Role::Controller),
        ("ted", Role::Trainer),
        ("tia", Role::Trainee),
        ("tom", Role::Trainee),
    ] {
        store.add_user(user, role, &hash).expect("user");
    }
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    // Sessions on disk like the operational store, as the server binary keeps them.
    let state = Arc::new(
        AppState::new(Arc::new(store), chrono::Duration::hours(1))
            .with_training_dir(dir.path().join("training-sessions")),
    );
    runtime.spawn(serve(listener, state, std::future::pending()));

    let mut producer = SyncClient::new(&url).expect("client");
    runtime
        .block_on(producer.login("flight", PASSWORD))
        .expect("sign-in");
    let token = producer.token().expect("token").to_owned();

    // The console: frames arrive on a channel, stamped with when they arrived.
    let mut received = follower(&runtime, &url, None, token);

    let total = throughput(&runtime, &producer, &mut received);
    latency(&runtime, &producer, &mut received, total);
    training_session(&runtime, &url, &producer, &mut received);
}

/// Follows `session` (or operations) as `token`; frames arrive stamped with their arrival.
fn follower(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    session: Option<String>,
    token: String,
) -> Arrivals {
    let (frames, received) = mpsc::unbounded_channel::<(Instant, TelemetryFrame)>();
    let (connected, is_connected) = tokio::sync::oneshot::channel();
    let url = url.to_owned();
    runtime.spawn(async move {
        let _ = live::follow(
            &url,
            session.as_deref(),
            &token,
            None,
            move |frame| {
                let _ = frames.send((Instant::now(), frame));
            },
            move || {
                let _ = connected.send(());
            },
        )
        .await;
    });
    runtime.block_on(is_connected).expect("connected");
    received
}

/// Posts `posts` batches of `per_post` every `every`; the time from each post to each
/// follower, in milliseconds, sorted.
fn paced(
    runtime: &tokio::runtime::Runtime,
    producer: &SyncClient,
    followers: &mut [Arrivals],
    (posts, per_post, every): (usize, usize, Duration),
    first: u64,
) -> Vec<f64> {
    let mut sent_at = Vec::with_capacity(posts);
    runtime.block_on(async {
        let mut tick = tokio::time::interval(every);
        for b in 0..posts {
            tick.tick().await;
            let at = Instant::now();
            let accepted = producer
                .post_telemetry(&batch(first + (b * per_post) as u64, per_post))
                .await
                .expect("batch");
            sent_at.push((accepted.last_seq, at));
        }
    });
    let last = sent_at.last().expect("sent").0;
    let mut millis = Vec::new();
    for follower in followers.iter_mut() {
        let mut arrivals = Vec::new();
        runtime.block_on(async {
            while arrivals.last().is_none_or(|(seq, _)| *seq < last) {
                let (arrived, frame) = follower.recv().await.expect("frames");
                arrivals.push((frame.last_seq, arrived));
            }
        });
        millis.extend(sent_at.iter().filter_map(|(seq, at)| {
            arrivals
                .iter()
                .find(|(s, _)| s >= seq)
                .map(|(_, arrived)| (*arrived - *at).as_secs_f64() * 1000.0)
        }));
    }
    millis.sort_by(f64::total_cmp);
    millis
}

/// A trainer's x60 mission through a session to two trainees, against the same pacing through
/// operations.
fn training_session(
    runtime: &tokio::runtime::Runtime,
    url: &str,
    producer: &SyncClient,
    operations: &mut Arrivals,
) {
    let sign_in = |user: &str| {
        let mut client = SyncClient::new(url).expect("client");
        runtime
            .block_on(client.login(user, PASSWORD))
            .expect("sign-in");
        client
    };
    let trainer = sign_in("ted");
    let session = runtime
        .block_on(trainer.create_training_session("power-bus-fault-eclipse", &["tia", "tom"]))
        .expect("session");
    let mut trainees: Vec<Arrivals> = ["tia", "tom"]
        .iter()
        .map(|user| {
            let token = sign_in(user).token().expect("token").to_owned();
            follower(runtime, url, Some(session.id.clone()), token)
        })
        .collect();
    // Whatever the operational console still holds from before is not the session's.
    while operations.try_recv().is_ok() {}
    let load = (60, 645, Duration::from_millis(250));
    let in_session = trainer.in_training_session(&session.id);
    let session_ms = paced(runtime, &in_session, &mut trainees, load, 0);
    std::thread::sleep(Duration::from_millis(500));
    let leaked: usize = std::iter::from_fn(|| operations.try_recv().ok())
        .map(|(_, frame)| frame.points.len())
        .sum();
    let operational_ms = paced(
        runtime,
        producer,
        std::slice::from_mut(operations),
        load,
        10_000_000,
    );
    let pct = |m: &[f64], p: f64| m[((m.len() - 1) as f64 * p).round() as usize];
    println!(
        "training session at x60 ({} points/s, a post of {} every {} ms for 15 s), post → each of 2 trainees: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; the same through operations to 1 console: p50 {:.2} ms, p99 {:.2} ms (session/operations p99 ratio {:.2}); session points on the operational feed: {leaked}",
        load.1 * 4,
        load.1,
        load.2.as_millis(),
        pct(&session_ms, 0.5),
        pct(&session_ms, 0.99),
        session_ms.last().copied().unwrap_or_default(),
        pct(&operational_ms, 0.5),
        pct(&operational_ms, 0.99),
        pct(&session_ms, 0.99) / pct(&operational_ms, 0.99),
    );
}

type Arrivals = mpsc::UnboundedReceiver<(Instant, TelemetryFrame)>;

/// Posts 400,000 points back to back; returns how many.
fn throughput(
    runtime: &tokio::runtime::Runtime,
    producer: &SyncClient,
    received: &mut Arrivals,
) -> u64 {
    let (batches, per_batch) = (200, 2_000);
    let total = (batches * per_batch) as u64;
    let started = Instant::now();
    runtime.block_on(async {
        for b in 0..batches {
            producer
                .post_telemetry(&batch((b * per_batch) as u64, per_batch))
                .await
                .expect("batch");
        }
    });
    let posted = started.elapsed();
    let mut seen = 0;
    while seen < total {
        let (_, frame) = runtime.block_on(received.recv()).expect("frames");
        seen += frame.points.len() as u64;
    }
    let delivered = started.elapsed();
    println!(
        "throughput: {total} points in {batches} batches posted in {:.2} s, all at the console after {:.2} s: {:.0} points/s",
        posted.as_secs_f64(),
        delivered.as_secs_f64(),
        total as f64 / delivered.as_secs_f64()
    );
    total
}

/// 20,000 points/s for 10 s; the time from each post to the console.
fn latency(
    runtime: &tokio::runtime::Runtime,
    producer: &SyncClient,
    received: &mut Arrivals,
    total: u64,
) {
    let (rate_batches, rate_per_batch, every) = (1_000, 200, Duration::from_millis(10));
    let mut sent_at = Vec::with_capacity(rate_batches);
    let mut latencies = Vec::with_capacity(rate_batches);
    runtime.block_on(async {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for b in 0..rate_batches {
            tick.tick().await;
            let at = Instant::now();
            let accepted = producer
                .post_telemetry(&batch(total + (b * rate_per_batch) as u64, rate_per_batch))
                .await
                .expect("batch");
            sent_at.push((accepted.last_seq, at));
            while let Ok((arrived, frame)) = received.try_recv() {
                latencies.push((frame.last_seq, arrived));
            }
        }
        let last = sent_at.last().expect("sent").0;
        while latencies.last().is_none_or(|(seq, _)| *seq < last) {
            let (arrived, frame) = received.recv().await.expect("frames");
            latencies.push((frame.last_seq, arrived));
        }
    });
    let took = sent_at.last().expect("sent").1 - sent_at.first().expect("sent").1;
    // A batch is at the console with the first frame that reaches its last point (frames
    // caught up from the store can carry several batches).
    let mut millis: Vec<f64> = sent_at
        .iter()
        .filter_map(|(seq, at)| {
            latencies
                .iter()
                .find(|(s, _)| s >= seq)
                .map(|(_, arrived)| (*arrived - *at).as_secs_f64() * 1000.0)
        })
        .collect();
    millis.sort_by(f64::total_cmp);
    let pct = |p: f64| millis[((millis.len() - 1) as f64 * p).round() as usize];
    println!(
        "latency at {:.0} points/s ({} batches of {rate_per_batch} every {} ms, {:.1} s): post → console p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        (rate_batches * rate_per_batch) as f64 / took.as_secs_f64(),
        millis.len(),
        every.as_millis(),
        took.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        millis.last().copied().unwrap_or_default()
    );
}
