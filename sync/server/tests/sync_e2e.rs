//! Sync end to end: a real server on loopback, real SQLite replicas, real HTTP.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use galaxium_server::store::{SqliteStore, Store};
use galaxium_server::testing::TestDatabase;
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::client::{SyncClient, SyncError, sync_once};
use galaxium_sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use galaxium_sync::replica::{self, LaunchRow, SpaceportRow, VehicleRow};
use galaxium_sync::schema::registry::{Role, TABLES};
use galaxium_sync::{OpenOptions, Replica};
use serde_json::{Map, Value, json};

const PASSWORD: &str = "correct horse battery";

struct TestServer {
    url: String,
    db: TestDatabase,
    runtime: tokio::runtime::Runtime,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    /// Holds the SQLite file (nothing, on PostgreSQL) while the server runs.
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A server whose sign-ins without a device key may still push and pull for a console
    /// they name (no console has claimed): most tests here are about the rules of sync and
    /// sign in once per user for several consoles, as a site upgrading older consoles does.
    fn start(token_ttl: chrono::Duration) -> Self {
        Self::with_users(token_ttl, true)
    }

    /// A server as it runs by default: only a sign-in with a console's device key pushes.
    fn strict() -> Self {
        Self::with_users(chrono::Duration::hours(1), false)
    }

    fn with_users(token_ttl: chrono::Duration, admit_unclaimed: bool) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::fresh(dir.path());
        let store = db.open();
        for (name, role) in [
            ("ada", Role::Admin),
            ("sam", Role::Staff),
            ("tia", Role::Trainee),
            ("cal", Role::Controller),
            ("cyd", Role::Controller),
            ("ted", Role::Trainer),
            ("tom_outsider", Role::Trainee),
        ] {
            store
                .add_user(name, role, &auth::hash_password(PASSWORD).unwrap())
                .unwrap();
        }
        Self::serving((db, store), token_ttl, dir, admit_unclaimed)
    }

    /// A server on an existing database (its users as they are).
    fn over(db: &std::path::Path) -> Self {
        let db = TestDatabase::Sqlite(db.to_path_buf());
        let store = db.open();
        Self::serving(
            (db, store),
            chrono::Duration::hours(1),
            tempfile::tempdir().unwrap(),
            true,
        )
    }

    fn serving(
        (db, store): (TestDatabase, Arc<dyn Store>),
        token_ttl: chrono::Duration,
        dir: tempfile::TempDir,
        admit_unclaimed: bool,
    ) -> Self {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let mut state = AppState::new(store, token_ttl);
        if admit_unclaimed {
            state = state.admitting_unclaimed_devices();
        }
        let state = Arc::new(state);
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        runtime.spawn(serve(listener, state, async {
            let _ = rx.await;
        }));
        Self {
            url,
            db,
            runtime,
            shutdown: Some(tx),
            _dir: dir,
        }
    }

    fn client(&self, user: &str) -> SyncClient {
        let mut client = SyncClient::new(&self.url).unwrap();
        self.runtime.block_on(client.login(user, PASSWORD)).unwrap();
        client
    }

    /// `user` signed in on the console of `replica`: the token bound to its device.
    fn client_on(&self, user: &str, replica: &Replica) -> SyncClient {
        let mut client = SyncClient::new(&self.url).unwrap();
        self.runtime
            .block_on(client.login_as(user, PASSWORD, Some(replica.device_claim().unwrap())))
            .unwrap();
        client
    }

    fn sync(
        &self,
        replica: &mut Replica,
        client: &SyncClient,
    ) -> galaxium_sync::client::SyncSummary {
        self.runtime.block_on(sync_once(replica, client)).unwrap()
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

struct Console {
    replica: Replica,
    dir: tempfile::TempDir,
}

fn console() -> Console {
    let dir = tempfile::tempdir().unwrap();
    let replica =
        Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
    Console { replica, dir }
}

fn snapshot(replica: &Replica) -> BTreeMap<&'static str, BTreeMap<String, Map<String, Value>>> {
    TABLES
        .iter()
        .map(|t| (t.name, replica.table_rows(t.name).unwrap()))
        .collect()
}

/// A vehicle, a spaceport and one scheduled launch; returns the launch id.
fn add_fleet_and_launch(replica: &mut Replica) -> String {
    let vehicle = VehicleRow {
        id: replica::new_id(),
        name: "Aurora".into(),
        model: "G-6".into(),
        seat_count: 6,
        max_passenger_mass_kg: 630.0,
        max_baggage_mass_kg: 54.0,
        demo: false,
        seat_layout: "[]".into(),
    };
    let port = SpaceportRow {
        id: replica::new_id(),
        code: "KSC".into(),
        name: "Kennedy".into(),
        lat_deg: 28.573,
        lon_deg: -80.649,
        alt_m: 3.0,
        demo: false,
    };
    let launch = LaunchRow {
        id: replica::new_id(),
        mission: "GX-14".into(),
        vehicle_id: vehicle.id.clone(),
        spaceport_id: port.id.clone(),
        pad: "LC-39A".into(),
        scheduled_at: "2030-01-01T12:00:00Z".into(),
        status: "scheduled".into(),
        demo: false,
        fare_classes: "[]".into(),
        checkin_opens_hours: 24.0,
        checkin_closes_hours: 1.0,
    };
    replica
        .write(|w| {
            w.insert_vehicle(&vehicle)?;
            w.insert_spaceport(&port)?;
            w.insert_launch(&launch)
        })
        .unwrap();
    launch.id
}

/// Two consoles sharing a fleet and one scheduled launch: A (signed in as an admin) made it,
/// B (signed in as staff) has pulled it.
struct Pair {
    server: TestServer,
    a: Console,
    b: Console,
    admin: SyncClient,
    staff: SyncClient,
    launch: String,
}

fn synced_pair() -> Pair {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b) = (console(), console());
    let (admin, staff) = (server.client("ada"), server.client("sam"));
    let launch = add_fleet_and_launch(&mut a.replica);
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);
    Pair {
        server,
        a,
        b,
        admin,
        staff,
        launch,
    }
}

fn set(replica: &mut Replica, table: &str, id: &str, values: Value) {
    let Value::Object(values) = values else {
        panic!("an object")
    };
    replica.write(|w| w.update(table, id, values)).unwrap();
}

fn launch_field(replica: &Replica, id: &str, column: &str) -> Value {
    replica.table_rows("launches").unwrap()[id][column].clone()
}

#[test]
fn two_consoles_working_offline_converge_after_sync() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b) = (console(), console());
    let (admin, staff) = (server.client("ada"), server.client("sam"));

    let launch = add_fleet_and_launch(&mut a.replica);
    let first = server.sync(&mut a.replica, &admin);
    assert_eq!(first.pushed, 3);
    assert_eq!(first.rejected, 0);
    assert_eq!(a.replica.pending_count().unwrap(), 0);
    server.sync(&mut b.replica, &staff);
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));

    // Offline, each changes a different column of the same launch, and B changes the pad too.
    set(
        &mut a.replica,
        "launches",
        &launch,
        json!({"mission": "GX-14 Sunrise"}),
    );
    set(
        &mut b.replica,
        "launches",
        &launch,
        json!({"status": "boarding", "pad": "LC-39B"}),
    );
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);
    server.sync(&mut a.replica, &admin);

    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
    assert_eq!(
        launch_field(&a.replica, &launch, "mission"),
        json!("GX-14 Sunrise")
    );
    assert_eq!(
        launch_field(&a.replica, &launch, "status"),
        json!("boarding")
    );
    assert_eq!(launch_field(&a.replica, &launch, "pad"), json!("LC-39B"));
    assert!(a.replica.conflicts(true).unwrap().is_empty());
    assert!(b.replica.conflicts(true).unwrap().is_empty());
}

#[test]
fn the_same_column_edited_on_two_consoles_ends_with_the_later_edit_everywhere() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();

    set(
        &mut a.replica,
        "launches",
        &launch,
        json!({"pad": "Earlier edit"}),
    );
    std::thread::sleep(std::time::Duration::from_millis(5));
    set(
        &mut b.replica,
        "launches",
        &launch,
        json!({"pad": "Later edit"}),
    );
    // The later edit reaches the server first; the earlier one arrives after and loses.
    server.sync(&mut b.replica, &staff);
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);

    assert_eq!(
        launch_field(&a.replica, &launch, "pad"),
        json!("Later edit")
    );
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
}

#[test]
fn an_invalid_status_transition_becomes_a_conflict_naming_what_won() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();

    set(
        &mut a.replica,
        "launches",
        &launch,
        json!({"status": "scrubbed"}),
    );
    set(
        &mut b.replica,
        "launches",
        &launch,
        json!({"status": "boarding"}),
    );
    server.sync(&mut a.replica, &admin);
    let summary = server.sync(&mut b.replica, &staff);

    assert_eq!(summary.rejected, 1);
    let conflicts = b.replica.conflicts(false).unwrap();
    assert_eq!(conflicts.len(), 1);
    let conflict = &conflicts[0];
    assert_eq!(
        conflict.reason,
        "status cannot go from scrubbed to boarding"
    );
    assert_eq!(conflict.attempted["status"], json!("boarding"));
    assert_eq!(
        conflict.winner.as_ref().unwrap()["status"],
        json!("scrubbed")
    );
    // The losing console now shows what won, and nothing is pending.
    assert_eq!(
        launch_field(&b.replica, &launch, "status"),
        json!("scrubbed")
    );
    assert_eq!(b.replica.pending_count().unwrap(), 0);
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));

    b.replica.keep_server_version(&conflict.id).unwrap();
    assert!(b.replica.conflicts(false).unwrap().is_empty());
    assert_eq!(
        b.replica.conflicts(true).unwrap()[0].resolution.as_deref(),
        Some("kept the server version")
    );
}

fn object(value: Value) -> Map<String, Value> {
    let Value::Object(map) = value else {
        panic!("an object")
    };
    map
}

/// Adds a passenger and a booking of `seat` on `launch`; returns the booking id.
fn sell_seat(replica: &mut Replica, launch: &str, seat: &str, locator: &str, name: &str) -> String {
    let (passenger, booking) = (replica::new_id(), replica::new_id());
    replica
        .write(|w| {
            w.insert(
                "passengers",
                &passenger,
                object(json!({
                    "full_name": name,
                    "date_of_birth": "1980-01-01",
                    "nationality": "NLD",
                    "document_number": format!("DOC-{locator}"),
                    "email": "someone@example.com",
                    "phone": "+31 20 555 0100",
                    "emergency_contact": "Next of kin",
                    "body_mass_kg": 70.0,
                    "medical_status": "cleared",
                    "medical_expires_on": "2031-01-01",
                    "training_completed_on": "2026-11-01",
                    "waiver_signed_on": "2026-11-02",
                    "demo": false,
                })),
            )?;
            w.insert(
                "bookings",
                &booking,
                object(json!({
                    "locator": locator,
                    "launch_id": launch,
                    "passenger_id": passenger,
                    "seat_id": seat,
                    "fare_class": "ORB",
                    "status": "confirmed",
                    "hold_expires_at": null,
                    "hold_extensions": 0,
                    "baggage_mass_kg": 5.0,
                    "created_at": "2029-12-01T10:00:00Z",
                    "updated_at": "2029-12-01T10:00:00Z",
                    "demo": false,
                })),
            )
        })
        .unwrap();
    booking
}

#[test]
fn the_same_seat_sold_on_two_offline_consoles_ends_with_one_booking_and_a_conflict() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();

    // Both consoles are offline and sell seat 1A to different people.
    let winner = sell_seat(&mut a.replica, &launch, "1A", "WINNER", "Ada Quist");
    let loser = sell_seat(&mut b.replica, &launch, "1A", "LOSER2", "Bruno Castell");
    server.sync(&mut a.replica, &admin);
    let summary = server.sync(&mut b.replica, &staff);
    server.sync(&mut a.replica, &admin);

    assert_eq!(summary.rejected, 1, "only the second sale of 1A is refused");
    let conflicts = b.replica.conflicts(false).unwrap();
    assert_eq!(conflicts.len(), 1);
    let conflict = &conflicts[0];
    assert_eq!(conflict.table, "bookings");
    assert_eq!(conflict.row_id, loser);
    assert!(
        conflict
            .reason
            .contains("one active booking per launch and seat")
            && conflict.reason.contains("WINNER (confirmed)"),
        "{}",
        conflict.reason
    );
    assert_eq!(conflict.attempted["seat_id"], json!("1A"));
    // Exactly one booking holds the seat, everywhere; the loser's passenger is kept.
    let bookings = b.replica.table_rows("bookings").unwrap();
    assert_eq!(bookings.keys().collect::<Vec<_>>(), vec![&winner]);
    assert_eq!(b.replica.table_rows("passengers").unwrap().len(), 2);
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));

    // Settling it the way staff would: the loser gets another seat, as a new op.
    let rebooked = sell_seat(&mut b.replica, &launch, "1B", "LOSER3", "Bruno Castell");
    b.replica
        .write(|w| w.settle_conflict(&conflict.id, "sold seat 1B instead"))
        .unwrap();
    let summary = server.sync(&mut b.replica, &staff);
    assert_eq!(summary.rejected, 0);
    server.sync(&mut a.replica, &admin);
    assert!(
        a.replica
            .table_rows("bookings")
            .unwrap()
            .contains_key(&rebooked)
    );
    assert!(b.replica.conflicts(false).unwrap().is_empty());
}

#[test]
fn moving_a_booking_onto_a_taken_seat_is_refused_and_the_seat_it_had_comes_back() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();
    sell_seat(&mut a.replica, &launch, "1A", "FIRST1", "Ada Quist");
    let second = sell_seat(&mut a.replica, &launch, "1B", "SECOND", "Bruno Castell");
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);

    set(
        &mut b.replica,
        "bookings",
        &second,
        json!({"seat_id": "1A"}),
    );
    let summary = server.sync(&mut b.replica, &staff);
    assert_eq!(summary.rejected, 1);
    let conflict = &b.replica.conflicts(false).unwrap()[0];
    assert!(conflict.reason.contains("FIRST1"), "{}", conflict.reason);
    assert_eq!(
        b.replica.table_rows("bookings").unwrap()[&second]["seat_id"],
        json!("1B")
    );
    // A cancelled booking no longer holds its seat: the move is accepted then.
    let first_id = a
        .replica
        .table_rows("bookings")
        .unwrap()
        .into_iter()
        .find(|(_, row)| row["locator"] == json!("FIRST1"))
        .unwrap()
        .0;
    set(
        &mut a.replica,
        "bookings",
        &first_id,
        json!({"status": "cancelled"}),
    );
    server.sync(&mut a.replica, &admin);
    set(
        &mut b.replica,
        "bookings",
        &second,
        json!({"seat_id": "1A"}),
    );
    assert_eq!(server.sync(&mut b.replica, &staff).rejected, 0);
}

#[test]
fn personal_data_reaches_only_the_roles_that_need_it() {
    let Pair {
        server,
        mut a,
        admin,
        launch,
        ..
    } = synced_pair();
    sell_seat(&mut a.replica, &launch, "1A", "PRIVAT", "Ada Quist");
    server.sync(&mut a.replica, &admin);

    let mut controller_console = console();
    let controller = server.client("cal");
    server.sync(&mut controller_console.replica, &controller);
    let passengers = controller_console.replica.table_rows("passengers").unwrap();
    let (_, passenger) = passengers.iter().next().unwrap();
    // A flight controller sees who flies and their mass, not their papers or contacts.
    assert_eq!(passenger["full_name"], json!("Ada Quist"));
    assert_eq!(passenger["body_mass_kg"], json!(70.0));
    for personal in [
        "document_number",
        "date_of_birth",
        "email",
        "phone",
        "emergency_contact",
    ] {
        assert_eq!(passenger[personal], Value::Null, "{personal}");
    }

    let mut staff_console = console();
    server.sync(&mut staff_console.replica, &server.client("sam"));
    let (_, passenger) = staff_console
        .replica
        .table_rows("passengers")
        .unwrap()
        .into_iter()
        .next()
        .unwrap();
    assert_eq!(passenger["document_number"], json!("DOC-PRIVAT"));
}

#[test]
fn roles_are_checked_on_the_server_and_a_refused_insert_is_undone_locally() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let mut staff_console = console();
    let staff = server.client("sam");
    add_fleet_and_launch(&mut staff_console.replica);
    let summary = server.sync(&mut staff_console.replica, &staff);

    // Staff may not add vehicles or spaceports; the launch then names rows the server lacks.
    assert_eq!(summary.rejected, 3);
    let reasons = inbox_reasons(&staff_console.replica);
    assert!(
        reasons.contains(&"the staff role may not change vehicles".to_owned()),
        "{reasons:?}"
    );
    assert!(
        reasons.contains(&"the staff role may not change spaceports".to_owned()),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("vehicle_id names a row of vehicles that does not exist")),
        "{reasons:?}"
    );
    assert_eq!(staff_console.replica.status().unwrap().total_rows(), 0);
}

