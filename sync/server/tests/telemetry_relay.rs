//! The live telemetry relay end to end over loopback: a producer posts batches over HTTP, the
//! server stores them and relays them over authenticated `WebSocket`s to every follower, in order,
//! and refuses what it must.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::float_cmp,
    reason = "tests: exact values travel unchanged"
)]

use std::sync::Arc;
use std::time::Duration;

use galaxium_server::testing::TestDatabase;
use galaxium_server::{AppState, auth, serve};
use galaxium_sync::client::{SyncClient, SyncError};
use galaxium_sync::live;
use galaxium_sync::protocol::{
    PROTOCOL_HEADER, PROTOCOL_VERSION, TelemetryBatch, TelemetryFrame, TelemetryPoint,
};
use galaxium_sync::schema::registry::Role;
use tokio::sync::mpsc;

const PASSWORD: &str = "launch-day-2026";

struct Server {
    url: String,
    _dir: tempfile::TempDir,
}

async fn start(token_ttl: chrono::Duration) -> Server {
    let (dir, db) = tokio::task::spawn_blocking(|| {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::fresh(dir.path());
        (dir, db)
    })
    .await
    .unwrap();
    start_on(&db, token_ttl, true, dir).await
}

/// A server on `db` (its users made when `first`); several may share a PostgreSQL database.
async fn start_on(
    db: &TestDatabase,
    token_ttl: chrono::Duration,
    first: bool,
    dir: tempfile::TempDir,
) -> Server {
    // Off the runtime, as the server calls its store.
    let db = db.clone();
    let store = tokio::task::spawn_blocking(move || {
        let store = db.open();
        for (name, role) in [
            ("ada", Role::Admin),
            ("cal", Role::Controller),
            ("sam", Role::Staff),
            ("tia", Role::Trainee),
            ("ted", Role::Trainer),
        ] {
            if first {
                store
                    .add_user(name, role, &auth::hash_password(PASSWORD).unwrap())
                    .unwrap();
            }
        }
        store
    })
    .await
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let state = Arc::new(AppState::new(store, token_ttl));
    tokio::spawn(serve(listener, state, std::future::pending()));
    Server { url, _dir: dir }
}

async fn signed_in(server: &Server, user: &str) -> SyncClient {
    let mut client = SyncClient::new(&server.url).unwrap();
    client.login(user, PASSWORD).await.unwrap();
    client
}

fn batch(from: usize, count: usize) -> TelemetryBatch {
    TelemetryBatch {
        points: (from..from + count)
            .map(|i| TelemetryPoint {
                t: 1_790_000_000.0 + i as f64 * 0.1,
                channel: if i % 2 == 0 {
                    "cabin_pressure"
                } else {
                    "bus_voltage"
                }
                .to_owned(),
                value: i as f64,
            })
            .collect(),
    }
}

/// Starts following as `user`; frames arrive on the returned channel. Resolves once connected.
async fn follower(
    server: &Server,
    user: &str,
    after: Option<u64>,
    session: Option<String>,
) -> (
    mpsc::UnboundedReceiver<TelemetryFrame>,
    tokio::task::JoinHandle<Result<(), SyncError>>,
) {
    let client = signed_in(server, user).await;
    let token = client.token().unwrap().to_owned();
    following(server, token, after, session).await
}

/// Starts following with `token`; see [`follower`].
async fn following(
    server: &Server,
    token: String,
    after: Option<u64>,
    session: Option<String>,
) -> (
    mpsc::UnboundedReceiver<TelemetryFrame>,
    tokio::task::JoinHandle<Result<(), SyncError>>,
) {
    let base = server.url.clone();
    let (frames, received) = mpsc::unbounded_channel();
    let (connected, is_connected) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        live::follow(
            &base,
            session.as_deref(),
            &token,
            after,
            move |frame| {
                let _ = frames.send(frame);
            },
            move || {
                let _ = connected.send(());
            },
        )
        .await
    });
    tokio::time::timeout(Duration::from_secs(10), is_connected)
        .await
        .unwrap()
        .unwrap();
    (received, task)
}

/// Reads frames until `count` points arrived; checks sequence numbers run on without a gap.
async fn collect(
    received: &mut mpsc::UnboundedReceiver<TelemetryFrame>,
    count: usize,
) -> Vec<(u64, TelemetryPoint)> {
    let mut points = Vec::new();
    while points.len() < count {
        let frame = tokio::time::timeout(Duration::from_secs(10), received.recv())
            .await
            .expect("frames within 10 s")
            .expect("the follower is running");
        assert_eq!(
            frame.last_seq - frame.first_seq + 1,
            frame.points.len() as u64
        );
        for (i, point) in frame.points.into_iter().enumerate() {
            points.push((frame.first_seq + i as u64, point));
        }
    }
    for pair in points.windows(2) {
        assert_eq!(pair[1].0, pair[0].0 + 1, "sequence numbers run on");
    }
    points
}

