//! Two consoles and a server on one machine, through the `galaxium sync` command line.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

mod support;

use std::path::Path;
use std::process::{Command, Output};

use chrono::Utc;
use galaxium::ops::demo::DemoDataset;
use galaxium::paths::DataDir;
use galaxium_sync::{OpenOptions, Replica};
use support::{PASSWORD, start_server};

fn galaxium(data: &Path, args: &[&str], password: Option<&str>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_galaxium"));
    command
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GALAXIUM_DATA")
        .env_remove("GALAXIUM_PASSWORD");
    if let Some(password) = password {
        command.env("GALAXIUM_PASSWORD", password);
    }
    command.output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn two_consoles_share_their_work_through_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, url) = start_server(dir.path());
    let a = DataDir::at(&dir.path().join("console-a"));
    let b = DataDir::at(&dir.path().join("console-b"));
    let seeded = {
        let mut replica = Replica::open(&a.replica(), &OpenOptions::default()).unwrap();
        DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap();
        replica.status().unwrap().demo_rows()
    };

    let first = galaxium(
        a.root(),
        &["sync", "--server", &url, "--user", "ada"],
        Some(PASSWORD),
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    let line = text(&first.stdout);
    assert!(
        line.starts_with(&format!("synced with {url}: pushed {seeded} (0 rejected)")),
        "{line}"
    );

    // The sign-in is kept: the next sync needs no password.
    let again = galaxium(a.root(), &["sync", "--server", &url], None);
    assert!(again.status.success(), "{}", text(&again.stderr));
    assert!(text(&again.stdout).contains("pushed 0 (0 rejected)"));

    let pulled = galaxium(
        b.root(),
        &["sync", "--server", &url, "--user", "ada"],
        Some(PASSWORD),
    );
    assert!(pulled.status.success(), "{}", text(&pulled.stderr));
    assert!(
        text(&pulled.stdout).contains(&format!("pulled {seeded}")),
        "{}",
        text(&pulled.stdout)
    );

    let check = |data: &DataDir| text(&galaxium(data.root(), &["db", "check"], None).stdout);
    let rows = |report: String| -> Vec<String> {
        report
            .lines()
            .filter(|l| l.starts_with("  "))
            .map(str::to_owned)
            .collect()
    };
    assert_eq!(rows(check(&a)), rows(check(&b)));

    // Element sets travel with the rest, still tied to their vehicle, and propagate there.
    let replica = Replica::open(&b.replica(), &OpenOptions::default()).unwrap();
    let orbit = galaxium::ops::orbit::OrbitData::load(&replica).unwrap();
    let names: Vec<&str> = orbit.objects.iter().map(|o| o.name.as_str()).collect();
    assert_eq!(names, ["AURORA (GX-CREW)", "GX-RELAY 2", "SENTINEL-WX"]);
    assert_eq!(orbit.objects[0].vehicle.as_deref(), Some("Aurora"));
    assert!(orbit.objects.iter().all(|o| o.satellite.is_ok()));
    assert_eq!(orbit.stations.len(), 4);
}

#[test]
fn sync_without_a_sign_in_or_with_a_wrong_password_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (_runtime, url) = start_server(dir.path());
    let data = dir.path().join("console");

    let unsigned = galaxium(&data, &["sync", "--server", &url], None);
    assert!(!unsigned.status.success());
    assert!(
        text(&unsigned.stderr).contains("pass --user NAME"),
        "{}",
        text(&unsigned.stderr)
    );

    let wrong = galaxium(
        &data,
        &["sync", "--server", &url, "--user", "ada"],
        Some("nope"),
    );
    assert!(!wrong.status.success());
    let err = text(&wrong.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("wrong user name or password"), "{err}");

    let nobody = galaxium(
        &data,
        &["sync", "--server", "http://127.0.0.1:9", "--user", "ada"],
        Some(PASSWORD),
    );
    assert!(!nobody.status.success());
    assert!(
        text(&nobody.stderr).contains("cannot reach the server"),
        "{}",
        text(&nobody.stderr)
    );
}