#[test]
fn deletes_replicate_and_a_repeated_push_changes_nothing() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b) = (console(), console());
    let (admin, staff) = (server.client("ada"), server.client("sam"));
    let launch = add_fleet_and_launch(&mut a.replica);
    let pending = a.replica.pending_ops(100).unwrap();
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);

    // The same ops again (a console that crashed before hearing back): same verdicts.
    let request = galaxium_sync::protocol::PushRequest {
        device_id: a.replica.device_id().to_owned(),
        ops: pending,
        training: false,
        epoch: None,
    };
    let (again, _, _) = server.runtime.block_on(admin.push(&request)).unwrap();
    assert!(
        again
            .results
            .iter()
            .all(|r| matches!(r, galaxium_sync::protocol::OpResult::Accepted { .. }))
    );
    assert_eq!(server.sync(&mut b.replica, &staff).pulled, 0);

    a.replica.write(|w| w.delete("launches", &launch)).unwrap();
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);
    assert!(b.replica.table_rows("launches").unwrap().is_empty());
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
}

#[test]
fn a_vehicle_still_flying_launches_cannot_be_deleted() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b) = (console(), console());
    let admin = server.client("ada");
    add_fleet_and_launch(&mut a.replica);
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &admin);
    let vehicle = a
        .replica
        .table_rows("vehicles")
        .unwrap()
        .into_keys()
        .next()
        .unwrap();

    // B deletes the launch and then the vehicle; A meanwhile keeps its launch.
    // Here B only tries the vehicle: the server still has a live launch on it.
    let err = b
        .replica
        .write(|w| w.delete("vehicles", &vehicle))
        .unwrap_err();
    assert!(
        err.to_string().contains("FOREIGN KEY"),
        "the replica refuses locally too: {err}"
    );
}

#[test]
fn requests_without_a_valid_sign_in_are_refused() {
    let server = TestServer::start(chrono::Duration::seconds(1));
    let mut a = console();
    add_fleet_and_launch(&mut a.replica);

    let anonymous = SyncClient::new(&server.url).unwrap();
    let err = server
        .runtime
        .block_on(sync_once(&mut a.replica, &anonymous))
        .unwrap_err();
    assert!(matches!(err, SyncError::Unauthorized(_)), "{err}");
    assert!(
        err.to_string().to_lowercase().contains("sign in again"),
        "{err}"
    );
    assert!(!err.is_retryable());

    let forged = SyncClient::new(&server.url)
        .unwrap()
        .with_token("f".repeat(64));
    let err = server
        .runtime
        .block_on(sync_once(&mut a.replica, &forged))
        .unwrap_err();
    let said = err.to_string();
    assert!(said.contains("not known here"), "{said}");
    assert_eq!(said.matches("ign in again").count(), 1, "said once: {said}");

    let mut wrong = SyncClient::new(&server.url).unwrap();
    let err = server
        .runtime
        .block_on(wrong.login("ada", "not the password"))
        .unwrap_err();
    assert!(
        err.to_string().contains("wrong user name or password"),
        "{err}"
    );

    let expiring = server.client("ada");
    std::thread::sleep(std::time::Duration::from_millis(1_500));
    let err = server
        .runtime
        .block_on(sync_once(&mut a.replica, &expiring))
        .unwrap_err();
    assert!(err.to_string().contains("expired"), "{err}");
    // Nothing was lost: the ops still wait in the outbox, and every attempt is in the history.
    assert_eq!(a.replica.pending_count().unwrap(), 3);
    assert_eq!(a.replica.sync_runs(10).unwrap().len(), 3);
}

#[test]
fn an_unreachable_server_is_a_retryable_error_and_loses_nothing() {
    let mut a = console();
    add_fleet_and_launch(&mut a.replica);
    // A port nobody listens on: bind, note it, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = SyncClient::new(&format!("http://127.0.0.1:{port}"))
        .unwrap()
        .with_token("x".into());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let err = runtime
        .block_on(sync_once(&mut a.replica, &client))
        .unwrap_err();
    assert!(err.is_retryable(), "{err}");
    assert!(err.to_string().contains("keeps working offline"), "{err}");
    assert_eq!(a.replica.pending_count().unwrap(), 3);
}

#[test]
fn garbage_requests_get_a_4xx_with_a_reason_and_health_needs_no_sign_in() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let http = reqwest::Client::new();
    let token = server
        .runtime
        .block_on(SyncClient::new(&server.url).unwrap().login("ada", PASSWORD))
        .unwrap()
        .token;
    let call = |request: reqwest::RequestBuilder| {
        server.runtime.block_on(async {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };

    let (status, body) = call(http.get(format!("{}/health", server.url)));
    assert_eq!(status, 200, "{body}");

    let push = || {
        http.post(format!("{}/api/v1/push", server.url))
            .bearer_auth(&token)
    };
    let (status, body) = call(
        push()
            .header(PROTOCOL_HEADER, "1")
            .header("content-type", "application/json")
            .body("{not json"),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("not what was expected"), "{body}");

    let (status, body) = call(push().header("content-type", "application/json").body("{}"));
    assert_eq!(status, 400, "{body}");
    assert!(body.contains(PROTOCOL_HEADER), "{body}");

    let (status, body) = call(
        push()
            .header(PROTOCOL_HEADER, (PROTOCOL_VERSION + 5).to_string())
            .body("{}"),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("Update the console"), "{body}");

    let huge = format!(
        "{{\"device_id\":\"x\",\"ops\":[],\"pad\":\"{}\"}}",
        "x".repeat(17 * 1024 * 1024)
    );
    // Its own client: the server closes a connection after refusing an oversized body. It
    // answers 413 as soon as it has read its limit, so a client still writing the rest may see
    // the connection closed under it instead of the answer; both mean refused.
    let oversized = server.runtime.block_on(
        reqwest::Client::new()
            .post(format!("{}/api/v1/push", server.url))
            .bearer_auth(&token)
            .header(PROTOCOL_HEADER, "1")
            .header("content-type", "application/json")
            .body(huge)
            .send(),
    );
    match oversized {
        Ok(response) => assert_eq!(response.status().as_u16(), 413),
        Err(err) => assert!(err.is_request(), "{err}"),
    }

    let (status, body) = call(
        http.get(format!("{}/api/v1/pull?after=minus-one", server.url))
            .bearer_auth(&token)
            .header(PROTOCOL_HEADER, "1"),
    );
    assert_eq!(status, 400, "{body}");

    let (status, _) = call(http.get(format!("{}/metrics", server.url)));
    assert_eq!(status, 401);
    let (status, body) = call(
        http.get(format!("{}/metrics", server.url))
            .bearer_auth(&token),
    );
    assert_eq!(status, 200);
    assert!(body.contains("galaxium_ops_accepted_total 0"), "{body}");
    assert!(
        body.contains("galaxium_http_requests_total{endpoint=\"push\"} 4"),
        "{body}"
    );

    let (status, _) = call(http.get(format!("{}/nowhere", server.url)));
    assert_eq!(status, 404);

    // Staff may sync but not read the server's metrics.
    let staff_token = server
        .runtime
        .block_on(SyncClient::new(&server.url).unwrap().login("sam", PASSWORD))
        .unwrap()
        .token;
    let (status, body) = call(
        http.get(format!("{}/metrics", server.url))
            .bearer_auth(&staff_token),
    );
    assert_eq!(status, 403, "{body}");
    assert!(
        body.contains("the staff role may not read server metrics"),
        "{body}"
    );
}

#[test]
fn the_server_binary_adds_users_serves_health_and_signs_in() {
    use std::io::{BufRead as _, Write as _};
    use std::process::{Command, Stdio};

    let dir = tempfile::tempdir().unwrap();
    let db: PathBuf = dir.path().join("server.sqlite");
    let server_exe = env!("CARGO_BIN_EXE_galaxium-server");

    let mut add = Command::new(server_exe)
        .args([
            "--db",
            db.to_str().unwrap(),
            "user",
            "add",
            "ada",
            "--role",
            "admin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let out = add.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let bad_role = Command::new(server_exe)
        .args([
            "--db",
            db.to_str().unwrap(),
            "user",
            "add",
            "bob",
            "--role",
            "pilot",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!bad_role.status.success());
    assert!(String::from_utf8_lossy(&bad_role.stderr).contains("unknown role \"pilot\""));

    let mut child = Command::new(server_exe)
        .args(["--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    assert!(url.starts_with("http://127.0.0.1:"), "{line}");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let health = runtime.block_on(async {
        reqwest::get(format!("{url}/health"))
            .await
            .unwrap()
            .status()
    });
    assert_eq!(health.as_u16(), 200);
    let mut client = SyncClient::new(&url).unwrap();
    let login = runtime.block_on(client.login("ada", PASSWORD)).unwrap();
    assert_eq!(login.role, "admin");
    child.kill().unwrap();
    let _ = child.wait();
}

#[test]
fn a_trainee_cannot_touch_operational_tables() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut admin_console, mut trainee_console) = (console(), console());
    let admin = server.client("ada");
    let trainee = server.client("tia");
    let launch = add_fleet_and_launch(&mut admin_console.replica);
    server.sync(&mut admin_console.replica, &admin);

    // Trainee accounts work only in training sessions: operations refuse their pulls and
    // pushes whole, and what a trainee typed stays on the console, unsent.
    let err = server
        .runtime
        .block_on(sync_once(&mut trainee_console.replica, &trainee))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("trainee accounts")),
        "{err}"
    );
    add_fleet_and_launch(&mut trainee_console.replica);
    let err = server
        .runtime
        .block_on(sync_once(&mut trainee_console.replica, &trainee))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    assert_eq!(trainee_console.replica.pending_count().unwrap(), 3);
    assert_eq!(server.sync(&mut admin_console.replica, &admin).pulled, 0);
    assert_eq!(
        admin_console.replica.table_rows("launches").unwrap().len(),
        1,
        "only the admin's launch: {launch}"
    );
}

fn spawn_server(db: impl AsRef<std::ffi::OsStr>) -> (std::process::Child, String) {
    spawn_server_with(db, &[])
}

fn spawn_server_with(
    db: impl AsRef<std::ffi::OsStr>,
    options: &[&str],
) -> (std::process::Child, String) {
    use std::io::BufRead as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_galaxium-server"))
        .arg("--db")
        .arg(db)
        .args(["--listen", "127.0.0.1:0"])
        .args(options)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    (child, line.trim().rsplit(' ').next().unwrap().to_owned())
}

#[test]
fn a_server_killed_mid_push_loses_nothing_and_the_next_sync_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_ada(dir.path());
    let mut a = console_with_launches(3_000);

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (mut server, url) = spawn_server(&db);
    let mut client = SyncClient::new(&url).unwrap();
    let claim = a.replica.device_claim().unwrap();
    runtime
        .block_on(client.login_as("ada", PASSWORD, Some(claim)))
        .unwrap();
    // Kill the server as soon as its file holds the first batch: the push goes in batches
    // of 1,000, so the rest is still to come.
    let stored = {
        let db = db.clone();
        move || ops_stored(&db)
    };
    let killer = std::thread::spawn({
        let stored = stored.clone();
        move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while stored() == 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            server.kill().unwrap();
            let _ = server.wait();
        }
    });
    let first = runtime.block_on(sync_once(&mut a.replica, &client));
    killer.join().unwrap();
    let err = first.expect_err("the server died before the push was done");
    assert!(err.is_retryable(), "{err}");
    let held = stored();
    assert!(
        held > 0 && held < 3_003,
        "the kill landed mid-push: the server holds {held} of 3,003 ops"
    );
    assert!(
        a.replica.pending_count().unwrap() > 0,
        "the console still holds what the server did not confirm"
    );

    // The server's file is whole; a restarted server finishes the job; nothing is doubled.
    let check: String = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let (mut server, url) = spawn_server(&db);
    // The console's sign-in outlives the server's restart.
    let token = client.token().unwrap().to_owned();
    let client = SyncClient::new(&url).unwrap().with_token(token);
    runtime
        .block_on(sync_once(&mut a.replica, &client))
        .unwrap();
    assert_eq!(a.replica.pending_count().unwrap(), 0);
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (ops, distinct): (i64, i64) = conn
        .query_row("SELECT count(*), count(DISTINCT seq) FROM ops", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    assert_eq!(ops, 3_003);
    assert_eq!(distinct, 3_003);
    assert_eq!(a.replica.table_rows("launches").unwrap().len(), 3_001);
    server.kill().unwrap();
    let _ = server.wait();
}

/// A copy taken while a console pushes is the database of one instant, and a server starts
/// on it and serves it; the serving server also keeps copies on its own schedule.
#[test]
fn a_backup_taken_while_a_console_pushes_is_whole_and_a_server_serves_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_ada(dir.path());
    let mut a = console_with_launches(3_000);
    let backups = dir.path().join("backups");
    let (server, url) =
        spawn_server_with(&db, &["--backup-every-seconds", "1", "--backup-keep", "2"]);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let mut client = SyncClient::new(&url).unwrap();
    let claim = a.replica.device_claim().unwrap();
    runtime
        .block_on(client.login_as("ada", PASSWORD, Some(claim)))
        .unwrap();
    // The copy is taken from the command line as soon as the push has begun.
    let copy = dir.path().join("copy.sqlite");
    let backup = std::thread::spawn({
        let (db, copy) = (db.clone(), copy.clone());
        move || {
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
            while ops_stored(&db) == 0 && std::time::Instant::now() < deadline {
                std::thread::sleep(std::time::Duration::from_micros(200));
            }
            server_command(&db, &["backup", copy.to_str().unwrap()], "")
        }
    });
    let pushed = runtime
        .block_on(sync_once(&mut a.replica, &client))
        .unwrap();
    assert_eq!(pushed.rejected, 0, "{pushed}");
    let said = backup.join().unwrap().unwrap();
    assert!(said.starts_with("copied "), "{said}");
    // The copy holds a whole prefix of the op log, and the rows that go with it.
    let held = ops_stored(&copy);
    assert!(held > 0, "the copy was taken after the push began");
    let (rows, newest): (i64, i64) = rusqlite::Connection::open(&copy)
        .unwrap()
        .query_row(
            "SELECT (SELECT count(*) FROM rows), (SELECT max(cursor) FROM ops)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(newest, held, "no hole in the copy's op log");
    assert_eq!(rows, held, "one row per insert taken");
    // A server on the copy serves what it holds to a console that signs in to it.
    let restored = TestServer::over(&copy);
    let mut b = console();
    let on_b = restored.client_on("ada", &b.replica);
    let pulled = restored.sync(&mut b.replica, &on_b);
    assert_eq!(i64::try_from(pulled.pulled).unwrap(), held);
    // The schedule: one copy a second, the newest two kept, each one a server would open.
    std::thread::sleep(std::time::Duration::from_millis(3_500));
    let taken = metric(
        &runtime,
        &url,
        client.token().unwrap(),
        "galaxium_backups_taken_total",
    );
    assert!(taken >= 3, "{taken} copies taken");
    // Stopped first: the schedule removes its oldest copy while a new one is made, and a copy
    // opened here at that moment would be read as it is deleted.
    stop_gracefully(server);
    let copies = galaxium_server::backup::scheduled_copies(&backups).unwrap();
    assert_eq!(copies.len(), 2, "{copies:?}");
    for copy in &copies {
        SqliteStore::open(copy).unwrap();
    }
}

/// A server put back to a copy taken before some syncs: a restore while it runs is refused;
/// after one, old sign-ins are over, and the consoles that synced since the copy send again
/// what it lacks, pull from where it ends, and every console converges with nothing lost.
#[test]
fn a_server_restored_from_a_copy_and_its_consoles_converge_without_losing_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let db = database_with_ada(dir.path());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sign_in = |url: &str, replica: &Replica| {
        let mut client = SyncClient::new(url).unwrap();
        let claim = replica.device_claim().unwrap();
        runtime
            .block_on(client.login_as("ada", PASSWORD, Some(claim)))
            .unwrap();
        client
    };
    let sync = |replica: &mut Replica, client: &SyncClient| {
        runtime.block_on(sync_once(replica, client)).unwrap()
    };
    let options = ["--backup-every-seconds", "0"];
    let (server, url) = spawn_server_with(&db, &options);
    let (mut a, mut b) = (console(), console());
    let (on_a, on_b) = (sign_in(&url, &a.replica), sign_in(&url, &b.replica));
    let launch = add_fleet_and_launch(&mut a.replica);
    sync(&mut a.replica, &on_a);
    sync(&mut b.replica, &on_b);
    let copy = dir.path().join("copy.sqlite");
    galaxium_server::backup::take(&db, &copy).unwrap();

    // After the copy: A moves the pad, B adds a launch, both synced; then B renames its launch
    // without syncing.
    let set = |replica: &mut Replica, id: &str, column: &str, value: &str| {
        replica
            .write(|w| {
                let mut values = Map::new();
                values.insert(column.into(), json!(value));
                w.update("launches", id, values)
            })
            .unwrap();
    };
    set(&mut a.replica, &launch, "pad", "LC-39B");
    sync(&mut a.replica, &on_a);
    let added = add_launches(&mut b.replica, 1).remove(0);
    sync(&mut b.replica, &on_b);
    sync(&mut a.replica, &on_a);
    set(&mut b.replica, &added, "mission", "Renamed offline");

    // Not while the server runs.
    let restore = || server_command(&db, &["restore", copy.to_str().unwrap()], "");
    let refused = restore().unwrap_err();
    assert!(refused.contains("Stop it first"), "{refused}");
    stop_gracefully(server);
    let said = restore().unwrap();
    assert!(said.contains("a new epoch from cursor"), "{said}");
    let kept = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("server.sqlite.replaced-")
        })
        .count();
    assert_eq!(kept, 1, "the replaced database is kept");

    let (mut server, url) = spawn_server_with(&db, &options);
    // Sign-ins of before are over.
    let stale = SyncClient::new(&url)
        .unwrap()
        .with_token(on_a.token().unwrap().to_owned());
    let err = runtime
        .block_on(sync_once(&mut a.replica, &stale))
        .unwrap_err();
    assert!(matches!(err, SyncError::Unauthorized(_)), "{err}");
    let (on_a, on_b) = (sign_in(&url, &a.replica), sign_in(&url, &b.replica));
    let again = sync(&mut a.replica, &on_a);
    assert!(again.resent > 0, "{again}");
    let again = sync(&mut b.replica, &on_b);
    assert!(again.resent > 0, "{again}");
    sync(&mut a.replica, &on_a);
    let mut c = console();
    let on_c = sign_in(&url, &c.replica);
    sync(&mut c.replica, &on_c);
    for replica in [&a.replica, &b.replica, &c.replica] {
        assert_eq!(launch_field(replica, &launch, "pad"), json!("LC-39B"));
        assert_eq!(
            launch_field(replica, &added, "mission"),
            json!("Renamed offline")
        );
        assert!(replica.conflicts(false).unwrap().is_empty());
    }
    assert_eq!(
        a.replica.table_rows("launches").unwrap(),
        c.replica.table_rows("launches").unwrap()
    );
    server.kill().unwrap();
    let _ = server.wait();
}

