//! Several server instances on one PostgreSQL database, beside one instance.
//!
//! - **Relay across instances**: a producer posts to instance one; ten consoles follow
//!   instance two, which learns of each batch by `LISTEN/NOTIFY` and reads it from the
//!   table. Throughput (200 batches of 2,000 points back to back, until all ten consoles hold
//!   every point, checked for loss and duplicates) and latency at 20,000 points/s (100 posts
//!   of 200 a second for 10 s; post → each console). Beside it, in the same run, the same on
//!   one SQLite instance with its ten consoles on it.
//! - **Two instances against one**: four consoles push 5,000 ops each at the same time, all
//!   through one instance, then spread over two; aggregate ops/s, and the latency of a small
//!   pull while the others push.
//!
//! Run (a throwaway cluster): `pg_virtualenv cargo bench --profile dev -p galaxium-server
//! --bench instances`.

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

use galaxium_server::store::Store;
use galaxium_server::testing::TestDatabase;
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::client::{SyncClient, sync_once};
use galaxium_sync::live;
use galaxium_sync::protocol::{TelemetryBatch, TelemetryFrame, TelemetryPoint};
use galaxium_sync::replica::{self, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::schema::registry::Role;
use galaxium_sync::{OpenOptions, Replica};
use tokio::sync::mpsc;

const PASSWORD: &str = "benchmark-password";
const FOLLOWERS: usize = 10;

type Arrivals = mpsc::UnboundedReceiver<(Instant, TelemetryFrame)>;

fn main() {
    if std::env::var_os("PGHOST").is_none() {
        println!(
            "needs a PostgreSQL: run under pg_virtualenv (see the top of benches/instances.rs)"
        );
        return;
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let dir = tempfile::tempdir().expect("temporary folder");

    println!("== relay: SQLite, one instance, {FOLLOWERS} consoles on it");
    let sqlite = TestDatabase::Sqlite(dir.path().join("server.sqlite"));
    let one = start(&runtime, &sqlite, true);
    relay(&runtime, &one, &one);

    println!("== relay: PostgreSQL, one instance, {FOLLOWERS} consoles on it");
    let postgres = TestDatabase::fresh_postgres();
    let only = start(&runtime, &postgres, true);
    relay(&runtime, &only, &only);

    println!(
        "== relay: PostgreSQL, producer on instance one, {FOLLOWERS} consoles on instance two"
    );
    let postgres = TestDatabase::fresh_postgres();
    let first = start(&runtime, &postgres, true);
    let second = start(&runtime, &postgres, false);
    relay(&runtime, &first, &second);

    println!("== push: four consoles at once, PostgreSQL, each layout on a database of its own");
    for (how, spread) in [
        ("all through one instance", false),
        ("spread over two instances", true),
        ("all through one instance, again", false),
    ] {
        let postgres = TestDatabase::fresh_postgres();
        let first = start(&runtime, &postgres, true);
        let second = start(&runtime, &postgres, false);
        let other = if spread { &second } else { &first };
        pushes(&runtime, dir.path(), &[&first, other, &first, other], how);
    }
}

/// A server on `database` on a free loopback port; its URL. The first start makes the users.
fn start(runtime: &tokio::runtime::Runtime, database: &TestDatabase, first: bool) -> String {
    let store: Arc<dyn Store> = database.open();
    if first {
        let hash = auth::hash_password(PASSWORD).expect("hash");
        store
            .add_user("flight", Role::Controller, &hash)
            .expect("user");
        store.add_user("ada", Role::Admin, &hash).expect("user");
    }
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("a loopback port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let state = Arc::new(AppState::new(store, chrono::Duration::hours(1)));
    runtime.spawn(serve(listener, state, std::future::pending()));
    url
}

fn signed_in(runtime: &tokio::runtime::Runtime, url: &str, user: &str) -> SyncClient {
    let mut client = SyncClient::new(url).expect("client");
    runtime
        .block_on(client.login(user, PASSWORD))
        .expect("sign-in");
    client
}

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

fn follower(runtime: &tokio::runtime::Runtime, url: &str, token: String) -> Arrivals {
    let (frames, received) = mpsc::unbounded_channel();
    let (connected, is_connected) = tokio::sync::oneshot::channel();
    let url = url.to_owned();
    runtime.spawn(async move {
        let _ = live::follow(
            &url,
            None,
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

fn relay(runtime: &tokio::runtime::Runtime, post_to: &str, follow: &str) {
    let producer = signed_in(runtime, post_to, "flight");
    let mut consoles: Vec<Arrivals> = (0..FOLLOWERS)
        .map(|_| {
            let token = signed_in(runtime, follow, "flight")
                .token()
                .expect("token")
                .to_owned();
            follower(runtime, follow, token)
        })
        .collect();

    // Throughput: 400,000 points back to back, until every console holds every one.
    let (batches, per_batch) = (200_usize, 2_000_usize);
    let total = (batches * per_batch) as u64;
    let started = Instant::now();
    let mut first_seq = 0;
    runtime.block_on(async {
        for b in 0..batches {
            let accepted = producer
                .post_telemetry(&batch((b * per_batch) as u64, per_batch))
                .await
                .expect("batch");
            if b == 0 {
                first_seq = accepted.last_seq + 1 - per_batch as u64;
            }
        }
    });
    for console in &mut consoles {
        let mut next = first_seq;
        while next < first_seq + total {
            let (_, frame) = runtime.block_on(console.recv()).expect("frames");
            assert_eq!(frame.first_seq, next, "no point lost or repeated");
            next = frame.last_seq + 1;
        }
    }
    let delivered = started.elapsed();
    println!(
        "throughput: {total} points to each of {FOLLOWERS} consoles in {:.2} s: {:.0} points/s end to end, none lost or repeated",
        delivered.as_secs_f64(),
        total as f64 / delivered.as_secs_f64()
    );

    // Latency at 20,000 points/s.
    let (posts, per_post, every) = (1_000_usize, 200_usize, Duration::from_millis(10));
    let mut sent = Vec::with_capacity(posts);
    runtime.block_on(async {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
        for b in 0..posts {
            tick.tick().await;
            let at = Instant::now();
            let accepted = producer
                .post_telemetry(&batch(total + (b * per_post) as u64, per_post))
                .await
                .expect("batch");
            sent.push((accepted.last_seq, at));
        }
    });
    let last = sent.last().expect("sent").0;
    let mut millis = Vec::new();
    for console in &mut consoles {
        let mut arrivals = Vec::new();
        while arrivals.last().is_none_or(|(seq, _)| *seq < last) {
            let (arrived, frame) = runtime.block_on(console.recv()).expect("frames");
            arrivals.push((frame.last_seq, arrived));
        }
        millis.extend(sent.iter().filter_map(|(seq, at)| {
            arrivals
                .iter()
                .find(|(s, _)| s >= seq)
                .map(|(_, arrived)| (*arrived - *at).as_secs_f64() * 1000.0)
        }));
    }
    millis.sort_by(f64::total_cmp);
    let pct = |p: f64| millis[((millis.len() - 1) as f64 * p).round() as usize];
    println!(
        "latency at 20,000 points/s ({posts} posts of {per_post} every {} ms), post → each of {FOLLOWERS} consoles: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        every.as_millis(),
        pct(0.5),
        pct(0.99),
        millis.last().copied().unwrap_or_default()
    );
}

/// A replica holding a fleet and `launches` launches, none synced.
fn console_with_launches(path: &std::path::Path, launches: usize) -> Replica {
    let mut replica = Replica::open(path, &OpenOptions::default()).expect("replica");
    let (vehicle, port) = (replica::new_id(), replica::new_id());
    replica
        .write(|w| {
            w.insert_vehicle(&VehicleRow {
                id: vehicle.clone(),
                name: format!("Aurora {vehicle}"),
                model: "G-6".into(),
                seat_count: 6,
                max_passenger_mass_kg: 630.0,
                max_baggage_mass_kg: 54.0,
                demo: false,
                seat_layout: "[]".into(),
            })?;
            w.insert_spaceport(&SpaceportRow {
                id: port.clone(),
                code: format!("K{}", &port[port.len() - 6..]),
                name: "Kennedy".into(),
                lat_deg: 28.5,
                lon_deg: -80.6,
                alt_m: 3.0,
                demo: false,
            })?;
            for n in 0..launches {
                w.insert_launch(&LaunchRow {
                    id: replica::new_id(),
                    mission: format!("GX-{n:06}"),
                    vehicle_id: vehicle.clone(),
                    spaceport_id: port.clone(),
                    pad: "LC-39A".into(),
                    scheduled_at: "2031-01-01T00:00:00Z".into(),
                    status: "planned".into(),
                    demo: false,
                    fare_classes: "[]".into(),
                    checkin_opens_hours: 24.0,
                    checkin_closes_hours: 1.0,
                })?;
            }
            Ok::<_, galaxium_sync::ReplicaError>(())
        })
        .expect("fill");
    replica
}

/// Four consoles push 5,000 launches each at once through `urls`; meanwhile a fifth console
/// pulls one small page again and again through the last instance.
fn pushes(runtime: &tokio::runtime::Runtime, dir: &std::path::Path, urls: &[&String], how: &str) {
    const EACH: usize = 5_000;
    let mut consoles: Vec<(Replica, SyncClient)> = urls
        .iter()
        .map(|url| {
            let replica = console_with_launches(
                &dir.join(format!("push-{}.sqlite", replica::new_id())),
                EACH,
            );
            let mut client = SyncClient::new(url).expect("client");
            runtime
                .block_on(client.login_as(
                    "ada",
                    PASSWORD,
                    Some(replica.device_claim().expect("claim")),
                ))
                .expect("sign-in");
            (replica, client)
        })
        .collect();
    let reading = Replica::open(
        &dir.join(format!("reader-{}.sqlite", replica::new_id())),
        &OpenOptions::default(),
    )
    .expect("replica");
    let claim = reading.device_claim().expect("claim");
    let mut reader = SyncClient::new(urls[urls.len() - 1]).expect("client");
    runtime
        .block_on(reader.login_as("ada", PASSWORD, Some(claim.clone())))
        .expect("sign-in");
    let done = std::sync::atomic::AtomicBool::new(false);
    let started = Instant::now();
    let (pushed, mut pulls) = std::thread::scope(|scope| {
        let pulling = scope.spawn(|| {
            let runtime = tokio::runtime::Runtime::new().expect("runtime");
            let mut millis = Vec::new();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                let at = Instant::now();
                runtime
                    .block_on(reader.pull(&claim.id, 0, 100))
                    .expect("pull");
                millis.push(at.elapsed().as_secs_f64() * 1000.0);
            }
            millis
        });
        let pushing: Vec<_> = consoles
            .iter_mut()
            .map(|(replica, client)| {
                scope.spawn(move || {
                    tokio::runtime::Runtime::new()
                        .expect("runtime")
                        .block_on(sync_once(replica, client))
                        .expect("push")
                        .pushed
                })
            })
            .collect();
        let pushed: u64 = pushing.into_iter().map(|t| t.join().expect("push")).sum();
        done.store(true, std::sync::atomic::Ordering::SeqCst);
        (pushed, pulling.join().expect("pulls"))
    });
    let took = started.elapsed();
    pulls.sort_by(f64::total_cmp);
    let pct = |p: f64| pulls[((pulls.len() - 1) as f64 * p).round() as usize];
    println!(
        "{how}: {pushed} ops from 4 consoles in {:.2} s, {:.0} ops/s in all; a 100-op pull meanwhile: p50 {:.1} ms, p99 {:.1} ms ({} pulls)",
        took.as_secs_f64(),
        pushed as f64 / took.as_secs_f64(),
        pct(0.5),
        pct(0.99),
        pulls.len()
    );
}