#[test]
fn a_console_syncs_over_tls_with_the_sites_own_authority_and_refuses_a_server_it_cannot_trust() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = support::site_certificates(dir.path());
    let (_runtime, url) = support::start_tls_server(dir.path(), &cert, &key);
    let data = dir.path().join("console");
    let run = |authority: Option<&Path>, args: &[&str]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_galaxium"));
        command
            .arg("--data")
            .arg(&data)
            .args(args)
            .args(["--server", &url, "--user", "ada"])
            .env_remove("GALAXIUM_DATA")
            .env("GALAXIUM_PASSWORD", PASSWORD)
            .env_remove("GALAXIUM_CA_FILE");
        if let Some(authority) = authority {
            command.env("GALAXIUM_CA_FILE", authority);
        }
        command.output().unwrap()
    };
    let sync = |authority: Option<&Path>| run(authority, &["sync"]);
    // Without the site's authority the certificate is not trusted, and nothing is sent.
    let untrusted = sync(None);
    assert!(!untrusted.status.success());
    let said = text(&untrusted.stderr);
    assert!(said.contains("cannot reach the server"), "{said}");
    // With it, the console signs in and syncs.
    let trusted = sync(Some(&ca));
    assert!(
        trusted.status.success(),
        "{}{}",
        text(&trusted.stdout),
        text(&trusted.stderr)
    );
    // The live feed goes over TLS too: a producer sends, a terminal follows from the start.
    let fed = run(Some(&ca), &["telemetry", "feed", "--seconds", "1"]);
    assert!(fed.status.success(), "{}", text(&fed.stderr));
    let followed = run(
        Some(&ca),
        &[
            "telemetry",
            "follow",
            "--channel",
            "pwr.bus_voltage",
            "--after",
            "0",
            "--seconds",
            "3",
        ],
    );
    let said = text(&followed.stdout);
    assert!(
        followed.status.success(),
        "{said}{}",
        text(&followed.stderr)
    );
    assert!(said.contains(" pwr.bus_voltage "), "{said}");
    assert!(
        !said.contains("ls.cabin_pressure"),
        "only the channel asked for: {said}"
    );
    let untrusted = run(None, &["telemetry", "follow", "--seconds", "3"]);
    assert!(!untrusted.status.success());
    // A CA file that is not one is said to be the problem.
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate").unwrap();
    let refused = sync(Some(&garbage));
    assert!(!refused.status.success());
    let said = text(&refused.stderr);
    assert!(said.contains("GALAXIUM_CA_FILE"), "{said}");
    // Plain HTTP to the TLS port gets no answer.
    let mut plain = std::net::TcpStream::connect(url.trim_start_matches("https://")).unwrap();
    plain
        .set_read_timeout(Some(std::time::Duration::from_secs(15)))
        .unwrap();
    std::io::Write::write_all(&mut plain, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let mut answer = Vec::new();
    let _ = std::io::Read::read_to_end(&mut plain, &mut answer);
    assert!(
        !String::from_utf8_lossy(&answer).contains("200 OK"),
        "{}",
        String::from_utf8_lossy(&answer)
    );
}