/// A console that moves to another server (another database, not a copy of the first) pulls
/// it from the start and sends it nothing it had sent to the first: a test server's edits
/// never reach operations that way.
#[test]
fn a_console_that_moves_to_another_server_sends_it_nothing_it_sent_the_first() {
    let (first, second) = (
        TestServer::start(chrono::Duration::hours(1)),
        TestServer::start(chrono::Duration::hours(1)),
    );
    let (mut a, mut b) = (console(), console());
    add_fleet_and_launch(&mut a.replica);
    let on_first = first.client_on("ada", &a.replica);
    assert_eq!(first.sync(&mut a.replica, &on_first).pushed, 3);
    let theirs = add_fleet_and_launch(&mut b.replica);
    let b_on_second = second.client_on("ada", &b.replica);
    second.sync(&mut b.replica, &b_on_second);
    let a_on_second = second.client_on("ada", &a.replica);
    let moved = second.sync(&mut a.replica, &a_on_second);
    assert_eq!((moved.pushed, moved.resent), (0, 0), "{moved}");
    assert!(
        a.replica
            .table_rows("launches")
            .unwrap()
            .contains_key(&theirs),
        "the second server's rows pulled from its start"
    );
    let mut c = console();
    let c_on_second = second.client_on("ada", &c.replica);
    second.sync(&mut c.replica, &c_on_second);
    assert_eq!(
        c.replica.table_rows("launches").unwrap().len(),
        1,
        "only the second server's own launch is there"
    );
}

/// Stops a server process as its service manager does (SIGTERM), and waits for it.
fn stop_gracefully(mut server: std::process::Child) {
    let stopped = std::process::Command::new("kill")
        .args(["-TERM", &server.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = server.wait().unwrap();
    assert!(status.success(), "{status}");
}

/// A server database in `dir` with the admin `ada`.
fn database_with_ada(dir: &std::path::Path) -> std::path::PathBuf {
    let db = dir.join("server.sqlite");
    SqliteStore::open(&db)
        .unwrap()
        .add_user("ada", Role::Admin, &auth::hash_password(PASSWORD).unwrap())
        .unwrap();
    db
}

/// A console holding a fleet, a launch and `launches` more, none of them synced.
fn console_with_launches(launches: usize) -> Console {
    let mut a = console();
    add_fleet_and_launch(&mut a.replica);
    add_launches(&mut a.replica, launches);
    a
}

/// Adds `count` launches of the replica's first vehicle and spaceport; their ids.
fn add_launches(replica: &mut Replica, count: usize) -> Vec<String> {
    let first_key = |table: &str| {
        replica
            .table_rows(table)
            .unwrap()
            .into_keys()
            .next()
            .unwrap()
    };
    let (vehicle, port) = (first_key("vehicles"), first_key("spaceports"));
    replica
        .write(|w| {
            let mut ids = Vec::with_capacity(count);
            for n in 0..count {
                let id = replica::new_id();
                w.insert_launch(&LaunchRow {
                    id: id.clone(),
                    mission: format!("bulk {n}"),
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
                ids.push(id);
            }
            Ok::<_, galaxium_sync::ReplicaError>(ids)
        })
        .unwrap()
}

/// The value of the counter or gauge `name` on the server's `/metrics`.
fn metric(runtime: &tokio::runtime::Runtime, url: &str, token: &str, name: &str) -> u64 {
    let text = runtime
        .block_on(async {
            reqwest::Client::new()
                .get(format!("{url}/metrics"))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .bearer_auth(token)
                .send()
                .await?
                .text()
                .await
        })
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("{name} is not in {text}"))
}

/// How many ops the server's file holds, read from beside the running server.
fn ops_stored(db: &std::path::Path) -> i64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT count(*) FROM ops", [], |r| r.get(0)))
        .unwrap_or(0)
}

#[test]
fn a_tombstone_is_purged_only_after_every_device_has_pulled_past_it() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b) = (console(), console());
    let admin = server.client("ada");
    let launch = add_fleet_and_launch(&mut a.replica);
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &admin);
    let old_copy = b.dir.path().join("before-delete.sqlite");
    b.replica.backup_to(&old_copy).unwrap();
    let tombstones = || -> i64 {
        server
            .db
            .count("SELECT count(*) FROM rows WHERE deleted = true")
    };

    a.replica.write(|w| w.delete("launches", &launch)).unwrap();
    server.sync(&mut a.replica, &admin);
    assert_eq!(tombstones(), 1, "B has not seen the delete yet");
    server.sync(&mut b.replica, &admin);
    assert_eq!(tombstones(), 0, "every device is past it");
    assert!(b.replica.table_rows("launches").unwrap().is_empty());

    // A replica restored from a copy taken before the delete edits the purged row: the
    // server still refuses it, and the console drops the row.
    let mut restored = Replica::open(&old_copy, &OpenOptions::default()).unwrap();
    set(&mut restored, "launches", &launch, json!({"pad": "LC-39B"}));
    let summary = server.sync(&mut restored, &admin);
    assert_eq!(summary.rejected, 1);
    assert_eq!(
        restored.conflicts(false).unwrap()[0].reason,
        "the row does not exist on the server"
    );
    assert!(restored.table_rows("launches").unwrap().is_empty());
}

#[test]
fn a_training_sandbox_never_syncs_with_operational_data() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let dir = tempfile::tempdir().unwrap();
    let mut sandbox = Replica::open(
        &dir.path().join("training.sqlite"),
        &OpenOptions {
            kind_if_new: galaxium_sync::ReplicaKind::Training,
        },
    )
    .unwrap();
    add_fleet_and_launch(&mut sandbox);
    let admin = server.client("ada");
    let err = server
        .runtime
        .block_on(sync_once(&mut sandbox, &admin))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("training sandbox")),
        "{err}"
    );
    assert!(!err.is_retryable());
    // Nothing reached the server: an operational console pulls nothing.
    let mut operational = console();
    let pulled = server.sync(&mut operational.replica, &admin);
    assert_eq!(pulled.pulled, 0);
    assert_eq!(sandbox.pending_count().unwrap(), 3);
}

fn sandbox(dir: &tempfile::TempDir, name: &str) -> Replica {
    Replica::open(
        &dir.path().join(name),
        &OpenOptions {
            kind_if_new: galaxium_sync::ReplicaKind::Training,
        },
    )
    .unwrap()
}

fn link(server: &TestServer, session: &str, hosting: bool) -> replica::TrainingLink {
    replica::TrainingLink {
        server: server.url.clone(),
        session: session.to_owned(),
        scenario: "slow-cabin-leak".to_owned(),
        hosting,
    }
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one story: a session, its sandboxes, and every refusal"
)]
fn a_training_session_is_a_namespace_of_its_own_that_operations_never_see() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let host_client = server.client("ted");
    let joined_client = server.client("tia");
    let admin = server.client("ada");
    let session = server
        .runtime
        .block_on(host_client.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // The trainer's sandbox hosts it; its rows go to the session (the trainer may write
    // anything there), and a trainee's sandbox joined to it pulls them.
    let mut host = sandbox(&dir, "host.sqlite");
    add_fleet_and_launch(&mut host);
    host.set_training_link(&link(&server, &session.id, true))
        .unwrap();
    let pushed = server.sync(&mut host, &host_client);
    assert_eq!((pushed.pushed, pushed.rejected), (3, 0));
    let mut joined = sandbox(&dir, "joined_client.sqlite");
    joined
        .set_training_link(&link(&server, &session.id, false))
        .unwrap();
    assert_eq!(server.sync(&mut joined, &joined_client).pulled, 3);
    // What the trainee does reaches the trainer through the session.
    let port = SpaceportRow {
        id: replica::new_id(),
        code: "SPA".into(),
        name: "Spaceport America".into(),
        lat_deg: 32.99,
        lon_deg: -106.97,
        alt_m: 1401.0,
        demo: false,
    };
    joined.write(|w| w.insert_spaceport(&port)).unwrap();
    assert_eq!(server.sync(&mut joined, &joined_client).rejected, 0);
    server.sync(&mut host, &host_client);
    assert!(
        host.table_rows("spaceports")
            .unwrap()
            .contains_key(&port.id)
    );

    // Operations hold none of it.
    let mut operational = console();
    assert_eq!(server.sync(&mut operational.replica, &admin).pulled, 0);

    // The operational push refuses a sandbox's own sign-in (it registered as a sandbox) even
    // when the push does not say it is one, a sign-in without a device speaking for the
    // sandbox, anything that says it comes from a sandbox, and trainee accounts.
    let on_the_sandbox = server.client_on("ted", &host);
    let push = |client: &SyncClient, device: &str, training: bool| {
        server
            .runtime
            .block_on(client.push(&galaxium_sync::protocol::PushRequest {
                device_id: device.to_owned(),
                ops: Vec::new(),
                training,
                epoch: None,
            }))
            .unwrap_err()
    };
    let err = push(&on_the_sandbox, host.device_id(), false);
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("training sandbox")),
        "{err}"
    );
    let err = push(&admin, host.device_id(), false);
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("registered to a console")),
        "{err}"
    );
    let err = push(&admin, "a-new-device", true);
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("training sandbox")),
        "{err}"
    );
    let err = push(&joined_client, "another-device", false);
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("trainee accounts")),
        "{err}"
    );
    let err = server
        .runtime
        .block_on(joined_client.pull("another-device", 0, 10))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");

    // Operations' roles keep to operations; only trainers open sessions.
    let controller = server.client("cal");
    let err = server
        .runtime
        .block_on(
            controller
                .clone()
                .in_training_session(&session.id)
                .pull("d", 0, 10),
        )
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("trainers and trainees")),
        "{err}"
    );
    let err = server
        .runtime
        .block_on(joined_client.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    // A sandbox belongs to one session.
    let other = server
        .runtime
        .block_on(host_client.create_training_session("power-bus-eclipse", &["tia"]))
        .unwrap();
    host.set_training_link(&link(&server, &other.id, true))
        .unwrap();
    let err = server
        .runtime
        .block_on(sync_once(&mut host, &host_client))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Server { status: 409, .. }),
        "{err}"
    );
    // An operational replica never joins a session.
    assert!(
        operational
            .replica
            .set_training_link(&link(&server, &session.id, false))
            .is_err()
    );
}

#[test]
fn a_session_keeps_its_trainers_mission_clock_and_refuses_bad_ones() {
    use galaxium_sync::protocol::MissionClock;
    let server = TestServer::start(chrono::Duration::hours(1));
    let host_client = server.client("ted");
    let joined_client = server.client("tia");
    let session = server
        .runtime
        .block_on(host_client.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap();
    assert_eq!(session.clock, MissionClock::WALL);
    let fast = MissionClock::WALL.with_rate(10.0, 1_800_000_000.0);
    server
        .runtime
        .block_on(host_client.set_training_clock(&session.id, &fast))
        .unwrap();
    let seen = server
        .runtime
        .block_on(joined_client.training_session(&session.id))
        .unwrap();
    assert_eq!(seen.clock, fast);
    assert!((seen.clock.mission(1_800_000_010.0) - 1_800_000_100.0).abs() < 1e-6);
    let listed = server
        .runtime
        .block_on(joined_client.training_sessions())
        .unwrap();
    assert_eq!(listed.len(), 1);

    let too_fast = MissionClock::WALL.with_rate(100.0, 1_800_000_000.0);
    let err = server
        .runtime
        .block_on(host_client.set_training_clock(&session.id, &too_fast))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Server { status: 400, message } if message.contains("x1 to x60")),
        "{err}"
    );
    let err = server
        .runtime
        .block_on(joined_client.set_training_clock(&session.id, &fast))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    for id in ["0192c0de-0000-7000-8000-000000000000", "..%2F..%2Fserver"] {
        let err = server
            .runtime
            .block_on(joined_client.training_session(id))
            .unwrap_err();
        assert!(
            matches!(&err, SyncError::Server { status: 404, .. }),
            "{id}: {err}"
        );
    }
}

/// A manifest of `launch` closed with `name` in seat 1A, as the console freezes one; its id.
fn close_manifest_naming(replica: &mut Replica, launch: &str, name: &str) -> String {
    let manifest = replica::new_id();
    replica
        .write(|w| {
            w.insert(
                "manifests",
                &manifest,
                object(json!({
                    "launch_id": launch, "closed_at": "2026-11-30T12:00:00.000Z",
                    "closed_by": "ada", "demo": false,
                    "content": json!({"mission": "GX", "entries": [
                        {"seat": "1A", "name": name, "locator": "GXK7Q2"}
                    ]}).to_string(),
                })),
            )
        })
        .unwrap();
    manifest
}

#[test]
fn a_copy_of_an_operational_replica_becomes_a_sandbox_that_can_host_a_session() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let admin = server.client("ada");
    let mut operational = console();
    let launch = add_fleet_and_launch(&mut operational.replica);
    let booking = sell_seat(
        &mut operational.replica,
        &launch,
        "1A",
        "GXK7Q2",
        "Ada Real-Person",
    );
    let passenger = operational.replica.table_rows("bookings").unwrap()[&booking]["passenger_id"]
        .as_str()
        .unwrap()
        .to_owned();
    set(
        &mut operational.replica,
        "passengers",
        &passenger,
        json!({"date_of_birth": "1979-06-14"}),
    );
    let manifest = close_manifest_naming(&mut operational.replica, &launch, "Ada Real-Person");
    let summary = server.sync(&mut operational.replica, &admin);
    assert_eq!(
        summary.rejected,
        0,
        "{:?}",
        operational.replica.conflicts(true).unwrap()
    );
    let device = operational.replica.device_id().to_owned();

    let dir = tempfile::tempdir().unwrap();
    let mut copy = operational
        .replica
        .training_copy(&dir.path().join("sandbox.sqlite"))
        .unwrap();
    assert_eq!(copy.kind().unwrap(), galaxium_sync::ReplicaKind::Training);
    assert_ne!(copy.device_id(), device, "a new identity");
    assert!(copy.sign_in().unwrap().is_none());
    assert_eq!(copy.sync_cursor().unwrap(), 0);
    assert!(copy.table_rows("launches").unwrap().contains_key(&launch));
    assert_eq!(
        copy.pending_count().unwrap(),
        6,
        "every row recorded afresh"
    );
    let frozen = copy.table_rows("manifests").unwrap()[&manifest]["content"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!frozen.contains("Real-Person"), "{frozen}");
    assert!(frozen.contains("Passenger 1A"), "{frozen}");
    // Nobody real is in a sandbox: the passenger is a number, the personal fields are gone,
    // the year of birth stays (ages still check), the booking is intact.
    let person = &copy.table_rows("passengers").unwrap()[&passenger];
    assert_eq!(person["full_name"], json!("Passenger 1"));
    assert_eq!(person["date_of_birth"], json!("1979-01-01"));
    for column in [
        "email",
        "phone",
        "document_number",
        "emergency_contact",
        "nationality",
    ] {
        assert_eq!(person[column], Value::Null, "{column}");
    }
    assert_eq!(
        copy.table_rows("bookings").unwrap()[&booking]["status"],
        json!("confirmed")
    );
    assert_eq!(
        operational.replica.table_rows("passengers").unwrap()[&passenger]["full_name"],
        json!("Ada Real-Person")
    );
    // The original is only read.
    assert_eq!(operational.replica.pending_count().unwrap(), 0);
    assert_eq!(operational.replica.device_id(), device);
    // Without a session it never syncs; in one, trainees get its rows.
    assert!(matches!(
        server.runtime.block_on(sync_once(&mut copy, &admin)),
        Err(SyncError::Forbidden(_))
    ));
    let host_client = server.client("ted");
    let session = server
        .runtime
        .block_on(host_client.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap();
    copy.set_training_link(&link(&server, &session.id, true))
        .unwrap();
    assert_eq!(server.sync(&mut copy, &host_client).rejected, 0);
    let mut joined = sandbox(&dir, "trainee.sqlite");
    joined
        .set_training_link(&link(&server, &session.id, false))
        .unwrap();
    server.sync(&mut joined, &server.client("tia"));
    assert!(joined.table_rows("launches").unwrap().contains_key(&launch));
    // A copy never lands on an existing file.
    assert!(
        operational
            .replica
            .training_copy(&dir.path().join("sandbox.sqlite"))
            .is_err()
    );
}

