//! Convergence under random work: 2–5 replicas edit while offline (launches, bookings, and
//! vehicles, spaceports and ground stations whose names and codes clash, created and renamed
//! while partitioned), sync partially, get duplicated and replayed deliveries, and see the
//! server restart. At the end every replica equals the server and can still sync, no unique
//! key is held twice anywhere, nothing was set aside, and every refused op sits in its
//! author's inbox.
//!
//! Each run starts from a fresh random seed, printed so that a failure replays:
//! `SYNC_SEED` picks the first seed and `SYNC_CASES` how many cases run (24 by default; run
//! hundreds locally: `SYNC_CASES=500 cargo nextest run -p galaxium-server replicas_converge`).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::sync::Arc;

use galaxium_server::testing::TestDatabase;
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::client::{SyncClient, sync_once};
use galaxium_sync::protocol::PushRequest;
use galaxium_sync::replica::{self, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::schema::registry::{Role, TABLES};
use galaxium_sync::{OpenOptions, Replica};
use serde_json::{Map, Value, json};

const PASSWORD: &str = "convergence-test";
const STATUSES: [&str; 7] = [
    "planned",
    "scheduled",
    "boarding",
    "launched",
    "landed",
    "scrubbed",
    "cancelled",
];

const SEATS: [&str; 3] = ["1A", "1B", "2A"];

/// Names that clash, case and spaces aside (the shared fleet holds "Aurora" and "KSC").
const NAMES: [&str; 5] = ["Aurora", "aurora ", "Borealis", "Cygnus", "BOREALIS"];
const CODES: [&str; 4] = ["KSC", "ksc", "VSFB", "CCSFS"];
/// The keyed tables, with their key column.
const KEYED: [(&str, &str); 3] = [
    ("vehicles", "name"),
    ("spaceports", "code"),
    ("ground_stations", "name"),
];

fn keyed_row(table: &str, key: &str) -> Map<String, Value> {
    object(match table {
        "vehicles" => json!({
            "name": key, "model": "G-6", "seat_count": 6, "max_passenger_mass_kg": 630.0,
            "max_baggage_mass_kg": 54.0, "demo": false, "seat_layout": "[]",
        }),
        "spaceports" => json!({
            "code": key, "name": "Port", "lat_deg": 28.5, "lon_deg": -80.6, "alt_m": 3.0,
            "demo": false,
        }),
        _ => json!({
            "name": key, "lat_deg": 67.8, "lon_deg": 20.9, "alt_m": 400.0,
            "min_elevation_deg": 5.0, "demo": false,
        }),
    })
}

fn key_pool(table: &str) -> &'static [&'static str] {
    if table == "spaceports" {
        &CODES
    } else {
        &NAMES
    }
}

fn object(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("an object")
    };
    map
}

/// A small deterministic generator (xorshift64*), so a seed replays a case exactly.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).unwrap()
    }
}