#[tokio::test]
async fn every_follower_gets_every_point_once_and_in_order() {
    let server = start(chrono::Duration::hours(1)).await;
    let (mut controller, _a) = follower(&server, "cal", None, None).await;
    let (mut trainer, _b) = follower(&server, "ted", None, None).await;
    let producer = signed_in(&server, "cal").await;
    // Two producers at once: their frames may cross, and the relay must still deliver in order.
    let second = signed_in(&server, "ada").await;
    for round in 0..5 {
        let (first_half, second_half) = (batch(round * 200, 100), batch(round * 200 + 100, 100));
        let (a, b) = tokio::join!(
            producer.post_telemetry(&first_half),
            second.post_telemetry(&second_half),
        );
        assert_eq!(a.unwrap().accepted, 100);
        assert_eq!(b.unwrap().accepted, 100);
    }
    for received in [&mut controller, &mut trainer] {
        let points = collect(received, 1_000).await;
        assert_eq!(points.len(), 1_000);
        assert_eq!(points[0].0, 1);
        let mut values: Vec<f64> = points.iter().map(|(_, p)| p.value).collect();
        values.sort_by(f64::total_cmp);
        assert_eq!(values, (0..1_000).map(f64::from).collect::<Vec<_>>());
    }
}

#[tokio::test]
async fn a_console_that_reconnects_catches_up_from_where_it_was() {
    let server = start(chrono::Duration::hours(1)).await;
    let producer = signed_in(&server, "cal").await;
    let mut last = 0;
    for round in 0..3 {
        last = producer
            .post_telemetry(&batch(round * 50, 50))
            .await
            .unwrap()
            .last_seq;
    }
    assert_eq!(last, 150);
    // Saw up to 120 before the connection dropped: gets 121..=150, then what comes next.
    let (mut received, _task) = follower(&server, "cal", Some(120), None).await;
    producer.post_telemetry(&batch(150, 10)).await.unwrap();
    let points = collect(&mut received, 40).await;
    assert_eq!(points.first().unwrap().0, 121);
    assert_eq!(points.last().unwrap().0, 160);
    assert_eq!(points.first().unwrap().1.value, 120.0);
    // Without `after`, a console starts from now.
    let (mut fresh, _t) = follower(&server, "ada", None, None).await;
    producer.post_telemetry(&batch(500, 1)).await.unwrap();
    let points = collect(&mut fresh, 1).await;
    assert_eq!(points, vec![(161, batch(500, 1).points[0].clone())]);
}