/// The id of the first row of `table` (by id).
fn first_id(replica: &Replica, table: &str) -> String {
    replica
        .table_rows(table)
        .unwrap()
        .into_keys()
        .next()
        .unwrap()
}

/// The reasons of the refusals waiting in a console's inbox.
fn inbox_reasons(replica: &Replica) -> Vec<String> {
    replica
        .conflicts(false)
        .unwrap()
        .into_iter()
        .map(|c| c.reason)
        .collect()
}

fn vehicle_named(name: &str) -> VehicleRow {
    VehicleRow {
        id: replica::new_id(),
        name: name.into(),
        model: "G-6".into(),
        seat_count: 6,
        max_passenger_mass_kg: 630.0,
        max_baggage_mass_kg: 54.0,
        demo: false,
        seat_layout: "[]".into(),
    }
}

fn vehicle_names(replica: &Replica) -> Vec<String> {
    let mut names: Vec<String> = replica
        .table_rows("vehicles")
        .unwrap()
        .values()
        .map(|v| v["name"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_second_vehicle_of_a_taken_name_is_refused_and_every_replica_keeps_syncing() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b, mut c) = (console(), console(), console());
    let admin = server.client("ada");

    // Two admins, each offline, add a vehicle of the same name (case and spaces aside).
    a.replica
        .write(|w| w.insert_vehicle(&vehicle_named("Aurora")))
        .unwrap();
    b.replica
        .write(|w| w.insert_vehicle(&vehicle_named(" aurora")))
        .unwrap();
    assert_eq!(server.sync(&mut a.replica, &admin).rejected, 0);
    let second = server.sync(&mut b.replica, &admin);
    assert_eq!(second.rejected, 1, "{second}");
    let conflicts = b.replica.conflicts(false).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(
        conflicts[0].reason,
        "a vehicle named \"aurora\" already exists"
    );
    assert_eq!(
        conflicts[0].rule,
        Some(galaxium_sync::protocol::RefusalRule::UniqueKey)
    );
    assert_eq!(conflicts[0].attempted["name"], json!(" aurora"));
    // The losing console holds the server's fleet; every console, a new one too, syncs on.
    assert_eq!(vehicle_names(&b.replica), ["Aurora"]);
    server.sync(&mut a.replica, &admin);
    server.sync(&mut c.replica, &admin);
    assert_eq!(vehicle_names(&c.replica), ["Aurora"]);
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
    assert_eq!(snapshot(&a.replica), snapshot(&c.replica));

    // The console itself refuses a name it already holds, before anything is sent.
    let err = a
        .replica
        .write(|w| w.insert_vehicle(&vehicle_named("AURORA")))
        .unwrap_err();
    assert_eq!(err.to_string(), "a vehicle named \"AURORA\" already exists");
}

#[test]
fn renaming_onto_a_taken_name_is_refused_and_the_old_name_comes_back() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut a, mut b) = (console(), console());
    let admin = server.client("ada");
    let (aurora, borealis) = (vehicle_named("Aurora"), vehicle_named("Borealis"));
    a.replica
        .write(|w| {
            w.insert_vehicle(&aurora)?;
            w.insert_vehicle(&borealis)
        })
        .unwrap();
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &admin);

    // Offline: A renames Aurora to Zenith, B renames Borealis to Zenith.
    set(
        &mut a.replica,
        "vehicles",
        &aurora.id,
        json!({"name": "Zenith"}),
    );
    set(
        &mut b.replica,
        "vehicles",
        &borealis.id,
        json!({"name": "Zenith"}),
    );
    server.sync(&mut a.replica, &admin);
    let summary = server.sync(&mut b.replica, &admin);
    assert_eq!(summary.rejected, 1);
    let conflict = &b.replica.conflicts(false).unwrap()[0];
    assert_eq!(conflict.reason, "a vehicle named \"Zenith\" already exists");
    assert_eq!(
        conflict.winner.as_ref().unwrap()["name"],
        json!("Borealis"),
        "the server's version of B's row"
    );
    assert_eq!(vehicle_names(&b.replica), ["Borealis", "Zenith"]);
    server.sync(&mut a.replica, &admin);
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
}

/// Pushes one hand-made op, as a careless or hostile client could, and returns the verdict.
fn push_raw(
    server: &TestServer,
    client: &SyncClient,
    op: galaxium_sync::protocol::Op,
) -> galaxium_sync::protocol::OpResult {
    let request = galaxium_sync::protocol::PushRequest {
        device_id: op.device_id.clone(),
        ops: vec![op],
        training: false,
        epoch: None,
    };
    let (mut response, _, _) = server.runtime.block_on(client.push(&request)).unwrap();
    response.results.remove(0)
}

fn raw_op(
    device: &str,
    seq: u64,
    hlc_ms: u64,
    table: &str,
    row_id: &str,
    kind: galaxium_sync::protocol::OpKind,
    payload: Value,
) -> galaxium_sync::protocol::Op {
    galaxium_sync::protocol::Op {
        op_id: replica::new_id(),
        device_id: device.into(),
        seq,
        hlc: format!("{hlc_ms:015}-000000-{device}"),
        table: table.into(),
        row_id: row_id.into(),
        kind,
        payload: object(payload),
    }
}

fn now_ms() -> u64 {
    u64::try_from(chrono::Utc::now().timestamp_millis()).unwrap()
}

#[test]
fn values_a_replica_would_refuse_are_refused_by_the_server_naming_the_column() {
    use galaxium_sync::protocol::{OpKind, OpResult};
    let server = TestServer::start(chrono::Duration::hours(1));
    let staff = server.client("sam");
    let passenger = json!({
        "full_name": "Mallory", "date_of_birth": null, "nationality": null,
        "document_number": null, "email": null, "phone": null, "emergency_contact": null,
        "body_mass_kg": -5, "medical_status": "cleared", "medical_expires_on": null,
        "training_completed_on": null, "waiver_signed_on": null, "demo": false,
    });
    let verdict = push_raw(
        &server,
        &staff,
        raw_op(
            "mallory-console",
            1,
            now_ms(),
            "passengers",
            &replica::new_id(),
            OpKind::Insert,
            passenger.clone(),
        ),
    );
    let OpResult::Rejected { reason, rule, .. } = verdict else {
        panic!("accepted: {verdict:?}")
    };
    assert_eq!(reason, "passenger body_mass_kg: must be above 0, not -5");
    assert_eq!(rule, Some(galaxium_sync::protocol::RefusalRule::Value));
    let mut hacked = passenger;
    hacked["body_mass_kg"] = json!(80);
    hacked["medical_status"] = json!("hacked");
    let verdict = push_raw(
        &server,
        &staff,
        raw_op(
            "mallory-console",
            2,
            now_ms(),
            "passengers",
            &replica::new_id(),
            OpKind::Insert,
            hacked,
        ),
    );
    assert!(
        matches!(&verdict, OpResult::Rejected { reason, .. }
            if reason.contains("medical_status: must be one of pending, cleared, restricted, denied, not \"hacked\"")),
        "{verdict:?}"
    );
    // Nothing reached the op log, so a new console syncs as ever.
    let mut fresh = console();
    let summary = server.sync(&mut fresh.replica, &server.client("ada"));
    assert_eq!(summary.pulled, 0);
}