struct Server {
    db: TestDatabase,
    url: String,
    runtime: tokio::runtime::Runtime,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Server {
    fn start(db: &TestDatabase, runtime: tokio::runtime::Runtime) -> Self {
        let store = db.open();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        // One sign-in syncs every replica here, as before device keys: the rules of
        // convergence, not identity, are under test.
        let state = Arc::new(
            AppState::new(store, chrono::Duration::hours(1)).admitting_unclaimed_devices(),
        );
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(serve(listener, state, async {
            let _ = stopped.await;
        }));
        Self {
            db: db.clone(),
            url,
            runtime,
            stop: Some(stop),
        }
    }

    /// Stops serving and starts again on the same database (a new port).
    fn restart(mut self) -> Self {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let Self { db, runtime, .. } = self;
        Self::start(&db, runtime)
    }

    /// The server's live rows, normalised as a replica reads them.
    fn rows(&self) -> BTreeMap<String, BTreeMap<String, Map<String, Value>>> {
        let mut out: BTreeMap<String, BTreeMap<String, Map<String, Value>>> = TABLES
            .iter()
            .map(|t| (t.name.to_owned(), BTreeMap::new()))
            .collect();
        for (table, id, data) in self.db.live_rows() {
            let Value::Object(data) = serde_json::from_str(&data).unwrap() else {
                panic!()
            };
            let data = data
                .into_iter()
                .map(|(k, v)| match v {
                    Value::Bool(b) => (k, json!(i64::from(b))),
                    other => (k, other),
                })
                .collect();
            out.get_mut(&table).unwrap().insert(id, data);
        }
        out
    }

    fn rejected_ops(&self) -> usize {
        let kept = self
            .db
            .count("SELECT count(*) FROM op_results WHERE result LIKE '%\"status\":\"rejected\"%'");
        usize::try_from(kept).unwrap()
    }
}

struct Node {
    replica: Replica,
    token: String,
    last_push: Option<PushRequest>,
    _dir: tempfile::TempDir,
}

fn rows_of(replica: &Replica) -> BTreeMap<String, BTreeMap<String, Map<String, Value>>> {
    TABLES
        .iter()
        .map(|t| (t.name.to_owned(), replica.table_rows(t.name).unwrap()))
        .collect()
}

fn client(server: &Server, token: &str) -> SyncClient {
    SyncClient::new(&server.url)
        .unwrap()
        .with_token(token.to_owned())
}

fn launch_ids(replica: &Replica) -> Vec<String> {
    replica
        .table_rows("launches")
        .unwrap()
        .into_keys()
        .collect()
}

#[allow(
    clippy::too_many_lines,
    reason = "one random scenario, read top to bottom"
)]
fn run_case(seed: u64) {
    let mut rng = Rng(seed.max(1));
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::fresh(dir.path());
    db.open()
        .add_user("ada", Role::Admin, &auth::hash_password(PASSWORD).unwrap())
        .unwrap();
    let mut server = Server::start(&db, tokio::runtime::Runtime::new().unwrap());

    let count = 2 + rng.below(4);
    let mut nodes: Vec<Node> = (0..count)
        .map(|_| {
            let dir = tempfile::tempdir().unwrap();
            let replica =
                Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
            let mut login = SyncClient::new(&server.url).unwrap();
            let token = server
                .runtime
                .block_on(login.login("ada", PASSWORD))
                .unwrap()
                .token;
            Node {
                replica,
                token,
                last_push: None,
                _dir: dir,
            }
        })
        .collect();

    // A shared fleet, synced everywhere, so launches have something to refer to.
    let vehicle = replica::new_id();
    let port = replica::new_id();
    nodes[0]
        .replica
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
            })
        })
        .unwrap();
    let passenger = replica::new_id();
    nodes[0]
        .replica
        .write(|w| {
            w.insert(
                "passengers",
                &passenger,
                object(json!({
                    "full_name": "Ada Quist", "date_of_birth": null, "nationality": null,
                    "document_number": null, "email": null, "phone": null,
                    "emergency_contact": null, "body_mass_kg": 70.0,
                    "medical_status": "cleared", "medical_expires_on": "2031-01-01",
                    "training_completed_on": null, "waiver_signed_on": null, "demo": false,
                })),
            )
        })
        .unwrap();
    for node in &mut nodes {
        let c = client(&server, &node.token);
        server
            .runtime
            .block_on(sync_once(&mut node.replica, &c))
            .unwrap();
    }

    for step in 0..70 {
        let n = rng.below(count);
        let action = rng.below(127);
        let node = &mut nodes[n];
        match action {
            0..=24 => {
                let launch = LaunchRow {
                    id: replica::new_id(),
                    mission: format!("GX-{seed}-{step}"),
                    vehicle_id: vehicle.clone(),
                    spaceport_id: port.clone(),
                    pad: "LC-39A".into(),
                    scheduled_at: "2030-01-01T00:00:00Z".into(),
                    status: "planned".into(),
                    demo: false,
                    fare_classes: "[]".into(),
                    checkin_opens_hours: 24.0,
                    checkin_closes_hours: 1.0,
                };
                node.replica.write(|w| w.insert_launch(&launch)).unwrap();
            }
            25..=54 => {
                let ids = launch_ids(&node.replica);
                if !ids.is_empty() {
                    let id = &ids[rng.below(ids.len())];
                    let mut values = Map::new();
                    match rng.below(3) {
                        0 => values
                            .insert("status".into(), json!(STATUSES[rng.below(STATUSES.len())])),
                        1 => values.insert("pad".into(), json!(format!("pad-{}", rng.below(5)))),
                        _ => values.insert("mission".into(), json!(format!("edit-{step}"))),
                    };
                    node.replica
                        .write(|w| w.update("launches", id, values))
                        .unwrap();
                }
            }
            55..=61 => {
                let ids = launch_ids(&node.replica);
                if !ids.is_empty() {
                    let id = ids[rng.below(ids.len())].clone();
                    // A launch with bookings is kept by the replica's own foreign keys.
                    let _ = node.replica.write(|w| w.delete("launches", &id));
                }
            }
            100..=104 => {
                // Sell a seat that this console believes is free.
                let ids = launch_ids(&node.replica);
                if !ids.is_empty() {
                    let launch = ids[rng.below(ids.len())].clone();
                    let seat = SEATS[rng.below(SEATS.len())];
                    let taken = node
                        .replica
                        .table_rows("bookings")
                        .unwrap()
                        .values()
                        .any(|b| {
                            b["launch_id"] == json!(launch)
                                && b["seat_id"] == json!(seat)
                                && b["status"] == json!("confirmed")
                        });
                    if !taken {
                        node.replica
                            .write(|w| {
                                w.insert(
                                    "bookings",
                                    &replica::new_id(),
                                    object(json!({
                                        "locator": format!("L{:05}", step),
                                        "launch_id": launch,
                                        "passenger_id": passenger,
                                        "seat_id": seat,
                                        "fare_class": "ORB",
                                        "status": "confirmed",
                                        "hold_expires_at": null,
                                        "hold_extensions": 0,
                                        "baggage_mass_kg": 0.0,
                                        "created_at": "2029-12-01T10:00:00Z",
                                        "updated_at": "2029-12-01T10:00:00Z",
                                        "demo": false,
                                    })),
                                )
                            })
                            .unwrap();
                    }
                }
            }
            105..=109 => {
                // Cancel a booking or move it to another seat.
                let bookings: Vec<String> = node
                    .replica
                    .table_rows("bookings")
                    .unwrap()
                    .into_keys()
                    .collect();
                if !bookings.is_empty() {
                    let id = &bookings[rng.below(bookings.len())];
                    let values = if rng.below(2) == 0 {
                        json!({"status": "cancelled"})
                    } else {
                        json!({"seat_id": SEATS[rng.below(SEATS.len())]})
                    };
                    node.replica
                        .write(|w| w.update("bookings", id, object(values)))
                        .unwrap();
                }
            }
            62..=79 => {
                let c = client(&server, &node.token);
                server
                    .runtime
                    .block_on(sync_once(&mut node.replica, &c))
                    .unwrap();
            }
            80..=87 => {
                // Push only, then maybe deliver the same batch again.
                let ops = node.replica.pending_ops(1 + rng.below(5)).unwrap();
                if !ops.is_empty() {
                    let c = client(&server, &node.token);
                    let request = PushRequest {
                        device_id: node.replica.device_id().to_owned(),
                        ops,
                        training: false,
                        epoch: None,
                    };
                    let (response, _, _) = server.runtime.block_on(c.push(&request)).unwrap();
                    let verdicts: Vec<_> =
                        request.ops.iter().cloned().zip(response.results).collect();
                    node.replica.settle_push(&verdicts).unwrap();
                    node.last_push = Some(request);
                }
            }
            88..=91 => {
                if let Some(request) = node.last_push.clone() {
                    let c = client(&server, &node.token);
                    let (again, _, _) = server.runtime.block_on(c.push(&request)).unwrap();
                    assert_eq!(again.results.len(), request.ops.len());
                }
            }
            92..=96 => {
                // Pull one small page, sometimes replaying an older page afterwards.
                let c = client(&server, &node.token);
                let after = node.replica.sync_cursor().unwrap();
                let (page, _) = server
                    .runtime
                    .block_on(c.pull(node.replica.device_id(), after, 1 + rng.below(4)))
                    .unwrap();
                node.replica
                    .apply_pulled(&page.ops, page.next_cursor)
                    .unwrap();
                if rng.below(2) == 0 && after > 0 {
                    let replay_from = after.saturating_sub(1 + rng.below(3) as u64);
                    let (old, _) = server
                        .runtime
                        .block_on(c.pull(node.replica.device_id(), replay_from, 2))
                        .unwrap();
                    node.replica
                        .apply_pulled(&old.ops, old.next_cursor)
                        .unwrap();
                }
            }
            97..=99 => server = server.restart(),
            110..=117 => {
                // Add a vehicle, spaceport or ground station whose key may clash with one
                // another console made offline; this console refuses one it already holds.
                let (table, _) = KEYED[rng.below(KEYED.len())];
                let pool = key_pool(table);
                let key = pool[rng.below(pool.len())];
                let _ = node
                    .replica
                    .write(|w| w.insert(table, &replica::new_id(), keyed_row(table, key)));
            }
            118..=123 => {
                // Rename one onto a key that may be taken elsewhere.
                let (table, column) = KEYED[rng.below(KEYED.len())];
                let ids: Vec<String> = node
                    .replica
                    .table_rows(table)
                    .unwrap()
                    .into_keys()
                    .collect();
                if !ids.is_empty() {
                    let id = &ids[rng.below(ids.len())];
                    let pool = key_pool(table);
                    let mut values = Map::new();
                    values.insert(column.into(), json!(pool[rng.below(pool.len())]));
                    let _ = node.replica.write(|w| w.update(table, id, values));
                }
            }
            124..=126 => {
                // Delete one that nothing refers to.
                let (table, _) = KEYED[rng.below(KEYED.len())];
                let ids: Vec<String> = node
                    .replica
                    .table_rows(table)
                    .unwrap()
                    .into_keys()
                    .collect();
                if !ids.is_empty() {
                    let id = ids[rng.below(ids.len())].clone();
                    if id != vehicle && id != port {
                        let _ = node.replica.write(|w| w.delete(table, &id));
                    }
                }
            }
            _ => unreachable!("actions are drawn below 127"),
        }
    }

    // Quiesce: everyone syncs until nothing moves.
    for _round in 0..3 {
        for node in &mut nodes {
            let c = client(&server, &node.token);
            server
                .runtime
                .block_on(sync_once(&mut node.replica, &c))
                .unwrap();
        }
    }
    let expected = server.rows();
    let mut inboxes = 0;
    for (index, node) in nodes.iter_mut().enumerate() {
        // Every replica can still sync, and nothing it pulled had to be set aside.
        let c = client(&server, &node.token);
        let summary = server
            .runtime
            .block_on(sync_once(&mut node.replica, &c))
            .unwrap();
        assert_eq!(
            summary.pushed + summary.pulled,
            0,
            "seed {seed}: quiet at the end"
        );
        assert!(
            node.replica.set_aside_ops().unwrap().is_empty(),
            "seed {seed}, replica {index}: ops set aside"
        );
        assert_eq!(
            node.replica.pending_count().unwrap(),
            0,
            "seed {seed}, replica {index}"
        );
        assert_eq!(
            rows_of(&node.replica),
            expected,
            "seed {seed}: replica {index} differs from the server"
        );
        inboxes += node.replica.conflicts(true).unwrap().len();
    }
    assert_eq!(
        inboxes,
        server.rejected_ops(),
        "seed {seed}: every refused op is in an inbox"
    );
    // However the sales raced, no seat of a launch is held by two active bookings.
    let mut held = std::collections::BTreeSet::new();
    for booking in expected["bookings"].values() {
        if booking["status"] == json!("confirmed") {
            let key = (
                booking["launch_id"].to_string(),
                booking["seat_id"].to_string(),
            );
            assert!(
                held.insert(key.clone()),
                "seed {seed}: seat held twice: {key:?}"
            );
        }
    }
    // No key is held twice, at the server or (being equal to it) at any replica.
    for (table, column) in KEYED {
        let mut keys = std::collections::BTreeSet::new();
        for row in expected[table].values() {
            let key = row[column].as_str().unwrap().trim().to_lowercase();
            assert!(
                keys.insert(key.clone()),
                "seed {seed}: {table}.{column} {key:?} held twice"
            );
        }
    }
    // Whatever the order of events, every launch ends in a status the schema knows.
    for launch in expected["launches"].values() {
        assert!(STATUSES.contains(&launch["status"].as_str().unwrap()));
    }
}

#[test]
fn replicas_converge_with_the_server_under_random_work() {
    let seed: u64 = std::env::var("SYNC_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            // A fresh seed each run, so that every CI run explores new cases.
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(1, |d| d.as_nanos());
            u64::try_from(nanos % 1_000_000_007).unwrap()
        });
    let cases: u64 = std::env::var("SYNC_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(24);
    eprintln!("convergence: SYNC_SEED={seed} SYNC_CASES={cases} (set both to replay this run)");
    for case in 0..cases {
        let case_seed = seed.wrapping_add(case);
        let outcome = std::panic::catch_unwind(|| run_case(case_seed));
        if let Err(panic) = outcome {
            eprintln!("convergence: case SYNC_SEED={case_seed} SYNC_CASES=1 failed");
            std::panic::resume_unwind(panic);
        }
    }
}