#[tokio::test]
async fn the_server_refuses_what_it_must_and_says_why() {
    let server = start(chrono::Duration::hours(1)).await;
    let http = reqwest::Client::new();
    let endpoint = format!("{}/api/v1/telemetry/batch", server.url);
    let post = |token: Option<String>, body: String| {
        let mut request = http
            .post(&endpoint)
            .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
            .header("content-type", "application/json")
            .body(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send()
    };
    let good = serde_json::to_string(&batch(0, 3)).unwrap();

    let response = post(None, good.clone()).await.unwrap();
    assert_eq!(response.status(), 401);

    let controller = signed_in(&server, "cal").await.token().unwrap().to_owned();
    for (body, expected) in [
        ("{\"points\": []}".to_owned(), "no points"),
        (
            "{\"points\": [{\"t\": 1790000000, \"channel\": \"cabin pressure!\", \"value\": 1}]}"
                .to_owned(),
            "point 0: channel \"cabin pressure!\" is not a channel id",
        ),
        (
            "{\"points\": [{\"t\": 1790000000, \"channel\": \"ppo2\", \"value\": 1}, {\"t\": -5, \"channel\": \"ppo2\", \"value\": 1}]}"
                .to_owned(),
            "point 1 (ppo2): time -5 is not Unix seconds",
        ),
        ("not json at all".to_owned(), "not what was expected"),
    ] {
        let response = post(Some(controller.clone()), body).await.unwrap();
        assert!(response.status().is_client_error());
        let body: galaxium_sync::protocol::ErrorBody = response.json().await.unwrap();
        assert!(body.error.contains(expected), "{}", body.error);
    }

    for user in ["sam", "tia", "ted"] {
        let token = signed_in(&server, user).await.token().unwrap().to_owned();
        let response = post(Some(token), good.clone()).await.unwrap();
        assert_eq!(response.status(), 403, "{user} may not send telemetry");
    }

    // Nothing refused was stored: a follower from the start sees only the good batch.
    let producer = signed_in(&server, "cal").await;
    producer.post_telemetry(&batch(0, 3)).await.unwrap();
    let (mut received, _task) = follower(&server, "cal", Some(0), None).await;
    assert_eq!(collect(&mut received, 3).await.len(), 3);

    for (user, refusal) in [("sam", "staff"), ("tia", "trainee")] {
        let token = signed_in(&server, user).await.token().unwrap().to_owned();
        let err = live::follow(&server.url, None, &token, None, |_| {}, || {})
            .await
            .unwrap_err();
        assert!(
            matches!(&err, SyncError::Forbidden(m) if m.contains(refusal)),
            "{err}"
        );
    }
    let err = live::follow(&server.url, None, "not-a-token", None, |_| {}, || {})
        .await
        .unwrap_err();
    assert!(matches!(err, SyncError::Unauthorized(_)), "{err}");
}

#[tokio::test]
async fn a_sign_out_closes_the_live_feed_at_once() {
    let server = start(chrono::Duration::hours(1)).await;
    let mut client = signed_in(&server, "cal").await;
    let token = client.token().unwrap().to_owned();
    let (_received, task) = following(&server, token, None, None).await;
    // Another sign-in of the same user, also following, is not touched by this sign-out.
    let (mut other, _other_task) = follower(&server, "cal", None, None).await;
    client.logout().await.unwrap();
    // Well before the next heartbeat (15 s): the ending is read within a second.
    let ended = tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .expect("closed within seconds, not at the next heartbeat")
        .unwrap();
    assert!(
        matches!(&ended, Err(SyncError::Unauthorized(m)) if m.contains("ended")),
        "{ended:?}"
    );
    signed_in(&server, "cal")
        .await
        .post_telemetry(&batch(0, 5))
        .await
        .unwrap();
    assert_eq!(collect(&mut other, 5).await.len(), 5);
}

#[tokio::test]
async fn the_relay_closes_when_the_sign_in_expires() {
    let server = start(chrono::Duration::seconds(2)).await;
    let (_received, task) = follower(&server, "cal", None, None).await;
    let ended = tokio::time::timeout(Duration::from_secs(10), task)
        .await
        .expect("closed within 10 s")
        .unwrap();
    assert!(
        matches!(&ended, Err(SyncError::Unauthorized(m)) if m.contains("expired")),
        "{ended:?}"
    );
}

#[tokio::test]
async fn a_training_sessions_telemetry_reaches_its_trainees_and_never_operations() {
    let server = start(chrono::Duration::hours(1)).await;
    let host = signed_in(&server, "ted").await;
    let session = host
        .create_training_session("power-bus-eclipse", &["tia"])
        .await
        .unwrap();
    let (mut first, _t) = follower(&server, "tia", None, Some(session.id.clone())).await;
    let (mut second, _s) = follower(&server, "ted", None, Some(session.id.clone())).await;
    let (mut operations, _o) = follower(&server, "cal", None, None).await;
    let in_session = host.clone().in_training_session(&session.id);
    in_session.post_telemetry(&batch(0, 50)).await.unwrap();
    // Both consoles in the session see the same points, in the same order.
    let a = collect(&mut first, 50).await;
    let b = collect(&mut second, 50).await;
    assert_eq!(a, b);
    // Operations see nothing of it: the next thing on their feed is their own.
    signed_in(&server, "cal")
        .await
        .post_telemetry(&batch(1000, 1))
        .await
        .unwrap();
    let ops = collect(&mut operations, 1).await;
    assert_eq!(ops[0].1.value, 1000.0);
    assert_eq!(
        ops[0].0, 1,
        "the operational sequence knows nothing of the session's"
    );

    // Only trainers play a session's telemetry; controllers keep to operations.
    let joined = signed_in(&server, "tia")
        .await
        .in_training_session(&session.id);
    let err = joined.post_telemetry(&batch(0, 1)).await.unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
    let controller = signed_in(&server, "cal")
        .await
        .in_training_session(&session.id);
    let err = controller.post_telemetry(&batch(0, 1)).await.unwrap_err();
    assert!(matches!(err, SyncError::Forbidden(_)), "{err}");
}

/// On PostgreSQL, a training session opened on one server instance is the same session on
/// another: what its trainer posts to the first reaches a trainee following it on the second,
/// in order, and never the operational feed there.
#[tokio::test]
async fn a_training_session_spans_server_instances_on_postgres() {
    if !galaxium_server::testing::on_postgres() {
        eprintln!(
            "runs in the PostgreSQL pass: GALAXIUM_TEST_DATABASE=postgres under pg_virtualenv"
        );
        return;
    }
    let db = tokio::task::spawn_blocking(|| TestDatabase::fresh(std::path::Path::new(".")))
        .await
        .unwrap();
    let ttl = chrono::Duration::hours(1);
    let one = start_on(&db, ttl, true, tempfile::tempdir().unwrap()).await;
    let two = start_on(&db, ttl, false, tempfile::tempdir().unwrap()).await;
    let host = signed_in(&one, "ted").await;
    let session = host
        .create_training_session("power-bus-eclipse", &["tia"])
        .await
        .unwrap();
    let (mut trainee, _t) = follower(&two, "tia", None, Some(session.id.clone())).await;
    let (mut operations, _o) = follower(&two, "cal", None, None).await;
    host.clone()
        .in_training_session(&session.id)
        .post_telemetry(&batch(0, 50))
        .await
        .unwrap();
    let seen = collect(&mut trainee, 50).await;
    let values: Vec<f64> = seen.iter().map(|(_, p)| p.value).collect();
    assert_eq!(values, (0..50).map(f64::from).collect::<Vec<_>>());
    // The operational feed on the second instance: the next thing on it is operations' own.
    signed_in(&one, "cal")
        .await
        .post_telemetry(&batch(1000, 1))
        .await
        .unwrap();
    let ops = collect(&mut operations, 1).await;
    assert_eq!(ops[0].1.value, 1000.0);
}