#[test]
fn the_rules_judged_by_the_edits_time_are_the_consoles_on_the_server() {
    use galaxium_sync::protocol::{OpKind, OpResult};
    let server = TestServer::start(chrono::Duration::hours(1));
    let staff = server.client("sam");
    // A birth date in the future ...
    let mut born_later = hacked_free_passenger();
    born_later["date_of_birth"] = json!("2099-01-01");
    let verdict = push_raw(
        &server,
        &staff,
        raw_op(
            "mallory-console",
            3,
            now_ms(),
            "passengers",
            &replica::new_id(),
            OpKind::Insert,
            born_later,
        ),
    );
    assert!(
        matches!(&verdict, OpResult::Rejected { reason, .. }
            if reason == "passenger date_of_birth: 2099-01-01 is in the future: a date of birth cannot be"),
        "{verdict:?}"
    );
    let mut fresh = console();
    // ... a bookable launch moved into the past, and a negative fare.
    let admin = server.client("ada");
    let launch = add_fleet_and_launch(&mut fresh.replica);
    server.sync(&mut fresh.replica, &admin);
    for (seq, change, words) in [
        (
            1,
            json!({"scheduled_at": "2020-01-01T00:00:00.000Z"}),
            "is in the past",
        ),
        (
            2,
            json!({"fare_classes": r#"[{"code":"ORB","name":"Orbit","price_minor":-1,"currency":"USD"}]"#}),
            "fare ORB has a negative price (-1)",
        ),
    ] {
        let verdict = push_raw(
            &server,
            &admin,
            raw_op(
                "ada-console",
                seq,
                now_ms(),
                "launches",
                &launch,
                OpKind::Update,
                change,
            ),
        );
        assert!(
            matches!(&verdict, OpResult::Rejected { reason, .. } if reason.contains(words)),
            "{verdict:?}"
        );
    }
    // A clock set back a month does not make a launch a week ago look like the future: the
    // edit is judged as made no earlier than a day before it arrived.
    let a_month_ago = now_ms() - 30 * 24 * 3_600_000;
    let verdict = push_raw(
        &server,
        &admin,
        raw_op(
            "ada-console",
            3,
            a_month_ago,
            "launches",
            &launch,
            OpKind::Update,
            json!({"scheduled_at": galaxium_sync::time::stored(chrono::Utc::now() - chrono::Duration::days(7))}),
        ),
    );
    assert!(
        matches!(&verdict, OpResult::Rejected { reason, .. } if reason.contains("is in the past")),
        "{verdict:?}"
    );
}

/// A passenger every rule accepts.
fn hacked_free_passenger() -> serde_json::Value {
    json!({
        "full_name": "Mallory", "date_of_birth": null, "nationality": null,
        "document_number": null, "email": null, "phone": null, "emergency_contact": null,
        "body_mass_kg": 80, "medical_status": "cleared", "medical_expires_on": null,
        "training_completed_on": null, "waiver_signed_on": null, "demo": false,
    })
}

#[test]
fn an_op_stamped_in_the_future_is_taken_at_the_servers_time_and_later_edits_still_win() {
    use galaxium_sync::protocol::{OpKind, OpResult};
    let server = TestServer::start(chrono::Duration::hours(1));
    let mut pair_a = console();
    let admin = server.client("ada");
    let launch = add_fleet_and_launch(&mut pair_a.replica);
    server.sync(&mut pair_a.replica, &admin);

    // A console whose clock says 2100 edits the pad.
    let year_2100_ms = 4_102_444_800_000_u64;
    let verdict = push_raw(
        &server,
        &admin,
        raw_op(
            "clock-in-2100",
            1,
            year_2100_ms,
            "launches",
            &launch,
            OpKind::Update,
            json!({"pad": "from 2100"}),
        ),
    );
    assert!(matches!(verdict, OpResult::Accepted { .. }), "{verdict:?}");
    server.sync(&mut pair_a.replica, &admin);
    assert_eq!(
        launch_field(&pair_a.replica, &launch, "pad"),
        json!("from 2100")
    );
    // Pulling it did not carry this console's clock to 2100 ...
    let mut probe = console();
    server.sync(&mut probe.replica, &admin);
    set(
        &mut probe.replica,
        "launches",
        &launch,
        json!({"pad": "LC-39B"}),
    );
    let stamped = probe.replica.pending_ops(1).unwrap()[0].hlc.clone();
    let wall: u64 = stamped[..15].parse().unwrap();
    assert!(wall < now_ms() + 60_000, "{stamped}");
    // ... and a later edit made with a right clock wins over it everywhere.
    server.sync(&mut probe.replica, &admin);
    server.sync(&mut pair_a.replica, &admin);
    assert_eq!(
        launch_field(&pair_a.replica, &launch, "pad"),
        json!("LC-39B")
    );
    assert_eq!(
        launch_field(&probe.replica, &launch, "pad"),
        json!("LC-39B")
    );
}

#[test]
fn a_clock_far_from_the_servers_is_named_in_the_sync_summary() {
    let mut summary = galaxium_sync::client::SyncSummary {
        clock_offset_ms: Some(2 * 3_600_000 + 5 * 60_000),
        ..Default::default()
    };
    let warning = summary.clock_warning().unwrap();
    assert!(
        warning.contains("2 h 5 min ahead of the server's"),
        "{warning}"
    );
    assert!(
        summary
            .to_string()
            .contains("warning: this console's clock")
    );
    summary.clock_offset_ms = Some(-10 * 60_000);
    assert!(summary.clock_warning().unwrap().contains("10 min behind"));
    summary.clock_offset_ms = Some(90_000);
    assert_eq!(
        summary.clock_warning(),
        None,
        "a minute and a half is within bounds"
    );
}

#[test]
fn a_pulled_op_that_cannot_apply_is_kept_aside_and_the_rest_applies() {
    use galaxium_sync::protocol::{Op, OpKind, ServerOp};
    let mut c = console();
    let op = |cursor: u64, row: &str, payload: Value| ServerOp {
        cursor,
        op: Op {
            op_id: replica::new_id(),
            device_id: "elsewhere".into(),
            seq: cursor,
            hlc: format!("{:015}-000000-elsewhere", now_ms()),
            table: "vehicles".into(),
            row_id: row.into(),
            kind: OpKind::Insert,
            payload: object(payload),
        },
        notice: None,
        by: None,
    };
    let good = |name: &str| {
        json!({"name": name, "model": "G-6", "seat_count": 6, "max_passenger_mass_kg": 630.0,
               "max_baggage_mass_kg": 54.0, "demo": false, "seat_layout": "[]"})
    };
    let mut bad = good("Broken");
    bad["seat_count"] = json!(-1);
    let mut partial = good("Half");
    partial.as_object_mut().unwrap().remove("model");
    let page = [
        op(1, "v1", good("Aurora")),
        op(2, "v2", bad),
        op(3, "v3", partial),
        op(4, "v4", good("Borealis")),
    ];
    let report = c.replica.apply_pulled(&page, 4).unwrap();
    assert_eq!((report.applied, report.set_aside), (2, 2));
    assert_eq!(
        c.replica.sync_cursor().unwrap(),
        4,
        "the cursor moved past them"
    );
    assert_eq!(vehicle_names(&c.replica), ["Aurora", "Borealis"]);
    let aside = c.replica.set_aside_ops().unwrap();
    assert_eq!(aside.len(), 2);
    assert_eq!(aside[0].row_id, "v2");
    assert_eq!(
        aside[0].reason,
        "vehicle seat_count: must be between 1 and 1000, not -1"
    );
    assert!(aside[1].reason.contains("model"), "{}", aside[1].reason);
    // A replayed page keeps one entry per op.
    c.replica.apply_pulled(&page, 4).unwrap();
    assert_eq!(c.replica.set_aside_ops().unwrap().len(), 2);
}

/// B's own "Aurora", at its own spaceport, with a launch on it.
fn second_aurora_with_a_launch(b: &mut Replica) {
    let second = vehicle_named("Aurora");
    let vandenberg = SpaceportRow {
        id: replica::new_id(),
        code: "VSFB".into(),
        name: "Vandenberg".into(),
        lat_deg: 34.7,
        lon_deg: -120.6,
        alt_m: 112.0,
        demo: false,
    };
    b.write(|w| {
        w.insert_vehicle(&second)?;
        w.insert_spaceport(&vandenberg)
    })
    .unwrap();
    b.write(|w| {
        w.insert_launch(&LaunchRow {
            id: replica::new_id(),
            mission: "GX-B".into(),
            vehicle_id: second.id.clone(),
            spaceport_id: vandenberg.id.clone(),
            pad: "LC-39A".into(),
            scheduled_at: "2030-01-01T12:00:00Z".into(),
            status: "planned".into(),
            demo: false,
            fare_classes: "[]".into(),
            checkin_opens_hours: 24.0,
            checkin_closes_hours: 1.0,
        })
    })
    .unwrap();
}

/// What an older server accepted, made in `db`: two "Aurora"s (B's with a launch of its own),
/// a passenger with a negative body mass (from S), and a column clock from a console that
/// believed it was 2100. Consoles made their rows as consoles do; the old server judged no
/// key and no value.
fn build_what_an_older_server_accepted(
    db: &std::path::Path,
    a: &mut Replica,
    b: &mut Replica,
    s: &Replica,
) {
    use galaxium_server::auth::Principal;
    use galaxium_sync::protocol::{OpKind, OpResult};

    let admin = Principal::of("ada", Role::Admin);
    let staff = Principal::of("sam", Role::Staff);
    {
        let store = SqliteStore::open(db).unwrap();
        for (name, role) in [("ada", Role::Admin), ("sam", Role::Staff)] {
            store
                .add_user(name, role, &auth::hash_password(PASSWORD).unwrap())
                .unwrap();
        }
        let older = |replica: &mut Replica, who: &Principal| {
            let ops = replica.pending_ops(100).unwrap();
            store
                .accept_unjudged(who, replica.device_id(), &ops)
                .unwrap();
            let verdicts: Vec<_> = ops
                .into_iter()
                .map(|op| {
                    let op_id = op.op_id.clone();
                    (op, OpResult::Accepted { op_id })
                })
                .collect();
            replica.settle_push(&verdicts).unwrap();
        };
        add_fleet_and_launch(a);
        older(a, &admin);
        let port = a
            .table_rows("spaceports")
            .unwrap()
            .into_keys()
            .next()
            .unwrap();
        second_aurora_with_a_launch(b);
        older(b, &admin);
        let bad = raw_op(
            s.device_id(),
            1,
            now_ms(),
            "passengers",
            &replica::new_id(),
            OpKind::Insert,
            json!({
                "full_name": "Mallory", "date_of_birth": null, "nationality": null,
                "document_number": null, "email": null, "phone": null,
                "emergency_contact": null, "body_mass_kg": -5, "medical_status": "hacked",
                "medical_expires_on": null, "training_completed_on": null,
                "waiver_signed_on": null, "demo": false,
            }),
        );
        // A passenger whose only fault is a date of birth written the wrong way round: the
        // optional column is cleared, the passenger stays.
        let misdated = raw_op(
            s.device_id(),
            2,
            now_ms(),
            "passengers",
            &replica::new_id(),
            OpKind::Insert,
            json!({
                "full_name": "Bruno Castell", "date_of_birth": "12/05/1980", "nationality": null,
                "document_number": null, "email": null, "phone": null,
                "emergency_contact": null, "body_mass_kg": 80, "medical_status": "cleared",
                "medical_expires_on": null, "training_completed_on": null,
                "waiver_signed_on": null, "demo": false,
            }),
        );
        store
            .accept_unjudged(&staff, s.device_id(), &[bad, misdated])
            .unwrap();
        // A column clock from a console that believed it was 2100.
        store
            .accept_unjudged(
                &admin,
                "clock-in-2100",
                &[raw_op(
                    "clock-in-2100",
                    1,
                    4_102_444_800_000,
                    "spaceports",
                    &port,
                    OpKind::Update,
                    json!({"name": "Kennedy (2100)"}),
                )],
            )
            .unwrap();
    }
}

#[test]
fn a_server_holding_rows_an_older_version_let_through_repairs_them_and_tells_their_authors() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite");
    let (mut a, mut b, mut s) = (console(), console(), console());
    build_what_an_older_server_accepted(&db, &mut a.replica, &mut b.replica, &s.replica);

    // Started again, the server repairs what it holds, and logs it.
    let store = SqliteStore::open(&db).unwrap();
    let report = store.repair().unwrap();
    assert!(
        report.removed.is_empty() && report.changed.is_empty(),
        "the repair at open did the work: {report:?}"
    );
    drop(store);
    let server = TestServer::over(&db);
    let admin_client = server.client("ada");
    for replica in [&mut a.replica, &mut b.replica] {
        server.sync(replica, &admin_client);
    }
    let staff_client = server.client("sam");
    let summary = server.sync(&mut s.replica, &staff_client);
    assert_eq!(summary.late_refusals, 2, "{summary}");
    // The cleared date: the passenger stays, and no console is told the date itself.
    let cleared = inbox_reasons(&s.replica);
    assert!(
        cleared.contains(
            &"passenger date_of_birth: its value does not fit the column; cleared".to_owned()
        ),
        "{cleared:?}"
    );
    let names: Vec<String> = s
        .replica
        .table_rows("passengers")
        .unwrap()
        .values()
        .map(|p| p["full_name"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(names, ["Bruno Castell"]);
    // Each author finds what was done to its rows in its inbox, with the reason. B's second
    // "Aurora" is renamed, not removed: its launch stays.
    let b_inbox = b.replica.conflicts(false).unwrap();
    assert_eq!(b_inbox.len(), 1, "{b_inbox:?}");
    assert_eq!(
        b_inbox[0].reason,
        "a vehicle named \"Aurora\" already exists; this one is now \"Aurora (2)\""
    );
    assert_eq!(
        b_inbox[0].rule,
        Some(galaxium_sync::protocol::RefusalRule::UniqueKey)
    );
    assert_eq!(vehicle_names(&b.replica), ["Aurora", "Aurora (2)"]);
    assert_eq!(
        b.replica.table_rows("launches").unwrap().len(),
        2,
        "GX-14 and GX-B"
    );
    // B names it properly from its inbox: the row is here, so it is renamed, and it syncs.
    b.replica
        .send_again_under(&b_inbox[0].id, "Borealis")
        .unwrap();
    assert!(b.replica.conflicts(false).unwrap().is_empty());
    assert_eq!(server.sync(&mut b.replica, &admin_client).rejected, 0);
    assert_eq!(vehicle_names(&b.replica), ["Aurora", "Borealis"]);
    let s_inbox: Vec<_> = s
        .replica
        .conflicts(false)
        .unwrap()
        .into_iter()
        .filter(|c| c.attempted["full_name"] == json!("Mallory"))
        .collect();
    assert_eq!(s_inbox.len(), 1);
    assert_eq!(
        s_inbox[0].rule,
        Some(galaxium_sync::protocol::RefusalRule::Value)
    );
    assert!(
        s_inbox[0].reason.starts_with("passenger "),
        "{}",
        s_inbox[0].reason
    );
    assert_eq!(s_inbox[0].attempted["full_name"], json!("Mallory"));
    assert!(a.replica.conflicts(false).unwrap().is_empty());
    // One name per vehicle everywhere, a new console syncs (the bad passenger's insert, which
    // it cannot apply, is cleared by the removal that follows it), and a later edit of the
    // 2100 column wins.
    let mut fresh = console();
    let summary = server.sync(&mut fresh.replica, &admin_client);
    assert_eq!(summary.set_aside, 0, "{summary}");
    assert_eq!(vehicle_names(&fresh.replica), ["Aurora", "Borealis"]);
    assert_eq!(fresh.replica.table_rows("passengers").unwrap().len(), 1);
    server.sync(&mut a.replica, &admin_client);
    let port = first_id(&a.replica, "spaceports");
    set(
        &mut a.replica,
        "spaceports",
        &port,
        json!({"name": "Kennedy"}),
    );
    server.sync(&mut a.replica, &admin_client);
    server.sync(&mut fresh.replica, &admin_client);
    server.sync(&mut b.replica, &admin_client);
    assert_eq!(
        fresh.replica.table_rows("spaceports").unwrap()[&port]["name"],
        json!("Kennedy")
    );
    assert_eq!(snapshot(&a.replica), snapshot(&fresh.replica));
    assert_eq!(snapshot(&b.replica), snapshot(&fresh.replica));
}

/// Found by the convergence test (seed 987386995): a launch deleted on the server while
/// another console edited it and sold a seat on it. Undoing the refused edit removes the
/// launch while the booking on it still waits to be sent; settling must not fail (it would
/// fail the same way on every sync), and the booking is refused in its turn.
#[test]
fn a_launch_deleted_elsewhere_while_edited_and_sold_here_settles_and_converges() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();
    a.replica.write(|w| w.delete("launches", &launch)).unwrap();
    server.sync(&mut a.replica, &admin);
    set(
        &mut b.replica,
        "launches",
        &launch,
        json!({"pad": "LC-39B"}),
    );
    sell_seat(&mut b.replica, &launch, "1A", "QX7T2M", "Ada Quist");
    // Push the launch's edit alone, as a sync cut short after its first batch would.
    let first = b.replica.pending_ops(1).unwrap();
    let request = galaxium_sync::protocol::PushRequest {
        device_id: b.replica.device_id().to_owned(),
        ops: first,
        training: false,
        epoch: None,
    };
    let (response, _, _) = server.runtime.block_on(staff.push(&request)).unwrap();
    let verdicts: Vec<_> = request.ops.into_iter().zip(response.results).collect();
    assert_eq!(b.replica.settle_push(&verdicts).unwrap(), 1);
    // The rest goes on the next sync: the booking is refused, its launch being gone.
    let summary = server.sync(&mut b.replica, &staff);
    assert_eq!(summary.rejected, 1, "{summary}");
    let reasons = inbox_reasons(&b.replica);
    assert!(
        reasons.contains(&"the row was deleted on the server".to_owned()),
        "{reasons:?}"
    );
    assert!(
        reasons
            .iter()
            .any(|r| r.contains("launch_id names a row of launches")),
        "{reasons:?}"
    );
    assert!(b.replica.table_rows("bookings").unwrap().is_empty());
    server.sync(&mut a.replica, &admin);
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
}

/// A console whose clock runs ahead: its earlier edit, just inside the server's bound, and
/// its later one, beyond it and re-stamped, keep their order; and a counter at the end of its
/// digits is re-stamped, so no console that sees it is carried past what a clock can say.
#[test]
fn re_stamped_ops_keep_their_consoles_order_and_no_counter_overflows() {
    use galaxium_sync::protocol::{OpKind, OpResult};
    let server = TestServer::start(chrono::Duration::hours(1));
    let mut a = console();
    let admin = server.client("ada");
    let launch = add_fleet_and_launch(&mut a.replica);
    server.sync(&mut a.replica, &admin);
    let device = "clock-ahead";
    let first = raw_op(
        device,
        1,
        now_ms() + 4 * 60_000,
        "launches",
        &launch,
        OpKind::Update,
        json!({"pad": "first"}),
    );
    let second = raw_op(
        device,
        2,
        now_ms() + 10 * 60_000,
        "launches",
        &launch,
        OpKind::Update,
        json!({"pad": "second"}),
    );
    for op in [first, second] {
        let verdict = push_raw(&server, &admin, op);
        assert!(matches!(verdict, OpResult::Accepted { .. }), "{verdict:?}");
    }
    server.sync(&mut a.replica, &admin);
    assert_eq!(launch_field(&a.replica, &launch, "pad"), json!("second"));

    let mut overflowing = raw_op(
        "counter-end",
        1,
        now_ms(),
        "launches",
        &launch,
        OpKind::Update,
        json!({"pad": "third"}),
    );
    overflowing.hlc = format!("{:015}-999999-counter-end", now_ms());
    let verdict = push_raw(&server, &admin, overflowing);
    assert!(matches!(verdict, OpResult::Accepted { .. }), "{verdict:?}");
    let mut b = console();
    server.sync(&mut b.replica, &admin);
    set(
        &mut b.replica,
        "launches",
        &launch,
        json!({"pad": "fourth"}),
    );
    let stamped = b.replica.pending_ops(1).unwrap()[0].hlc.clone();
    assert!(
        stamped.parse::<galaxium_sync::hlc::Hlc>().is_ok(),
        "{stamped}"
    );
    assert_eq!(server.sync(&mut b.replica, &admin).rejected, 0);
    server.sync(&mut a.replica, &admin);
    assert_eq!(launch_field(&a.replica, &launch, "pad"), json!("fourth"));
}

/// A refusal is no way to read a passenger's papers: the winning row a controller is sent
/// back has its personal columns blanked, as a pull would.
#[test]
fn a_refusal_never_hands_personal_data_to_a_role_that_may_not_read_it() {
    use galaxium_sync::protocol::{OpKind, OpResult};
    let Pair {
        server,
        mut a,
        admin,
        launch,
        ..
    } = synced_pair();
    sell_seat(&mut a.replica, &launch, "1A", "QX7T2M", "Ada Quist");
    server.sync(&mut a.replica, &admin);
    let passenger = a
        .replica
        .table_rows("passengers")
        .unwrap()
        .into_keys()
        .next()
        .unwrap();
    let controller = server.client("cal");
    let probe = raw_op(
        "probe",
        1,
        now_ms(),
        "passengers",
        &passenger,
        OpKind::Update,
        json!({}),
    );
    // The same op sent again is answered with the refusal kept for it; naming another table
    // must not change which columns are blanked in it.
    let mut again = probe.clone();
    again.table = "launches".into();
    for verdict in [
        push_raw(&server, &controller, probe),
        push_raw(&server, &controller, again),
    ] {
        let OpResult::Rejected {
            winner: Some(winner),
            ..
        } = verdict
        else {
            panic!("{verdict:?}")
        };
        assert_eq!(winner["full_name"], json!("Ada Quist"));
        for column in [
            "date_of_birth",
            "document_number",
            "email",
            "phone",
            "emergency_contact",
            "nationality",
        ] {
            assert_eq!(winner[column], Value::Null, "{column}");
        }
    }
}

/// By default a sign-in without a console's device key (a script's, an older console's)
/// pushes for no console and keeps no pull cursor; it may still read.
#[test]
fn a_sign_in_without_a_device_key_speaks_for_no_console() {
    use galaxium_sync::protocol::{OpKind, PushRequest};
    let server = TestServer::strict();
    let mut console = console();
    let on_console = server.client_on("ada", &console.replica);
    let launch = add_fleet_and_launch(&mut console.replica);
    assert_eq!(server.sync(&mut console.replica, &on_console).rejected, 0);
    let unbound = server.client("ada");
    let op = raw_op(
        "a-console-of-no-one",
        1,
        now_ms(),
        "launches",
        &launch,
        OpKind::Update,
        json!({"mission": "Unsigned"}),
    );
    let err = server
        .runtime
        .block_on(unbound.push(&PushRequest {
            device_id: op.device_id.clone(),
            ops: vec![op],
            training: false,
            epoch: None,
        }))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("carries no device key")),
        "{err}"
    );
    let err = server
        .runtime
        .block_on(unbound.pull("a-console-of-no-one", 0, 10))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    // Reading, with no cursor kept for anyone, is still allowed.
    let page: galaxium_sync::protocol::PullResponse = server
        .runtime
        .block_on(async {
            reqwest::Client::new()
                .get(format!("{}/api/v1/pull?after=0&limit=10", server.url))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .bearer_auth(unbound.token().unwrap())
                .send()
                .await?
                .error_for_status()?
                .json()
                .await
        })
        .unwrap();
    assert!(!page.ops.is_empty());
    // Each op says who made it: the user the server signed in, not a console's word.
    assert!(
        page.ops.iter().all(|op| op.by.as_deref() == Some("ada")),
        "{:?}",
        page.ops.iter().map(|op| &op.by).collect::<Vec<_>>()
    );
    // The console's own sign-in syncs as ever.
    console
        .replica
        .write(|w| {
            let mut values = Map::new();
            values.insert("pad".into(), json!("LC-39B"));
            w.update("launches", &launch, values)
        })
        .unwrap();
    let summary = server.sync(&mut console.replica, &on_console);
    assert_eq!((summary.pushed, summary.rejected), (1, 0), "{summary}");
}

/// The device a console's ops come from is the one its sign-in registered, never the one a
/// request names: the attacks of the server-trust review, replayed.
#[test]
fn a_sign_in_speaks_only_for_its_own_console() {
    use galaxium_sync::protocol::{OpKind, OpResult, PushRequest};
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut admin_console, mut staff_console) = (console(), console());
    let admin = server.client_on("ada", &admin_console.replica);
    let staff = server.client_on("sam", &staff_console.replica);
    let launch = add_fleet_and_launch(&mut admin_console.replica);
    assert_eq!(server.sync(&mut admin_console.replica, &admin).rejected, 0);
    assert_eq!(server.sync(&mut staff_console.replica, &staff).rejected, 0);
    let victim = admin_console.replica.device_id().to_owned();
    let forged = |seq: u64| {
        raw_op(
            &victim,
            seq,
            now_ms(),
            "launches",
            &launch,
            OpKind::Update,
            json!({"mission": "Forged"}),
        )
    };
    let push = |client: &SyncClient, device: &str, op| {
        server.runtime.block_on(client.push(&PushRequest {
            device_id: device.to_owned(),
            ops: vec![op],
            training: false,
            epoch: None,
        }))
    };

    // Staff, signed in on its own console, names the admin console: refused whole.
    let err = push(&staff, &victim, forged(100)).unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("belongs to device")),
        "{err}"
    );
    // An op naming the admin console inside staff's own push is refused as another device's.
    let (response, _, _) = push(&staff, staff_console.replica.device_id(), forged(100)).unwrap();
    assert!(
        matches!(&response.results[0], OpResult::Rejected { rule: Some(r), .. } if *r == galaxium_sync::protocol::RefusalRule::Device),
        "{:?}",
        response.results
    );
    // A sign-in without a device cannot speak for a registered console either.
    let unbound = server.client("sam");
    let err = push(&unbound, &victim, forged(100)).unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("registered to a console")),
        "{err}"
    );
    let err = server
        .runtime
        .block_on(unbound.pull(&victim, 0, 10))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    // Nor can a sign-in that claims the admin console's id without its key.
    let mut thief = SyncClient::new(&server.url).unwrap();
    let mut claim = admin_console.replica.device_claim().unwrap();
    claim.key = "0".repeat(64);
    let err = server
        .runtime
        .block_on(thief.login_as("sam", PASSWORD, Some(claim)))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("registered to another console")),
        "{err}"
    );

    // The admin console's own edits still go through, and the launch was never forged.
    set(
        &mut admin_console.replica,
        "launches",
        &launch,
        json!({"mission": "Genuine"}),
    );
    let run = server.sync(&mut admin_console.replica, &admin);
    assert_eq!((run.pushed, run.rejected), (1, 0));
    server.sync(&mut staff_console.replica, &staff);
    assert_eq!(
        staff_console.replica.table_rows("launches").unwrap()[&launch]["mission"],
        "Genuine"
    );
}

