//! Sync throughput and bandwidth on loopback, with a real server and real replicas.
//!
//! Targets (sync issue): delta bytes for 1% of 100,000 rows changed ≤ 5% of a full snapshot;
//! push + pull ≥ 10,000 ops/s (measured on 100,000 ops each way; the small 1% round trip is
//! printed too, where fixed per-sync costs weigh more); one op applied into a 500,000-row
//! replica ≤ 10 ms at p99; initial sync ≥ 20,000 rows/s.
//!
//! Run: `cargo bench -p galaxium-server --bench sync_throughput`; beside PostgreSQL (a
//! throwaway cluster): `GALAXIUM_BENCH_POSTGRES=1 pg_virtualenv cargo bench -p
//! galaxium-server --bench sync_throughput`.

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use galaxium_server::testing::TestDatabase;
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::client::{SyncClient, sync_once};
use galaxium_sync::protocol::{Op, OpKind, ServerOp};
use galaxium_sync::replica::{self, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::schema::registry::Role;
use galaxium_sync::{OpenOptions, Replica};
use serde_json::{Map, json};

const ROWS: usize = 100_000;
const BIG_REPLICA_ROWS: usize = 500_000;
const PASSWORD: &str = "benchmark-password";

/// What one backend did.
struct Figures {
    /// Ops per second the server's store judges and records (no HTTP, no console).
    store_rate: f64,
    push_rate: f64,
    initial_rate: f64,
    bulk_rate: f64,
    delta_ratio: f64,
}

fn main() {
    let mut backends = vec![("SQLite", false)];
    // Side by side in one run when a PostgreSQL answers at the PG* variables' address (run
    // under pg_virtualenv): GALAXIUM_BENCH_POSTGRES=1.
    if std::env::var_os("GALAXIUM_BENCH_POSTGRES").is_some() {
        backends.push(("PostgreSQL", true));
    }
    let mut figures = Vec::new();
    for (name, postgres) in backends {
        println!("== server on {name}");
        figures.push((name, run(postgres)));
    }
    if let [(_, sqlite), (_, pg)] = figures.as_slice() {
        println!(
            "PostgreSQL / SQLite: store push {:.2}, push {:.2}, initial sync {:.2}, push + pull {:.2}, delta share {:.2}",
            pg.store_rate / sqlite.store_rate,
            pg.push_rate / sqlite.push_rate,
            pg.initial_rate / sqlite.initial_rate,
            pg.bulk_rate / sqlite.bulk_rate,
            pg.delta_ratio / sqlite.delta_ratio
        );
    }
    let dir = tempfile::tempdir().expect("temporary folder");
    let (p50, p99) = apply_latency(&dir.path().join("big.sqlite"));
    println!(
        "apply one pulled op into a {BIG_REPLICA_ROWS}-row replica: p50 {:.3} ms, p99 {:.3} ms (target ≤ 10 ms)",
        ms(p50),
        ms(p99)
    );
    assert!(ms(p99) <= 10.0, "p99 apply {:.3} ms", ms(p99));
    for (name, figures) in &figures {
        assert!(
            figures.delta_ratio <= 0.05,
            "{name}: delta is {:.2}% of the snapshot",
            figures.delta_ratio * 100.0
        );
        assert!(
            figures.initial_rate >= 20_000.0,
            "{name}: initial sync {:.0} rows/s",
            figures.initial_rate
        );
        assert!(
            figures.store_rate >= 10_000.0,
            "{name}: the store pushes {:.0} ops/s",
            figures.store_rate
        );
        assert!(
            figures.bulk_rate >= 10_000.0,
            "{name}: push + pull {:.0} ops/s",
            figures.bulk_rate
        );
    }
}

fn run(postgres: bool) -> Figures {
    let dir = tempfile::tempdir().expect("temporary folder");
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let fresh = |name: &str| {
        if postgres {
            TestDatabase::fresh_postgres()
        } else {
            TestDatabase::Sqlite(dir.path().join(name))
        }
    };
    let store_rate = store_push_rate(&fresh("store.sqlite"));
    let database = fresh("server.sqlite");
    let url = start_server(&runtime, &database);

    // Console A makes 100,000 launches and pushes them.
    let mut a = Replica::open(&dir.path().join("a.sqlite"), &OpenOptions::default()).expect("a");
    let ids = fill(&mut a, ROWS);
    let on_a = signed_in(&runtime, &url, &a);
    let started = Instant::now();
    let push = runtime.block_on(sync_once(&mut a, &on_a)).expect("push");
    let push_time = started.elapsed();

    // Console B's first sync pulls them all: the initial sync, and the size of a full snapshot.
    let mut b = Replica::open(&dir.path().join("b.sqlite"), &OpenOptions::default()).expect("b");
    let on_b = signed_in(&runtime, &url, &b);
    let started = Instant::now();
    let initial = runtime
        .block_on(sync_once(&mut b, &on_b))
        .expect("initial sync");
    let initial_time = started.elapsed();

    // A changes 1% of the rows; B pulls the delta.
    let changed = ROWS / 100;
    a.write(|w| {
        for id in ids.iter().step_by(100).take(changed) {
            let mut values = Map::new();
            values.insert("pad".into(), json!("LC-39B"));
            w.update("launches", id, values)?;
        }
        Ok::<_, galaxium_sync::ReplicaError>(())
    })
    .expect("edits");
    let started = Instant::now();
    let delta_push = runtime
        .block_on(sync_once(&mut a, &on_a))
        .expect("delta push");
    let delta_pull = runtime
        .block_on(sync_once(&mut b, &on_b))
        .expect("delta pull");
    let delta_time = started.elapsed();

    let push_rate = push.pushed as f64 / push_time.as_secs_f64();
    let bulk_rate =
        (push.pushed + initial.pulled) as f64 / (push_time + initial_time).as_secs_f64();
    let initial_rate = initial.pulled as f64 / initial_time.as_secs_f64();
    let round_trip_rate = (delta_push.pushed + delta_pull.pulled) as f64 / delta_time.as_secs_f64();
    let ratio = delta_pull.bytes_down as f64 / initial.bytes_down as f64;
    println!("rows: {ROWS}");
    println!(
        "the store alone judges and records {store_rate:.0} ops/s (batches of 1,000; target ≥ 10,000)"
    );
    println!(
        "push of {} ops: {:.2} s, {push_rate:.0} ops/s (target ≥ 10,000), {} bytes up",
        push.pushed,
        push_time.as_secs_f64(),
        push.bytes_up
    );
    println!(
        "initial sync (pull of {} rows): {:.2} s, {initial_rate:.0} rows/s (target ≥ 20,000), {} bytes down (the full snapshot)",
        initial.pulled,
        initial_time.as_secs_f64(),
        initial.bytes_down
    );
    println!(
        "1% changed: {} ops pushed and {} pulled in {:.3} s ({round_trip_rate:.0} ops/s); delta {} bytes down",
        delta_push.pushed,
        delta_pull.pulled,
        delta_time.as_secs_f64(),
        delta_pull.bytes_down
    );
    println!("push + pull, 100,000 ops each way: {bulk_rate:.0} ops/s");
    println!("delta / full snapshot: {:.2}% (target ≤ 5%)", ratio * 100.0);
    Figures {
        store_rate,
        push_rate,
        initial_rate,
        bulk_rate,
        delta_ratio: ratio,
    }
}

/// Pushes 100,000 new launches straight into a store, in batches of 1,000 as consoles send
/// them: what the backend itself takes, without HTTP or a console.
fn store_push_rate(database: &TestDatabase) -> f64 {
    let store = database.open();
    let admin = galaxium_server::auth::Principal::of("ada", Role::Admin);
    let (vehicle, port) = (replica::new_id(), replica::new_id());
    let now_ms = chrono::Utc::now().timestamp_millis();
    let mut seq = 0_u64;
    let mut op = |table: &str, row_id: &str, payload: serde_json::Value| {
        seq += 1;
        let serde_json::Value::Object(payload) = payload else {
            unreachable!()
        };
        Op {
            op_id: replica::new_id(),
            device_id: "bench-console".into(),
            seq,
            hlc: format!("{now_ms:015}-{seq:06}-bench-console"),
            table: table.into(),
            row_id: row_id.into(),
            kind: OpKind::Insert,
            payload,
        }
    };
    let mut ops = vec![
        op(
            "vehicles",
            &vehicle,
            json!({"name": "Aurora", "model": "G-6", "seat_count": 6, "max_passenger_mass_kg": 630.0, "max_baggage_mass_kg": 54.0, "demo": false, "seat_layout": "[]"}),
        ),
        op(
            "spaceports",
            &port,
            json!({"code": "KSC", "name": "Kennedy", "lat_deg": 28.5, "lon_deg": -80.6, "alt_m": 3.0, "demo": false}),
        ),
    ];
    for n in 0..ROWS {
        ops.push(op(
            "launches",
            &replica::new_id(),
            json!({"mission": format!("GX-{n:06}"), "vehicle_id": vehicle, "spaceport_id": port, "pad": "LC-39A", "scheduled_at": "2031-01-01T00:00:00.000Z", "status": "planned", "demo": false, "fare_classes": "[]", "checkin_opens_hours": 24.0, "checkin_closes_hours": 1.0}),
        ));
    }
    let started = Instant::now();
    for batch in ops.chunks(1_000) {
        let settled = store.push(&admin, "bench-console", batch).expect("push");
        assert!(
            settled
                .iter()
                .all(|s| matches!(s.result, galaxium_sync::protocol::OpResult::Accepted { .. })),
            "every op accepted"
        );
    }
    ops.len() as f64 / started.elapsed().as_secs_f64()
}

/// A server on a free loopback port with the user `ada`; its URL.
fn start_server(runtime: &tokio::runtime::Runtime, database: &TestDatabase) -> String {
    let store = database.open();
    store
        .add_user(
            "ada",
            Role::Admin,
            &auth::hash_password(PASSWORD).expect("hash"),
        )
        .expect("user");
    let listener = runtime
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .expect("port");
    let url = format!("http://{}", listener.local_addr().expect("address"));
    let state = Arc::new(AppState::new(store, chrono::Duration::hours(1)));
    runtime.spawn(serve(listener, state, std::future::pending()));
    url
}

/// `ada` signed in on the console of `replica`, as its own sign-in does (claiming its device).
fn signed_in(runtime: &tokio::runtime::Runtime, url: &str, replica: &Replica) -> SyncClient {
    let mut client = SyncClient::new(url).expect("client");
    let claim = replica.device_claim().expect("device claim");
    runtime
        .block_on(client.login_as("ada", PASSWORD, Some(claim)))
        .expect("login");
    client
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn fill(replica: &mut Replica, rows: usize) -> Vec<String> {
    let vehicle = replica::new_id();
    let port = replica::new_id();
    let ids: Vec<String> = (0..rows).map(|_| replica::new_id()).collect();
    replica
        .write(|w| {
            w.insert_vehicle(&VehicleRow {
                id: vehicle.clone(),
                name: "Aurora".into(),
                model: "G-6".into(),
                seat_count: 6,
                max_passenger_mass_kg: 630.0,
                max_baggage_mass_kg: 54.0,
                demo: false,
                seat_layout: "[]".into(),
            })?;
            w.insert_spaceport(&SpaceportRow {
                id: port.clone(),
                code: "KSC".into(),
                name: "Kennedy".into(),
                lat_deg: 28.5,
                lon_deg: -80.6,
                alt_m: 3.0,
                demo: false,
            })?;
            for (n, id) in ids.iter().enumerate() {
                w.insert_launch(&LaunchRow {
                    id: id.clone(),
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
    ids
}

/// Builds a 500,000-row replica as an initial sync would (pulled ops, empty outbox), then
/// times applying single pulled updates to random rows.
fn apply_latency(path: &std::path::Path) -> (Duration, Duration) {
    let mut replica = Replica::open(path, &OpenOptions::default()).expect("big replica");
    let vehicle = replica::new_id();
    let port = replica::new_id();
    let mut cursor = 0_u64;
    let mut server_op = |table: &str, row_id: &str, kind: OpKind, payload: serde_json::Value| {
        cursor += 1;
        let serde_json::Value::Object(payload) = payload else {
            unreachable!()
        };
        ServerOp {
            cursor,
            op: Op {
                op_id: replica::new_id(),
                device_id: "elsewhere".into(),
                seq: cursor,
                hlc: format!("{:015}-{:06}-elsewhere", 1_800_000_000_000_u64 + cursor, 0),
                table: table.into(),
                row_id: row_id.into(),
                kind,
                payload,
            },
            notice: None,
            by: None,
        }
    };
    let mut page = vec![
        server_op(
            "vehicles",
            &vehicle,
            OpKind::Insert,
            json!({"name": "Aurora", "model": "G-6", "seat_count": 6, "max_passenger_mass_kg": 630.0, "max_baggage_mass_kg": 54.0, "demo": false}),
        ),
        server_op(
            "spaceports",
            &port,
            OpKind::Insert,
            json!({"code": "KSC", "name": "Kennedy", "lat_deg": 28.5, "lon_deg": -80.6, "alt_m": 3.0, "demo": false}),
        ),
    ];
    let mut ids = Vec::with_capacity(BIG_REPLICA_ROWS);
    for n in 0..BIG_REPLICA_ROWS {
        let id = replica::new_id();
        page.push(server_op(
            "launches",
            &id,
            OpKind::Insert,
            json!({"mission": format!("GX-{n:06}"), "vehicle_id": vehicle, "spaceport_id": port, "pad": "LC-39A", "scheduled_at": "2031-01-01T00:00:00Z", "status": "planned", "demo": false}),
        ));
        ids.push(id);
        if page.len() >= 10_000 {
            let next = page.last().map_or(0, |op| op.cursor);
            replica.apply_pulled(&page, next).expect("fill big replica");
            page.clear();
        }
    }
    let next = page.last().map_or(0, |op| op.cursor);
    replica.apply_pulled(&page, next).expect("fill big replica");

    let mut samples = Vec::with_capacity(1_000);
    for n in 0..1_000 {
        let id = &ids[(n * 7_919) % ids.len()];
        let op = server_op(
            "launches",
            id,
            OpKind::Update,
            json!({"pad": format!("pad {n}")}),
        );
        let started = Instant::now();
        replica
            .apply_pulled(std::slice::from_ref(&op), op.cursor)
            .expect("apply");
        samples.push(started.elapsed());
    }
    samples.sort();
    (
        samples[samples.len() / 2],
        samples[samples.len() * 99 / 100],
    )
}