/// The server cursor a console's replica has pulled up to, read beside the running console.
fn pulled_up_to(data: &DataDir) -> u64 {
    rusqlite::Connection::open_with_flags(
        data.replica(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .and_then(|c| {
        c.query_row(
            "SELECT value FROM replica_meta WHERE key = 'sync_cursor'",
            [],
            |r| r.get::<_, String>(0),
        )
    })
    .ok()
    .and_then(|v| v.parse().ok())
    .unwrap_or(0)
}

/// The newest cursor of the server's op log.
fn server_head(db: &Path) -> u64 {
    rusqlite::Connection::open_with_flags(db, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .and_then(|c| c.query_row("SELECT max(cursor) FROM ops", [], |r| r.get::<_, i64>(0)))
        .map(i64::unsigned_abs)
        .unwrap()
}

#[test]
fn a_console_killed_mid_sync_keeps_a_whole_replica_and_finishes_on_the_next_sync() {
    use galaxium_sync::replica::{self, LaunchRow};

    let dir = tempfile::tempdir().unwrap();
    let (_runtime, url) = start_server(dir.path());
    let a = DataDir::at(&dir.path().join("console-a"));
    let b = DataDir::at(&dir.path().join("console-b"));
    {
        let mut replica = Replica::open(&a.replica(), &OpenOptions::default()).unwrap();
        DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap();
        let vehicle = replica
            .table_rows("vehicles")
            .unwrap()
            .into_keys()
            .next()
            .unwrap();
        let port = replica
            .table_rows("spaceports")
            .unwrap()
            .into_keys()
            .next()
            .unwrap();
        replica
            .write(|w| {
                for n in 0..4_000 {
                    w.insert_launch(&LaunchRow {
                        id: replica::new_id(),
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
                }
                Ok::<_, galaxium_sync::ReplicaError>(())
            })
            .unwrap();
    }
    let pushed = galaxium(
        a.root(),
        &["sync", "--server", &url, "--user", "ada"],
        Some(PASSWORD),
    );
    assert!(pushed.status.success(), "{}", text(&pushed.stderr));

    // Console B starts its first sync and is killed part-way through pulling.
    let mut child = Command::new(env!("CARGO_BIN_EXE_galaxium"))
        .arg("--data")
        .arg(b.root())
        .args(["sync", "--server", &url, "--user", "ada"])
        .env("GALAXIUM_PASSWORD", PASSWORD)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as its first page is in: the cursor has moved, but not to the end.
    let deadline = std::time::Instant::now() + std::time::Duration::from_mins(1);
    while pulled_up_to(&b) == 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_micros(200));
    }
    let _ = child.kill();
    let _ = child.wait();
    let head = server_head(&dir.path().join("server.sqlite"));
    let reached = pulled_up_to(&b);
    assert!(
        reached > 0 && reached < head,
        "the kill landed mid-pull: cursor {reached} of {head}"
    );

    let check = galaxium(b.root(), &["db", "check"], None);
    assert!(check.status.success(), "{}", text(&check.stderr));
    assert!(text(&check.stdout).contains("integrity  ok"));
    let again = galaxium(
        b.root(),
        &["sync", "--server", &url, "--user", "ada"],
        Some(PASSWORD),
    );
    assert!(again.status.success(), "{}", text(&again.stderr));

    let rows = |data: &DataDir| {
        Replica::open(&data.replica(), &OpenOptions::default())
            .unwrap()
            .table_rows("launches")
            .unwrap()
    };
    assert_eq!(rows(&a), rows(&b));
    assert_eq!(
        rows(&b).len(),
        4_000 + 8,
        "the bulk launches and the demo ones"
    );
}

#[test]
fn the_feed_command_sends_the_simulated_mission_through_the_server() {
    use galaxium::ops::telemetry::{crewed_seats, dictionary::Dictionary};
    use galaxium_sync::client::SyncClient;

    let dir = tempfile::tempdir().unwrap();
    let (runtime, url) = start_server(dir.path());
    let data = DataDir::at(&dir.path().join("ground"));
    let channels: std::collections::BTreeSet<String> = {
        let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
        DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap();
        let seats = crewed_seats(&replica).unwrap();
        Dictionary::shipped(&seats)
            .unwrap()
            .channels
            .into_iter()
            .map(|c| c.id)
            .collect()
    };

    let refused = galaxium(
        data.root(),
        &[
            "telemetry",
            "feed",
            "--server",
            &url,
            "--user",
            "ada",
            "--seconds",
            "1",
        ],
        Some("not the password"),
    );
    assert!(!refused.status.success());
    assert!(
        text(&refused.stderr).contains("wrong user name or password"),
        "{}",
        text(&refused.stderr)
    );

    let fed = galaxium(
        data.root(),
        &[
            "telemetry",
            "feed",
            "--server",
            &url,
            "--user",
            "ada",
            "--seconds",
            "1",
        ],
        Some(PASSWORD),
    );
    assert!(fed.status.success(), "{}", text(&fed.stderr));
    let out = text(&fed.stdout);
    assert!(
        out.starts_with(&format!("feeding {url} as ada with the simulator")),
        "{out}"
    );
    assert!(out.contains(" sent "), "{out}");

    // A console catching up from the start receives every channel of the mission.
    let mut client = SyncClient::new(&url).unwrap();
    runtime.block_on(client.login("ada", PASSWORD)).unwrap();
    let token = client.token().unwrap().to_owned();
    let mut received = std::collections::BTreeSet::new();
    runtime.block_on(async {
        let follow = galaxium_sync::live::follow(
            &url,
            None,
            &token,
            Some(0),
            |frame| received.extend(frame.points.into_iter().map(|p| p.channel)),
            || {},
        );
        // The relay keeps the connection open for what comes next: stop after the catch-up.
        let _ = tokio::time::timeout(std::time::Duration::from_secs(2), follow).await;
    });
    assert_eq!(received, channels);
}

/// The server binary beside the console's (the workspace's test command builds both).
fn spawn_server_binary(dir: &Path, users: &[&str]) -> (std::process::Child, String) {
    use std::io::{BufRead as _, Write as _};
    let binary = Path::new(env!("CARGO_BIN_EXE_galaxium")).with_file_name("galaxium-server");
    assert!(
        binary.exists(),
        "{} is missing: run the workspace's tests (cargo nextest run --workspace)",
        binary.display()
    );
    let db = dir.join("server.sqlite");
    for user in users {
        let mut add = Command::new(&binary)
            .arg("--db")
            .arg(&db)
            .args(["user", "add", user, "--role", "admin"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        writeln!(add.stdin.take().unwrap(), "{PASSWORD}").unwrap();
        assert!(add.wait().unwrap().success(), "adding {user}");
    }
    let mut child = Command::new(&binary)
        .arg("--db")
        .arg(&db)
        .args(["--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    (child, url)
}

/// The README's walkthrough, with both consoles opened (and so seeded with the demo) before
/// either syncs: one demo dataset everywhere afterwards, no conflicts, no duplicates, and
/// *Remove demo data* on one console removes it everywhere.
#[test]
fn two_consoles_that_each_loaded_the_demo_hold_one_demo_after_syncing() {
    use galaxium_sync::schema::registry::TABLES;

    let dir = tempfile::tempdir().unwrap();
    let (mut server, url) = spawn_server_binary(dir.path(), &["ada", "bob", "cat"]);
    let consoles: Vec<DataDir> = ["a", "b", "c"]
        .iter()
        .map(|name| DataDir::at(&dir.path().join(format!("console-{name}"))))
        .collect();
    // A and B are opened once each, as the console opens a new replica: seeded with the demo.
    let seeded = {
        let seed = |data: &DataDir| {
            let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
            DemoDataset::shipped()
                .unwrap()
                .seed(&mut replica, Utc::now())
                .unwrap();
            replica.status().unwrap().demo_rows()
        };
        let a = seed(&consoles[0]);
        std::thread::sleep(std::time::Duration::from_millis(1_100));
        assert_eq!(seed(&consoles[1]), a);
        a
    };
    let sync = |data: &DataDir, user: &str| {
        let out = galaxium(
            data.root(),
            &["sync", "--server", &url, "--user", user],
            Some(PASSWORD),
        );
        assert!(out.status.success(), "{user}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    assert!(sync(&consoles[0], "ada").contains(&format!("pushed {seeded} (0 rejected)")));
    let second = sync(&consoles[1], "bob");
    assert!(
        second.contains(&format!("pushed {seeded} (0 rejected)")),
        "{second}"
    );
    sync(&consoles[0], "ada");
    sync(&consoles[2], "cat");

    let rows = |data: &DataDir| {
        let replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
        assert!(replica.conflicts(true).unwrap().is_empty());
        assert!(replica.set_aside_ops().unwrap().is_empty());
        TABLES
            .iter()
            .map(|t| (t.name, replica.table_rows(t.name).unwrap()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let one_demo = rows(&consoles[0]);
    assert_eq!(rows(&consoles[1]), one_demo);
    assert_eq!(rows(&consoles[2]), one_demo);
    let total: usize = one_demo.values().map(std::collections::BTreeMap::len).sum();
    assert_eq!(total as u64, seeded, "one demo dataset, not two");

    // Remove demo data on B: gone everywhere once each console syncs.
    {
        let mut replica = Replica::open(&consoles[1].replica(), &OpenOptions::default()).unwrap();
        replica.remove_demo_rows().unwrap();
    }
    sync(&consoles[1], "bob");
    for (data, user) in consoles.iter().zip(["ada", "bob", "cat"]) {
        sync(data, user);
        let replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
        assert_eq!(replica.status().unwrap().demo_rows(), 0, "{user}");
        assert!(replica.conflicts(true).unwrap().is_empty(), "{user}");
    }
    server.kill().unwrap();
    let _ = server.wait();
}

/// The ground segment: `galaxium telemetry feed` as `user`, with no replica of its own (no
/// crew, no orbit), for 40 s at most.
fn ground_segment(dir: &Path, url: &str, user: &str) -> std::process::Child {
    let ground = DataDir::at(&dir.join("ground"));
    Command::new(env!("CARGO_BIN_EXE_galaxium"))
        .arg("--data")
        .arg(ground.root())
        .args(["telemetry", "feed", "--server", url, "--user", user])
        .args(["--seconds", "40"])
        .env("GALAXIUM_PASSWORD", PASSWORD)
        .env_remove("GALAXIUM_DATA")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn a_command_goes_through_the_server_to_the_ground_segment_and_is_verified_by_its_telemetry() {
    use galaxium::ops::commanding::{self, NewCommand, Uplink, UplinkEvent};
    use galaxium::ops::telemetry::Telemetry;
    use galaxium::ops::telemetry::dictionary::Dictionary;
    use galaxium::ops::telemetry::live::LiveSource;
    use galaxium_sync::client::sync_once;
    use galaxium_sync::commanding::CommandDictionary;
    use galaxium_sync::schema::registry::Role;

    let dir = tempfile::tempdir().unwrap();
    let (runtime, url) = support::start_server_with(dir.path(), &[("cal", Role::Controller)]);
    let feed = ground_segment(dir.path(), &url, "cal");

    // The controller's console follows the live feed and uplinks through the server.
    let mut replica =
        Replica::open(&dir.path().join("console.sqlite"), &OpenOptions::default()).unwrap();
    let client = support::signed_in_on(&runtime, &url, "cal", &replica);
    let vehicle = Dictionary::shipped(&[]).unwrap();
    let live = LiveSource::start(&url, None, client.token().unwrap(), &vehicle).unwrap();
    let mut telemetry = Telemetry::new(vehicle, Box::new(live));
    let mut uplink = Uplink::new();
    let bus_b = telemetry.index_of("pwr.bus_b_voltage").unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while telemetry.series(bus_b).last().is_none() {
        assert!(std::time::Instant::now() < deadline, "no live telemetry");
        telemetry.tick(Utc::now());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        telemetry.series(bus_b).last().unwrap().1 < 2.0,
        "bus B starts off"
    );
    assert!(telemetry.uplink_refusal().is_none());

    let dictionary = CommandDictionary::shipped().unwrap();
    let id = commanding::queue(
        &mut replica,
        &NewCommand {
            spec: dictionary.get("PWR.BUS_B_ENABLE").unwrap(),
            arguments: serde_json::Map::new(),
            priority: "urgent",
            hazard_confirmed: false,
        },
        ("cal", Role::Controller),
        Utc::now(),
    )
    .unwrap();
    let mut events = Vec::new();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while !events
        .iter()
        .any(|e| matches!(e, UplinkEvent::Verified(_) | UplinkEvent::Failed(_)))
    {
        assert!(
            std::time::Instant::now() < deadline,
            "not verified: {events:?}"
        );
        telemetry.tick(Utc::now());
        let turn = uplink.tick(
            &mut replica,
            &mut telemetry,
            "cal",
            Utc::now(),
            std::time::Instant::now(),
        );
        if !turn.is_empty() || replica.pending_count().unwrap() > 0 {
            runtime.block_on(sync_once(&mut replica, &client)).unwrap();
        }
        events.extend(turn);
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(
        events.iter().any(|e| matches!(e, UplinkEvent::Verified(d) if d.starts_with("PWR.BUS_B_ENABLE: pwr.bus_b_voltage above 26 V"))),
        "{events:?}"
    );
    let command = commanding::read(&replica, 10)
        .unwrap()
        .into_iter()
        .find(|c| c.id == id)
        .unwrap();
    assert_eq!(
        command.stage("sent").unwrap().detail,
        "sent through the server to the ground segment"
    );
    let mut feed = feed;
    let _ = feed.kill();
    let output = feed.wait_with_output().unwrap();
    let said = text(&output.stdout);
    assert!(
        said.contains("carried out PWR.BUS_B_ENABLE (queued by cal)"),
        "{said}\n{}",
        text(&output.stderr)
    );
}