#[test]
fn an_op_under_a_used_sequence_number_or_op_id_is_refused_never_accepted() {
    use galaxium_sync::protocol::{OpKind, OpResult};
    let server = TestServer::start(chrono::Duration::hours(1));
    // A console from before device keys: its sign-in names its device in each request.
    let staff = server.client("ada");
    let row = replica::new_id();
    let port = |seq: u64, code: &str| {
        raw_op(
            "older-console",
            seq,
            now_ms(),
            "spaceports",
            &row,
            if seq == 1 {
                OpKind::Insert
            } else {
                OpKind::Update
            },
            json!({"code": code, "name": "Port", "lat_deg": 1.0, "lon_deg": 2.0, "alt_m": 0.0, "demo": false}),
        )
    };
    let first = port(1, "AAA");
    let verdict = push_raw(&server, &staff, first.clone());
    assert!(matches!(verdict, OpResult::Accepted { .. }), "{verdict:?}");
    // The same op again: the same answer.
    assert_eq!(
        push_raw(&server, &staff, first.clone()),
        OpResult::Accepted {
            op_id: first.op_id.clone()
        }
    );
    // Another op under the used number: refused, not "accepted" and silently dropped.
    let verdict = push_raw(&server, &staff, port(1, "BBB"));
    assert!(
        matches!(&verdict, OpResult::Rejected { reason, .. } if reason.contains("sequence number 1")),
        "{verdict:?}"
    );
    // A used op id under a new number: refused as a refusal (not a 503 retried for ever).
    let mut again = port(2, "CCC");
    again.op_id.clone_from(&first.op_id);
    let verdict = push_raw(&server, &staff, again.clone());
    assert!(
        matches!(&verdict, OpResult::Rejected { reason, .. } if reason.contains("op id")),
        "{verdict:?}"
    );
    assert_eq!(
        push_raw(&server, &staff, again),
        verdict,
        "answered the same again"
    );
    // Numbers out of range.
    for seq in [0, 1 << 63, u64::MAX] {
        let verdict = push_raw(&server, &staff, port(seq, "DDD"));
        assert!(
            matches!(verdict, OpResult::Rejected { .. }),
            "{seq}: {verdict:?}"
        );
    }
}

#[test]
fn a_training_pull_naming_an_operational_console_changes_nothing_for_it() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let mut operational = console();
    let admin = server.client_on("ada", &operational.replica);
    add_fleet_and_launch(&mut operational.replica);
    assert_eq!(server.sync(&mut operational.replica, &admin).rejected, 0);
    let trainer = server.client("ted");
    let session = server
        .runtime
        .block_on(trainer.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap();
    // The trainer names the admin console in a session's pull (and a push).
    let in_session = trainer.clone().in_training_session(&session.id);
    let _ = server
        .runtime
        .block_on(in_session.pull(operational.replica.device_id(), 0, 10));
    let _ = server
        .runtime
        .block_on(in_session.push(&galaxium_sync::protocol::PushRequest {
            device_id: operational.replica.device_id().to_owned(),
            ops: Vec::new(),
            training: true,
            epoch: None,
        }));
    // The admin console syncs with operations as before.
    let vehicle = operational.replica.table_rows("vehicles").unwrap();
    let vehicle = vehicle.keys().next().unwrap();
    set(
        &mut operational.replica,
        "vehicles",
        vehicle,
        json!({"name": "Aurora II"}),
    );
    let run = server.sync(&mut operational.replica, &admin);
    assert_eq!((run.pushed, run.rejected), (1, 0));
}

#[test]
fn password_guessing_is_slowed_and_the_right_password_works_after_the_wait() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let http = reqwest::Client::new();
    let login = |user: &str, password: &str| {
        server.runtime.block_on(async {
            let response = http
                .post(format!("{}/api/v1/login", server.url))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .json(&json!({"user": user, "password": password}))
                .send()
                .await
                .unwrap();
            let retry_after = response
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().parse::<u64>().unwrap());
            (response.status().as_u16(), retry_after)
        })
    };
    for _ in 0..=galaxium_server::throttle::USER_FREE_FAILURES {
        assert_eq!(login("sam", "a guess").0, 401);
    }
    // Now even the right password waits: answered at once, with how long.
    let (status, retry_after) = login("sam", PASSWORD);
    assert_eq!(status, 429);
    let wait = retry_after.expect("a Retry-After header");
    assert!((1..=60).contains(&wait), "{wait}");
    // Another user is not held up.
    assert_eq!(login("ada", PASSWORD).0, 200);
    // After the wait, the right password works: slowed, never locked out.
    std::thread::sleep(std::time::Duration::from_secs(wait));
    assert_eq!(login("sam", PASSWORD).0, 200);
}

#[test]
fn idle_and_silent_connections_are_closed() {
    use std::io::Read as _;
    let server = TestServer::start(chrono::Duration::hours(1));
    let address = server.url.trim_start_matches("http://").to_owned();
    let started = std::time::Instant::now();
    let mut silent: Vec<std::net::TcpStream> = (0..20)
        .map(|_| std::net::TcpStream::connect(&address).unwrap())
        .collect();
    // A slow client: half a request head, then nothing.
    let mut slow = std::net::TcpStream::connect(&address).unwrap();
    std::io::Write::write_all(&mut slow, b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    silent.push(slow);
    for stream in &mut silent {
        stream
            .set_read_timeout(Some(std::time::Duration::from_secs(20)))
            .unwrap();
        let mut buf = [0_u8; 512];
        // Closed by the server: end of stream (or the answer to a timed-out head, then end).
        loop {
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    }
    let took = started.elapsed();
    assert!(
        took < galaxium_server::serving::HEADER_READ + std::time::Duration::from_secs(5),
        "closed after {took:?}"
    );
    // And the server still answers.
    let health = server
        .runtime
        .block_on(async { reqwest::get(format!("{}/health", server.url)).await })
        .unwrap();
    assert_eq!(health.status(), 200);
}

#[test]
fn a_pull_page_is_bounded_in_bytes_and_large_ops_still_all_arrive() {
    use galaxium_sync::protocol::{MAX_PULL_BYTES, OpKind, OpResult};
    let server = TestServer::start(chrono::Duration::hours(1));
    let admin = server.client("ada");
    let big = "x".repeat(1024 * 1024);
    for seq in 1..=30 {
        let verdict = push_raw(
            &server,
            &admin,
            raw_op(
                "bulk-console",
                seq,
                now_ms(),
                "spaceports",
                &replica::new_id(),
                OpKind::Insert,
                json!({"code": format!("B{seq:02}"), "name": big, "lat_deg": 0.0, "lon_deg": 0.0, "alt_m": 0.0, "demo": false}),
            ),
        );
        assert!(matches!(verdict, OpResult::Accepted { .. }), "{verdict:?}");
    }
    let (page, bytes) = server
        .runtime
        .block_on(admin.pull("another-console", 0, 1_000))
        .unwrap();
    assert!(page.more, "the page says there is more");
    assert!(
        (1..30).contains(&page.ops.len()),
        "{} ops in one page",
        page.ops.len()
    );
    assert!(
        usize::try_from(bytes).unwrap() <= MAX_PULL_BYTES + 1024 * 1024 + 64 * 1024,
        "{bytes} bytes in one page"
    );
    // A console pulling page after page gets every one of them.
    let mut fresh = console();
    server.sync(&mut fresh.replica, &admin);
    assert_eq!(fresh.replica.table_rows("spaceports").unwrap().len(), 30);
}

#[test]
fn who_acknowledged_is_the_signed_in_user_as_the_server_saw_them() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut controller_console, mut other) = (console(), console());
    let controller = server.client_on("cal", &controller_console.replica);
    let admin = server.client_on("ada", &other.replica);
    // The console claims an admin acknowledged, from another console.
    let id = replica::new_id();
    controller_console
        .replica
        .write(|w| {
            w.insert(
                "alarm_acknowledgements",
                &id,
                object(json!({
                    "channel": "ls.ppco2", "severity": "critical",
                    "acknowledged_at": "2026-11-30T12:00:00.000Z", "acknowledged_by": "ada",
                    "comment": "scrubber B selected", "device_id": "the-admins-console",
                    "demo": false,
                })),
            )
        })
        .unwrap();
    assert_eq!(
        server
            .sync(&mut controller_console.replica, &controller)
            .rejected,
        0
    );
    server.sync(&mut other.replica, &admin);
    let row = &other.replica.table_rows("alarm_acknowledgements").unwrap()[&id];
    assert_eq!(row["acknowledged_by"], "cal");
    assert_eq!(row["device_id"], controller_console.replica.device_id());
    assert_eq!(row["comment"], "scrubber B selected");
}

/// Runs the server binary's command line on `db` with `stdin`; its output, or its error.
fn server_command(
    db: impl AsRef<std::ffi::OsStr>,
    args: &[&str],
    stdin: &str,
) -> Result<String, String> {
    use std::io::Write as _;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_galaxium-server"))
        .arg("--db")
        .arg(db)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

#[test]
fn admins_manage_users_and_every_change_ends_sign_ins_at_once_and_is_audited() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let db = server.db.db_argument();
    let run = |args: &[&str], stdin: &str| server_command(&db, args, stdin);
    let mut sam = server.client("sam");
    let mut replica = console();
    let still_works = |client: &SyncClient| {
        server
            .runtime
            .block_on(client.pull("a-console", 0, 1))
            .map(|_| ())
    };
    still_works(&sam).unwrap();

    // Disabled: the token stops working, and so does the password.
    run(&["user", "disable", "sam"], "").unwrap();
    assert!(matches!(still_works(&sam), Err(SyncError::Unauthorized(_))));
    let err = server
        .runtime
        .block_on(sam.login("sam", PASSWORD))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("disabled")),
        "{err}"
    );
    let listed = run(&["user", "list"], "").unwrap();
    assert!(listed.contains("sam\tstaff\tdisabled"), "{listed}");
    run(&["user", "enable", "sam"], "").unwrap();
    server.runtime.block_on(sam.login("sam", PASSWORD)).unwrap();

    // A new role ends the sign-in made under the old one.
    run(&["user", "set-role", "sam", "--role", "controller"], "").unwrap();
    assert!(matches!(still_works(&sam), Err(SyncError::Unauthorized(_))));
    let login = server.runtime.block_on(sam.login("sam", PASSWORD)).unwrap();
    assert_eq!(login.role, "controller");

    // A new password: the old one no longer works, the new one does.
    run(&["user", "reset-password", "sam"], "a new long password\n").unwrap();
    assert!(server.runtime.block_on(sam.login("sam", PASSWORD)).is_err());
    server
        .runtime
        .block_on(sam.login("sam", "a new long password"))
        .unwrap();

    // Signed out everywhere (a lost laptop), and a sign-out of one's own.
    run(&["user", "sign-out", "sam"], "").unwrap();
    assert!(matches!(still_works(&sam), Err(SyncError::Unauthorized(_))));
    let mut ada = server.client_on("ada", &replica.replica);
    server.sync(&mut replica.replica, &ada);
    server.runtime.block_on(ada.logout()).unwrap();
    let mut ada_again = ada.clone().with_token("stale".into());
    assert!(server.runtime.block_on(ada_again.logout()).is_err());
    assert!(matches!(still_works(&ada), Err(SyncError::Unauthorized(_))));

    // Unknown users are said to be unknown.
    assert!(
        run(&["user", "disable", "nobody"], "")
            .unwrap_err()
            .contains("no user")
    );

    // The audit log: on the command line, and for admins over HTTP (not for others).
    let audit = run(&["audit"], "").unwrap();
    for action in [
        "user-disabled",
        "sign-in-refused",
        "user-enabled",
        "user-role-set",
        "user-password-reset",
        "sign-in-failed",
        "user-signed-out",
        "sign-out",
    ] {
        assert!(
            audit.contains(&format!("\t{action}\t")),
            "{action} in\n{audit}"
        );
    }
    assert!(audit.contains("\tsam\tsign-in\t"), "{audit}");
    let http = reqwest::Client::new();
    let read = |token: &str| {
        server.runtime.block_on(async {
            let response = http
                .get(format!("{}/api/v1/admin/audit?limit=1000", server.url))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    let admin = server.client("ada");
    let (status, body) = read(admin.token().unwrap());
    assert_eq!(status, 200, "{body}");
    let entries: Vec<galaxium_server::store::AuditEntry> = serde_json::from_str(&body).unwrap();
    assert!(entries.iter().any(|e| e.action == "sign-in-failed"
        && e.actor == "sam"
        && e.address.as_deref() == Some("127.0.0.1")));
    assert_eq!(read("not-a-token").0, 401);
    let controller = server.client("cal");
    assert_eq!(read(controller.token().unwrap()).0, 403);
    let _ = &mut replica;
}

#[test]
fn a_version_that_never_was_times_from_nowhere_and_a_wrong_method_get_a_reason() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let http = reqwest::Client::new();
    let admin = server.client("ada");
    let token = admin.token().unwrap().to_owned();
    let call = |request: reqwest::RequestBuilder| {
        server.runtime.block_on(async {
            let response = request.send().await.unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    // Protocol version 0 never existed.
    let (status, body) = call(
        http.post(format!("{}/api/v1/login", server.url))
            .header(PROTOCOL_HEADER, "0")
            .json(&json!({"user": "ada", "password": PASSWORD})),
    );
    assert_eq!(status, 400, "{body}");
    // Telemetry from the year 10^292, and a training clock anchored at 10^308.
    let (status, body) = call(
        http.post(format!("{}/api/v1/telemetry/batch", server.url))
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .bearer_auth(&token)
            .json(&json!({"points": [{"t": 1e300, "channel": "ls.ppo2", "value": 21.0}]})),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("point 0"), "{body}");
    let session = server
        .runtime
        .block_on(admin.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap();
    let (status, body) = call(
        http.put(format!(
            "{}/api/v1/training/sessions/{}/clock",
            server.url, session.id
        ))
        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
        .bearer_auth(&token)
        .json(&json!({"rate": 1.0, "anchor_wall": 1e308, "anchor_mission": -1e308})),
    );
    assert_eq!(status, 400, "{body}");
    assert!(body.contains("anchors"), "{body}");
    // A wrong method says so, in words.
    let (status, body) = call(http.delete(format!("{}/api/v1/push", server.url)));
    assert_eq!(status, 405);
    assert!(body.contains("does not take DELETE"), "{body}");
}

#[test]
fn only_a_sessions_members_see_read_or_write_it() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (trainer, member, outsider) = (
        server.client("ted"),
        server.client("tia"),
        server.client("tom_outsider"),
    );
    let session = server
        .runtime
        .block_on(trainer.create_training_session("slow-cabin-leak", &["tia"]))
        .unwrap();
    let listed = |client: &SyncClient| {
        server
            .runtime
            .block_on(client.training_sessions())
            .unwrap()
            .into_iter()
            .map(|s| s.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(listed(&trainer), vec![session.id.clone()]);
    assert_eq!(listed(&member), vec![session.id.clone()]);
    assert!(listed(&outsider).is_empty(), "an outsider sees no session");
    let in_session = |client: &SyncClient| client.clone().in_training_session(&session.id);
    server
        .runtime
        .block_on(in_session(&member).pull("tia-sandbox", 0, 10))
        .unwrap();
    let err = server
        .runtime
        .block_on(in_session(&outsider).pull("tom-sandbox", 0, 10))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("does not take part")),
        "{err}"
    );
    let err = server
        .runtime
        .block_on(outsider.training_session(&session.id))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    // Members are users the server knows.
    let err = server
        .runtime
        .block_on(trainer.create_training_session("slow-cabin-leak", &["nobody"]))
        .unwrap_err();
    assert!(format!("{err}").contains("no user"), "{err}");
}

#[test]
fn service_accounts_have_long_lived_revocable_tokens_each_good_for_one_thing() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let db = server.db.db_argument();
    let create = |name: &str, scope: &str| {
        server_command(&db, &["token", "create", name, "--scope", scope], "")
            .unwrap()
            .trim()
            .to_owned()
    };
    let scraper = create("prometheus", "metrics");
    let producer = create("ground-segment", "telemetry");
    assert_eq!(scraper.len(), 64);
    let listed = server_command(&db, &["token", "list"], "").unwrap();
    assert!(
        listed.contains("prometheus\tservice\tmetrics\tuntil "),
        "{listed}"
    );
    let http = reqwest::Client::new();
    let call = |request: reqwest::RequestBuilder, token: &str| {
        server.runtime.block_on(async {
            let response = request
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .bearer_auth(token)
                .send()
                .await
                .unwrap();
            (response.status().as_u16(), response.text().await.unwrap())
        })
    };
    let metrics = || http.get(format!("{}/metrics", server.url));
    let batch = || {
        http.post(format!("{}/api/v1/telemetry/batch", server.url))
            .json(&json!({"points": [{"t": 1_790_000_000.0, "channel": "ls.ppo2", "value": 21.0}]}))
    };
    let pull = || http.get(format!("{}/api/v1/pull?after=0", server.url));
    // Each does its one thing.
    let (status, text) = call(metrics(), &scraper);
    assert_eq!(status, 200, "{text}");
    assert_eq!(call(batch(), &producer).0, 200);
    // And nothing else.
    let (status, text) = call(batch(), &scraper);
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("only be used for metrics"), "{text}");
    assert_eq!(call(metrics(), &producer).0, 403);
    assert_eq!(call(pull(), &scraper).0, 403);
    // Nobody signs in as the service account with a password.
    let mut client = SyncClient::new(&server.url).unwrap();
    assert!(
        server
            .runtime
            .block_on(client.login("service", "!"))
            .is_err()
    );
    // Revoked: it stops at once.
    server_command(&db, &["token", "revoke", "prometheus"], "").unwrap();
    assert_eq!(call(metrics(), &scraper).0, 401);
    assert!(server_command(&db, &["token", "revoke", "prometheus"], "").is_err());

    // The metrics carry a request-duration histogram per endpoint.
    let admin = server.client("ada");
    let (status, text) = call(metrics(), admin.token().unwrap());
    assert_eq!(status, 200);
    for line in [
        "# TYPE galaxium_http_request_duration_seconds histogram",
        "galaxium_http_request_duration_seconds_bucket{endpoint=\"login\",le=\"+Inf\"} ",
        "galaxium_http_request_duration_seconds_count{endpoint=\"telemetry_batch\"} ",
    ] {
        assert!(text.contains(line), "{line} in\n{text}");
    }
    let logins: u64 = text
        .lines()
        .find_map(|l| {
            l.strip_prefix("galaxium_http_request_duration_seconds_count{endpoint=\"login\"} ")
        })
        .unwrap()
        .parse()
        .unwrap();
    assert!(logins >= 2, "{logins} sign-ins timed");
}

/// On the PostgreSQL pass, a new database with the admin `ada` (and a folder for the test's
/// files); `None` on the SQLite pass, which these tests are not for.
fn postgres_database_with_ada() -> Option<(tempfile::TempDir, TestDatabase)> {
    if !galaxium_server::testing::on_postgres() {
        eprintln!(
            "runs in the PostgreSQL pass: GALAXIUM_TEST_DATABASE=postgres under pg_virtualenv"
        );
        return None;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = TestDatabase::fresh(dir.path());
    db.open()
        .add_user("ada", Role::Admin, &auth::hash_password(PASSWORD).unwrap())
        .unwrap();
    Some((dir, db))
}

/// `replica`'s console signed in as the admin at `url`.
fn admin_at(runtime: &tokio::runtime::Runtime, url: &str, replica: &Replica) -> SyncClient {
    let mut client = SyncClient::new(url).unwrap();
    runtime
        .block_on(client.login_as("ada", PASSWORD, Some(replica.device_claim().unwrap())))
        .unwrap();
    client
}

/// Syncs every console at once, each on its own thread; the summaries, in order.
fn sync_at_once(
    consoles: &mut [(&mut Replica, &SyncClient)],
) -> Vec<galaxium_sync::client::SyncSummary> {
    std::thread::scope(|scope| {
        let running: Vec<_> = consoles
            .iter_mut()
            .map(|(replica, client)| {
                scope.spawn(move || {
                    tokio::runtime::Runtime::new()
                        .unwrap()
                        .block_on(sync_once(replica, client))
                        .unwrap()
                })
            })
            .collect();
        running.into_iter().map(|t| t.join().unwrap()).collect()
    })
}

/// Two server processes on one PostgreSQL database serve consoles interchangeably: the same
/// seat and the same vehicle name sold through both at the same moment end with one holder;
/// consoles pushing through both while another pulls through one never make it skip an op;
/// telemetry posted to one reaches a console following the other, every point once and in
/// order; and an instance killed mid-push loses nothing.
#[test]
#[allow(clippy::too_many_lines, reason = "one story, read top to bottom")]
fn two_server_instances_on_one_postgres_database_serve_as_one() {
    let Some((_dir, db)) = postgres_database_with_ada() else {
        return;
    };
    let (mut one, url_one) = spawn_server(db.db_argument());
    let (two, url_two) = spawn_server(db.db_argument());
    let runtime = tokio::runtime::Runtime::new().unwrap();

    // A fleet made through one instance is there through the other.
    let (mut a, mut b) = (console(), console());
    let launch = add_fleet_and_launch(&mut a.replica);
    let (on_one, on_two) = (
        admin_at(&runtime, &url_one, &a.replica),
        admin_at(&runtime, &url_two, &b.replica),
    );
    runtime
        .block_on(sync_once(&mut a.replica, &on_one))
        .unwrap();
    runtime
        .block_on(sync_once(&mut b.replica, &on_two))
        .unwrap();
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));

    // Every seat and one vehicle name sold through both instances at the same moment.
    let seats = ["1A", "1B", "2A", "2B", "3A", "3B"];
    for (i, seat) in seats.iter().enumerate() {
        sell_seat(
            &mut a.replica,
            &launch,
            seat,
            &format!("ONE{i:03}"),
            "Ada Quist",
        );
        sell_seat(
            &mut b.replica,
            &launch,
            seat,
            &format!("TWO{i:03}"),
            "Bo Lind",
        );
    }
    for replica in [&mut a.replica, &mut b.replica] {
        replica
            .write(|w| w.insert_vehicle(&vehicle_named("Borealis")))
            .unwrap();
    }
    let sold = sync_at_once(&mut [(&mut a.replica, &on_one), (&mut b.replica, &on_two)]);
    let refused: u64 = sold.iter().map(|s| s.rejected).sum();
    assert_eq!(refused, 7, "one of each pair is refused: {sold:?}");
    assert_eq!(
        db.count("SELECT count(*) FROM rows WHERE table_name = 'bookings' AND deleted = false"),
        6
    );
    assert_eq!(
        db.count("SELECT count(*) FROM rows WHERE table_name = 'vehicles' AND deleted = false"),
        2,
        "Aurora and one Borealis"
    );

    // Four consoles push through both instances while a fifth pulls through the second:
    // an op that commits after a later-numbered one must still reach it.
    let mut pushers: Vec<Console> = (0..4).map(|_| console()).collect();
    for pusher in &mut pushers {
        let client = admin_at(&runtime, &url_one, &pusher.replica);
        runtime
            .block_on(sync_once(&mut pusher.replica, &client))
            .unwrap();
        add_launches(&mut pusher.replica, 300);
    }
    let mut follower = console();
    let following = admin_at(&runtime, &url_two, &follower.replica);
    let clients: Vec<SyncClient> = pushers
        .iter()
        .enumerate()
        .map(|(i, p)| admin_at(&runtime, [&url_one, &url_two][i % 2], &p.replica))
        .collect();
    let done = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let runtime = tokio::runtime::Runtime::new().unwrap();
            while !done.load(std::sync::atomic::Ordering::SeqCst) {
                runtime
                    .block_on(sync_once(&mut follower.replica, &following))
                    .unwrap();
            }
        });
        let mut consoles: Vec<(&mut Replica, &SyncClient)> = pushers
            .iter_mut()
            .zip(&clients)
            .map(|(p, c)| (&mut p.replica, c))
            .collect();
        for summary in sync_at_once(&mut consoles) {
            assert_eq!(summary.rejected, 0, "{summary}");
        }
        done.store(true, std::sync::atomic::Ordering::SeqCst);
    });
    runtime
        .block_on(sync_once(&mut follower.replica, &following))
        .unwrap();
    let held =
        db.count("SELECT count(*) FROM rows WHERE table_name = 'launches' AND deleted = false");
    assert_eq!(held, 1 + 4 * 300);
    assert_eq!(
        i64::try_from(follower.replica.table_rows("launches").unwrap().len()).unwrap(),
        held,
        "the follower's cursor skipped no op"
    );

    // Telemetry posted to one instance reaches a console following the other.
    runtime.block_on(async {
        let (frames, mut received) = tokio::sync::mpsc::unbounded_channel();
        let (connected, is_connected) = tokio::sync::oneshot::channel();
        let token = on_two.token().unwrap().to_owned();
        let base = url_two.clone();
        let follow = tokio::spawn(async move {
            galaxium_sync::live::follow(
                &base,
                None,
                &token,
                None,
                move |frame| {
                    let _ = frames.send(frame);
                },
                move || {
                    let _ = connected.send(());
                },
            )
            .await
        });
        is_connected.await.unwrap();
        let batches = 50;
        let per_batch = 200;
        for batch in 0..batches {
            let points = (0..per_batch)
                .map(|i| galaxium_sync::protocol::TelemetryPoint {
                    t: 1_790_000_000.0 + f64::from(batch * per_batch + i) * 0.01,
                    channel: "cabin_pressure".into(),
                    value: f64::from(batch * per_batch + i),
                })
                .collect();
            on_one
                .post_telemetry(&galaxium_sync::protocol::TelemetryBatch { points })
                .await
                .unwrap();
        }
        let mut seen = Vec::new();
        let mut last_seq = 0;
        while seen.len() < usize::try_from(batches * per_batch).unwrap() {
            let frame = tokio::time::timeout(std::time::Duration::from_secs(10), received.recv())
                .await
                .expect("every point reaches the other instance's follower")
                .unwrap();
            assert!(frame.first_seq > last_seq, "in order, none twice");
            last_seq = frame.last_seq;
            seen.extend(frame.points.iter().map(|p| p.value));
        }
        let sent: Vec<f64> = (0..batches * per_batch).map(f64::from).collect();
        assert_eq!(seen, sent);
        follow.abort();
    });

    // An instance killed mid-push: the console finishes through the other one.
    let mut k = console_with_launches(3_000);
    let through_one = admin_at(&runtime, &url_one, &k.replica);
    let before = db.count("SELECT count(*) FROM ops");
    let pushing = std::thread::scope(|scope| {
        let push = scope.spawn(|| {
            tokio::runtime::Runtime::new()
                .unwrap()
                .block_on(sync_once(&mut k.replica, &through_one))
        });
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
        while db.count("SELECT count(*) FROM ops") == before && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        one.kill().unwrap();
        push.join().unwrap()
    });
    let _ = one.wait();
    if let Err(err) = &pushing {
        assert!(err.is_retryable(), "{err}");
    }
    let through_two = admin_at(&runtime, &url_two, &k.replica);
    runtime
        .block_on(sync_once(&mut k.replica, &through_two))
        .unwrap();
    assert_eq!(k.replica.pending_count().unwrap(), 0);
    assert_eq!(
        db.count("SELECT count(*) - count(DISTINCT (device_id, seq)) FROM ops"),
        0,
        "no op stored twice"
    );
    // The killed instance comes back, and every console converges through either.
    let (mut again, url_again) = spawn_server(db.db_argument());
    let on_again = admin_at(&runtime, &url_again, &a.replica);
    for (replica, client) in [
        (&mut a.replica, &on_again),
        (&mut b.replica, &on_two),
        (&mut follower.replica, &following),
    ] {
        runtime.block_on(sync_once(replica, client)).unwrap();
    }
    assert_eq!(snapshot(&a.replica), snapshot(&b.replica));
    assert_eq!(snapshot(&a.replica), snapshot(&follower.replica));
    assert_eq!(snapshot(&a.replica), snapshot(&k.replica));
    stop_gracefully(two);
    again.kill().unwrap();
    let _ = again.wait();
}

/// A PostgreSQL server restored from `pg_dump`: the server finds it runs on a copy (a new
/// epoch, every sign-in ended), and the consoles that synced after the dump send again what
/// it lacks, so nothing is lost.
#[test]
fn a_postgres_database_restored_from_pg_dump_and_its_consoles_converge() {
    let Some((dir, db)) = postgres_database_with_ada() else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let (server, url) = spawn_server(db.db_argument());
    let (mut a, mut b) = (console(), console());
    let (on_a, on_b) = (
        admin_at(&runtime, &url, &a.replica),
        admin_at(&runtime, &url, &b.replica),
    );
    add_fleet_and_launch(&mut a.replica);
    runtime.block_on(sync_once(&mut a.replica, &on_a)).unwrap();
    let dump = dir.path().join("galaxium.dump");
    let dumped = std::process::Command::new("pg_dump")
        .args(["--format=custom", "--file"])
        .arg(&dump)
        .arg(db.db_argument())
        .status()
        .unwrap();
    assert!(dumped.success());

    // After the dump: A adds launches and syncs, B pulls them.
    let added = add_launches(&mut a.replica, 5);
    runtime.block_on(sync_once(&mut a.replica, &on_a)).unwrap();
    runtime.block_on(sync_once(&mut b.replica, &on_b)).unwrap();
    stop_gracefully(server);

    // Restored into a new database, as after losing the machine.
    let restored = TestDatabase::fresh(dir.path());
    let put_back = std::process::Command::new("pg_restore")
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(restored.db_argument())
        .arg(&dump)
        .status()
        .unwrap();
    assert!(put_back.success());
    let (mut server, url) = spawn_server(restored.db_argument());
    let stale = SyncClient::new(&url)
        .unwrap()
        .with_token(on_a.token().unwrap().to_owned());
    let err = runtime
        .block_on(sync_once(&mut a.replica, &stale))
        .unwrap_err();
    assert!(matches!(err, SyncError::Unauthorized(_)), "{err}");
    let (on_a, on_b) = (
        admin_at(&runtime, &url, &a.replica),
        admin_at(&runtime, &url, &b.replica),
    );
    let again = runtime.block_on(sync_once(&mut a.replica, &on_a)).unwrap();
    // What it sent is sent again (what the copy held already is answered as before).
    assert!(again.resent >= 5, "{again}");
    assert_eq!(again.rejected, 0, "{again}");
    runtime.block_on(sync_once(&mut b.replica, &on_b)).unwrap();
    let mut c = console();
    let on_c = admin_at(&runtime, &url, &c.replica);
    runtime.block_on(sync_once(&mut c.replica, &on_c)).unwrap();
    for replica in [&a.replica, &b.replica, &c.replica] {
        let launches = replica.table_rows("launches").unwrap();
        assert!(added.iter().all(|id| launches.contains_key(id)));
        assert!(replica.conflicts(false).unwrap().is_empty());
    }
    assert_eq!(snapshot(&a.replica), snapshot(&c.replica));
    assert_eq!(snapshot(&b.replica), snapshot(&c.replica));
    server.kill().unwrap();
    let _ = server.wait();
}

/// Queues a command at `replica`'s console as the console writes it: the row and its first
/// stage. `queued_by` is what the console claims; the server writes who signed in.
fn queue_command(
    replica: &mut Replica,
    name: &str,
    arguments: &Value,
    hazard_confirmed: bool,
    queued_by: &str,
) -> String {
    let (id, device) = (replica::new_id(), replica.device_id().to_owned());
    let row = object(json!({
        "name": name,
        "arguments": arguments.to_string(),
        "priority": "normal",
        "queue_position": 1.0,
        "status": "queued",
        "hazard_confirmed": hazard_confirmed,
        "queued_by": queued_by,
        "queued_at": "2026-12-01T12:00:00Z",
        "device_id": device,
    }));
    let stage = command_stage(&id, "queued", queued_by, &device);
    replica
        .write(|w| {
            w.insert("commands", &id, row)?;
            w.insert("command_stages", &replica::new_id(), stage)
        })
        .unwrap();
    id
}

fn command_stage(command: &str, stage: &str, by: &str, device: &str) -> Map<String, Value> {
    object(json!({
        "command_id": command,
        "stage": stage,
        "at": "2026-12-01T12:00:05Z",
        "by_user": by,
        "device_id": device,
        "detail": "",
    }))
}

/// Moves a command to `status` with its stage, as the console does.
fn command_moves(replica: &mut Replica, id: &str, status: &str, by: &str) {
    let device = replica.device_id().to_owned();
    let stage = command_stage(id, status, by, &device);
    replica
        .write(|w| {
            w.update("commands", id, object(json!({ "status": status })))?;
            w.insert("command_stages", &replica::new_id(), stage)
        })
        .unwrap();
}

/// A delete of a command, pushed straight to the store as a crafted client would.
fn crafted_delete(server: &TestServer, id: &str) -> galaxium_sync::protocol::OpResult {
    let delete = galaxium_sync::protocol::Op {
        op_id: replica::new_id(),
        device_id: "a-crafted-client".into(),
        seq: 1,
        hlc: format!(
            "{:015}-{:06}-a-crafted-client",
            chrono::Utc::now().timestamp_millis(),
            0
        ),
        table: "commands".into(),
        row_id: id.to_owned(),
        kind: galaxium_sync::protocol::OpKind::Delete,
        payload: Map::new(),
    };
    server
        .db
        .open()
        .push(
            &galaxium_server::auth::Principal::of("cal", Role::Controller),
            "a-crafted-client",
            &[delete],
        )
        .unwrap()
        .remove(0)
        .result
}

#[test]
fn commands_are_judged_on_the_server_against_the_command_dictionary() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut desk, mut sender) = (console(), console());
    let (staff, cal) = (
        server.client_on("sam", &desk.replica),
        server.client_on("cal", &sender.replica),
    );

    // Spaceport staff do not command the vehicle.
    queue_command(
        &mut desk.replica,
        "PWR.BUS_B_ENABLE",
        &json!({}),
        false,
        "sam",
    );
    assert_eq!(server.sync(&mut desk.replica, &staff).rejected, 2);
    assert!(
        inbox_reasons(&desk.replica)
            .iter()
            .any(|r| r.contains("the staff role may not change commands")),
        "{:?}",
        inbox_reasons(&desk.replica)
    );

    // The dictionary's rules: a known command, its arguments, a confirmed hazard.
    queue_command(
        &mut sender.replica,
        "PWR.WARP_DRIVE",
        &json!({}),
        true,
        "cal",
    );
    queue_command(
        &mut sender.replica,
        "LS.SCRUBBER_MODE",
        &json!({"mode": "turbo"}),
        false,
        "cal",
    );
    queue_command(
        &mut sender.replica,
        "LS.SCRUBBER_OFF",
        &json!({}),
        false,
        "cal",
    );
    let summary = server.sync(&mut sender.replica, &cal);
    assert_eq!((summary.pushed, summary.rejected), (6, 6));
    let reasons = inbox_reasons(&sender.replica);
    for expected in [
        "there is no command \"PWR.WARP_DRIVE\" in the command dictionary",
        "mode must be one of normal, boost",
        "LS.SCRUBBER_OFF is hazardous and its sender did not confirm the hazard",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected}: {reasons:?}"
        );
    }
}

#[test]
fn a_two_person_command_is_approved_by_another_user_and_every_stage_is_audited() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let (mut sender, mut second) = (console(), console());
    let (cal, cyd) = (
        server.client_on("cal", &sender.replica),
        server.client_on("cyd", &second.replica),
    );
    // Who queued it is the server's word, not the console's.
    let id = queue_command(
        &mut sender.replica,
        "LS.SCRUBBER_OFF",
        &json!({}),
        true,
        "cyd",
    );
    assert_eq!(server.sync(&mut sender.replica, &cal).rejected, 0);
    server.sync(&mut second.replica, &cyd);
    assert_eq!(
        second.replica.table_rows("commands").unwrap()[&id]["queued_by"],
        "cal"
    );

    // Its sender cannot approve it, nor release it unapproved, nor make it another command.
    command_moves(&mut sender.replica, &id, "approved", "cyd");
    command_moves(&mut sender.replica, &id, "released", "cal");
    sender
        .replica
        .write(|w| w.update("commands", &id, object(json!({"name": "PWR.BUS_B_ENABLE"}))))
        .unwrap();
    let summary = server.sync(&mut sender.replica, &cal);
    assert_eq!((summary.pushed, summary.rejected), (5, 5), "{summary:?}");
    // A delete (no console sends one: a replica keeps its stages) is refused all the same.
    let verdict = crafted_delete(&server, &id);
    assert!(
        matches!(&verdict, galaxium_sync::protocol::OpResult::Rejected { reason, .. } if reason.contains("commands are never deleted")),
        "{verdict:?}"
    );
    let reasons = inbox_reasons(&sender.replica);
    for expected in [
        "LS.SCRUBBER_OFF needs the approval of another user than its sender (cal queued it)",
        "LS.SCRUBBER_OFF needs another user's approval before it is released",
        "a command's name is set when it is queued and never changes",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected}: {reasons:?}"
        );
    }

    // Another controller approves it; the sender's console then releases it.
    command_moves(&mut second.replica, &id, "approved", "cyd");
    let summary = server.sync(&mut second.replica, &cyd);
    assert_eq!((summary.pushed, summary.rejected), (2, 0), "{summary:?}");
    server.sync(&mut sender.replica, &cal);
    assert_eq!(
        sender.replica.table_rows("commands").unwrap()[&id]["status"],
        "approved"
    );
    command_moves(&mut sender.replica, &id, "released", "cal");
    command_moves(&mut sender.replica, &id, "sent", "cal");
    assert_eq!(server.sync(&mut sender.replica, &cal).rejected, 0);

    // Every stage is in the server's own audit log, with who and when.
    let audit = server.db.open().audit_entries(0, 1_000).unwrap();
    let stages: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.action.starts_with("command-"))
        .map(|e| (e.action.as_str(), e.actor.as_str()))
        .collect();
    assert_eq!(
        stages,
        [
            ("command-queued", "cal"),
            ("command-approved", "cyd"),
            ("command-released", "cal"),
            ("command-sent", "cal"),
        ]
    );
}

#[test]
fn a_trainees_command_never_reaches_operations_and_a_session_keeps_its_own() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let host_client = server.client("ted");
    let trainee = server.client("tia");
    let session = server
        .runtime
        .block_on(host_client.create_training_session("power-bus-fault-eclipse", &["tia"]))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();

    // A trainee account cannot push to operations at all.
    let mut operational = console();
    queue_command(
        &mut operational.replica,
        "PWR.BUS_B_ENABLE",
        &json!({}),
        false,
        "tia",
    );
    let err = server
        .runtime
        .block_on(sync_once(&mut operational.replica, &trainee))
        .unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");

    // In the session the trainee commands the session's vehicle as a controller does.
    let mut joined = sandbox(&dir, "trainee.sqlite");
    joined
        .set_training_link(&link(&server, &session.id, false))
        .unwrap();
    let id = queue_command(&mut joined, "PWR.BUS_B_ENABLE", &json!({}), false, "tia");
    let summary = server.sync(&mut joined, &trainee);
    assert_eq!((summary.pushed, summary.rejected), (2, 0), "{summary:?}");
    // Two-person approval holds in a session too.
    let own = queue_command(&mut joined, "LS.SCRUBBER_OFF", &json!({}), true, "tia");
    command_moves(&mut joined, &own, "approved", "tia");
    assert_eq!(server.sync(&mut joined, &trainee).rejected, 2);

    // Operations never see the session's commands.
    let admin = server.client("ada");
    let mut watcher = console();
    server.sync(&mut watcher.replica, &admin);
    assert!(watcher.replica.table_rows("commands").unwrap().is_empty());
    assert!(
        !watcher
            .replica
            .table_rows("commands")
            .unwrap()
            .contains_key(&id)
    );
}

#[test]
fn the_ground_segment_receives_each_command_sent_through_the_server_once() {
    let server = TestServer::start(chrono::Duration::hours(1));
    let mut sender = console();
    let cal = server.client_on("cal", &sender.replica);
    let ground = server.client("cyd");
    // Before anything is sent: nothing, and the cursor of now (the past is not replayed).
    let early = queue_command(
        &mut sender.replica,
        "PWR.LOAD_SHED",
        &json!({}),
        false,
        "cal",
    );
    command_moves(&mut sender.replica, &early, "released", "cal");
    command_moves(&mut sender.replica, &early, "sent", "cal");
    server.sync(&mut sender.replica, &cal);
    let start = server
        .runtime
        .block_on(ground.uplink_commands(None))
        .unwrap();
    assert!(start.commands.is_empty());

    let id = queue_command(
        &mut sender.replica,
        "LS.SCRUBBER_MODE",
        &json!({"mode": "boost"}),
        false,
        "cal",
    );
    command_moves(&mut sender.replica, &id, "released", "cal");
    command_moves(&mut sender.replica, &id, "sent", "cal");
    assert_eq!(server.sync(&mut sender.replica, &cal).rejected, 0);
    let sent = server
        .runtime
        .block_on(ground.uplink_commands(Some(start.next_after)))
        .unwrap();
    assert_eq!(sent.commands.len(), 1, "{sent:?}");
    let command = &sent.commands[0];
    assert_eq!(
        (
            command.id.as_str(),
            command.name.as_str(),
            command.queued_by.as_str()
        ),
        (id.as_str(), "LS.SCRUBBER_MODE", "cal")
    );
    assert_eq!(command.arguments["mode"], "boost");
    let again = server
        .runtime
        .block_on(ground.uplink_commands(Some(sent.next_after)))
        .unwrap();
    assert!(again.commands.is_empty());

    // Spaceport staff are not the ground segment.
    let staff = server.client("sam");
    let err = server
        .runtime
        .block_on(staff.uplink_commands(Some(0)))
        .unwrap_err();
    assert!(
        matches!(&err, SyncError::Forbidden(m) if m.contains("may not receive the vehicle's commands")),
        "{err}"
    );
}

/// Asserts that the console's conflicts inbox holds a refusal saying `expected`.
fn assert_refused(replica: &Replica, expected: &str) {
    let reasons = inbox_reasons(replica);
    assert!(
        reasons.iter().any(|r| r.contains(expected)),
        "{expected}: {reasons:?}"
    );
}

fn insert(replica: &mut Replica, table: &str, row: Value) -> String {
    let id = replica::new_id();
    replica
        .write(|w| w.insert(table, &id, object(row)))
        .unwrap();
    id
}

fn answer(replica: &mut Replica, poll: &str, position: &str, word: &str) {
    insert(
        replica,
        "poll_answers",
        json!({
            "poll_id": poll,
            "position": position,
            "answer": word,
            "note": "",
            "answered_at": galaxium_sync::time::stored(chrono::Utc::now()),
            "by_user": "whoever the console says",
        }),
    );
}

/// Every criterion of the shipped poll list green, but `red`.
fn criteria_record(red: &str) -> String {
    let list = galaxium_sync::launch_poll::PollList::shipped().unwrap();
    let record: Vec<Value> = list
        .criteria
        .iter()
        .map(|c| json!({"id": c.id, "name": c.name, "ok": c.id != red, "value": "", "waived": false}))
        .collect();
    Value::Array(record).to_string()
}

#[test]
#[allow(
    clippy::too_many_lines,
    reason = "one poll told from its opening to GO, each rule on its way"
)]
fn go_no_go_answers_come_from_the_roles_each_position_names_and_go_needs_every_go_and_waivers() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();
    // Staff do not open a poll: the flight director does.
    insert(
        &mut b.replica,
        "launch_polls",
        json!({"launch_id": launch, "status": "open", "opened_at": "2026-12-01T10:00:00Z",
               "opened_by": "sam", "decided_at": null, "decided_by": null,
               "decision_note": "", "criteria": "[]"}),
    );
    server.sync(&mut b.replica, &staff);
    assert_refused(
        &b.replica,
        "only the flight director (admin or controller) opens",
    );
    let poll = insert(
        &mut a.replica,
        "launch_polls",
        json!({"launch_id": launch, "status": "open", "opened_at": "2026-12-01T10:00:00Z",
               "opened_by": "someone else", "decided_at": null, "decided_by": null,
               "decision_note": "", "criteria": "[]"}),
    );
    let opened = server.sync(&mut a.replica, &admin);
    assert_eq!(opened.rejected, 0, "{:?}", inbox_reasons(&a.replica));
    server.sync(&mut b.replica, &staff);
    // Staff answer for medical, not for vehicle systems; nor do they waive.
    answer(&mut b.replica, &poll, "vehicle_systems", "go");
    answer(&mut b.replica, &poll, "medical", "no_go");
    insert(
        &mut b.replica,
        "poll_waivers",
        json!({"poll_id": poll, "criterion": "battery", "value": "55 %", "reason": "fine",
               "waived_at": "2026-12-01T10:05:00Z", "by_user": "sam"}),
    );
    let summary = server.sync(&mut b.replica, &staff);
    assert_eq!((summary.pushed, summary.rejected), (3, 2), "{summary:?}");
    let reasons = inbox_reasons(&b.replica);
    for expected in [
        "Vehicle systems answers only as admin or controller; the staff role may not answer for it",
        "only the flight director (admin or controller) opens, waives and decides",
    ] {
        assert!(
            reasons.iter().any(|r| r.contains(expected)),
            "{expected}: {reasons:?}"
        );
    }
    // Who answered is the server's word.
    server.sync(&mut a.replica, &admin);
    let answers = a.replica.table_rows("poll_answers").unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers.values().next().unwrap()["by_user"], "sam");

    // GO with medical's NO-GO standing is refused.
    let decide = |replica: &mut Replica, red: &str| {
        set(
            replica,
            "launch_polls",
            &poll,
            json!({"status": "go", "decided_at": "2026-12-01T10:10:00Z",
                   "decided_by": "ada", "criteria": criteria_record(red)}),
        );
    };
    decide(&mut a.replica, "");
    server.sync(&mut a.replica, &admin);
    assert_refused(
        &a.replica,
        "GO for launch needs every position GO; not GO: Flight director",
    );
    // Every position GO (the admin may answer for all), but a red criterion not waived.
    let list = galaxium_sync::launch_poll::PollList::shipped().unwrap();
    for position in &list.positions {
        answer(&mut a.replica, &poll, &position.id, "go");
    }
    decide(&mut a.replica, "battery");
    server.sync(&mut a.replica, &admin);
    assert_refused(&a.replica, "Battery state of charge is red and not waived");
    insert(
        &mut a.replica,
        "poll_waivers",
        json!({"poll_id": poll, "criterion": "battery", "value": "55 %",
               "reason": "charging on the pad until T-10", "waived_at": "2026-12-01T10:09:00Z",
               "by_user": "ada"}),
    );
    decide(&mut a.replica, "battery");
    let summary = server.sync(&mut a.replica, &admin);
    assert_eq!(summary.rejected, 0, "{summary:?}");
    assert_eq!(
        a.replica.table_rows("launch_polls").unwrap()[&poll]["status"],
        "go"
    );
    // A decided poll takes no more answers; nor does any poll take one dated ahead.
    server.sync(&mut b.replica, &staff);
    insert(
        &mut b.replica,
        "poll_answers",
        json!({"poll_id": poll, "position": "medical", "answer": "go", "note": "",
               "answered_at": "2099-01-01T00:00:00Z", "by_user": "sam"}),
    );
    server.sync(&mut b.replica, &staff);
    assert_refused(&b.replica, "ahead of the server's clock");
    answer(&mut b.replica, &poll, "medical", "go");
    server.sync(&mut b.replica, &staff);
    assert_refused(&b.replica, "the poll was decided (GO)");
}

#[test]
fn a_check_in_override_is_a_supervisors_and_never_waives_medical_or_mass() {
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();
    let booking = sell_seat(&mut a.replica, &launch, "1A", "OVR001", "Ola Nord");
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);
    let waived = |kind: &str| json!([{"kind": kind, "text": "as the desk saw it"}]).to_string();
    insert(
        &mut b.replica,
        "checkin_overrides",
        json!({"booking_id": booking, "waived": waived("waiver"), "reason": "signed on paper",
               "at": "2026-12-01T10:00:00Z", "by_user": "sam"}),
    );
    server.sync(&mut b.replica, &staff);
    assert_refused(&b.replica, "only a supervisor (admin) overrides a NO-GO");
    for kind in ["medical", "mass"] {
        insert(
            &mut a.replica,
            "checkin_overrides",
            json!({"booking_id": booking, "waived": waived(kind), "reason": "in a hurry",
                   "at": "2026-12-01T10:00:00Z", "by_user": "ada"}),
        );
    }
    insert(
        &mut a.replica,
        "checkin_overrides",
        json!({"booking_id": booking, "waived": waived("waiver"), "reason": "signed on paper",
               "at": "2026-12-01T10:01:00Z", "by_user": "someone"}),
    );
    let summary = server.sync(&mut a.replica, &admin);
    assert_eq!((summary.pushed, summary.rejected), (3, 2), "{summary:?}");
    let reasons = inbox_reasons(&a.replica);
    for kind in ["medical", "mass"] {
        assert!(
            reasons
                .iter()
                .any(|r| r.contains(&format!("a \"{kind}\" reason cannot be overridden"))),
            "{kind}: {reasons:?}"
        );
    }
    let kept = a.replica.table_rows("checkin_overrides").unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept.values().next().unwrap()["by_user"], "ada");
}

#[test]
fn document_scans_and_pass_keys_reach_only_the_roles_that_read_personal_data() {
    use base64::Engine as _;
    let Pair {
        server,
        mut a,
        mut b,
        admin,
        staff,
        launch,
    } = synced_pair();
    sell_seat(&mut a.replica, &launch, "1A", "DOC001", "Ola Nord");
    server.sync(&mut a.replica, &admin);
    server.sync(&mut b.replica, &staff);
    let passenger = b
        .replica
        .table_rows("passengers")
        .unwrap()
        .into_keys()
        .next()
        .unwrap();
    let scan = b"%PDF-1.4 a medical certificate";
    let encoded = base64::engine::general_purpose::STANDARD.encode(scan);
    let document = |size: usize| {
        json!({"passenger_id": passenger, "kind": "medical_certificate", "number": "MC-1",
               "expires_on": "2027-01-01", "file_name": "mc.pdf",
               "media_type": "application/pdf", "size_bytes": size, "content": encoded,
               "added_at": "2026-12-01T10:00:00Z", "added_by": "sam", "demo": false})
    };
    let kept = insert(&mut b.replica, "passenger_documents", document(scan.len()));
    // A scan whose size is not what the row says did not arrive whole.
    insert(
        &mut b.replica,
        "passenger_documents",
        document(scan.len() + 1),
    );
    insert(
        &mut b.replica,
        "pass_keys",
        json!({"secret": base64::engine::general_purpose::STANDARD.encode([7_u8; 32]),
               "created_at": "2026-12-01T10:00:00Z", "created_by": "sam"}),
    );
    let summary = server.sync(&mut b.replica, &staff);
    assert_eq!((summary.pushed, summary.rejected), (3, 1), "{summary:?}");
    assert_refused(&b.replica, "but the row says");
    // A controller's console learns what the document is and when it expires, nothing more.
    let mut controller = console();
    server.sync(&mut controller.replica, &server.client("cal"));
    let row = &controller
        .replica
        .table_rows("passenger_documents")
        .unwrap()[&kept];
    assert_eq!(row["kind"], "medical_certificate");
    assert_eq!(row["expires_on"], "2027-01-01");
    for personal in ["number", "file_name", "content"] {
        assert_eq!(row[personal], Value::Null, "{personal}");
    }
    let keys = controller.replica.table_rows("pass_keys").unwrap();
    assert_eq!(keys.values().next().unwrap()["secret"], Value::Null);
    // The admin's console holds them.
    let mut office = console();
    server.sync(&mut office.replica, &admin);
    let row = &office.replica.table_rows("passenger_documents").unwrap()[&kept];
    assert_eq!(row["number"], "MC-1");
    assert_eq!(row["content"], encoded.as_str());
}
