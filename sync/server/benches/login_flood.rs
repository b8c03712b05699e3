//! A sign-in flood against the real server binary on loopback: 32 clients, each from an
//! address of its own (127.0.0.10 and up), post wrong passwords for new names as fast as the
//! server answers, for 10 s; then a real user signs in from one of the flooding addresses,
//! after the wait the throttle asks for.
//!
//! Target (server trust issue): the server's peak resident memory stays under 300 MiB (each
//! password check holds some 19 MiB while it runs; before the cap, such a flood took the server
//! to 5.9 GiB). Also reported: how the answers split (401 checked, 429 slowed, 503 shed), and
//! the resident memory after the flood.
//!
//! Run: `cargo bench --profile dev -p galaxium-server --bench login_flood`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::cast_precision_loss,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::collections::BTreeMap;
use std::io::BufRead as _;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use galaxium_server::auth;
use galaxium_server::store::{SqliteStore, Store as _};
use galaxium_sync::protocol::{PROTOCOL_HEADER, PROTOCOL_VERSION};
use galaxium_sync::schema::registry::Role;

const PASSWORD: &str = "benchmark-password";
const FLOODS: usize = 32;
const LENGTH: Duration = Duration::from_secs(10);
const TARGET_MIB: f64 = 300.0;

/// A figure of the server's `/proc/<pid>/status` in MiB (`VmHWM` peak, `VmRSS` now).
fn memory_mib(pid: u32, field: &str) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("the server runs");
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix(field))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("the field is there");
    kib / 1024.0
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let db = dir.path().join("server.sqlite");
    SqliteStore::open(&db)
        .expect("a store")
        .add_user("sam", Role::Staff, &auth::hash_password(PASSWORD).unwrap())
        .expect("a user");
    let mut server = std::process::Command::new(env!("CARGO_BIN_EXE_galaxium-server"))
        .args(["--db", db.to_str().unwrap(), "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    let mut line = String::new();
    std::io::BufReader::new(server.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim().rsplit(' ').next().unwrap().to_owned();
    let pid = server.id();
    let before = memory_mib(pid, "VmRSS:");

    let runtime = tokio::runtime::Runtime::new().unwrap();
    let answers: Arc<Mutex<BTreeMap<u16, u64>>> = Arc::default();
    let started = Instant::now();
    runtime.block_on(async {
        let mut floods = Vec::new();
        for n in 0..FLOODS {
            let (url, answers) = (url.clone(), Arc::clone(&answers));
            floods.push(tokio::spawn(async move {
                // Each flood from an address of its own, each guess at a name of its own: the
                // throttle holds each back as little as it can, and as many passwords as
                // possible reach a check.
                let address = std::net::Ipv4Addr::new(127, 0, 0, 10 + u8::try_from(n).unwrap());
                let http = reqwest::Client::builder()
                    .local_address(std::net::IpAddr::V4(address))
                    .build()
                    .unwrap();
                let mut guess = 0_u64;
                while started.elapsed() < LENGTH {
                    guess += 1;
                    let status = http
                        .post(format!("{url}/api/v1/login"))
                        .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                        .json(&serde_json::json!({"user": format!("guess-{n}-{guess}"), "password": "wrong"}))
                        .send()
                        .await
                        .map_or(0, |r| r.status().as_u16());
                    *answers.lock().unwrap().entry(status).or_default() += 1;
                }
            }));
        }
        for flood in floods {
            flood.await.unwrap();
        }
    });
    let peak = memory_mib(pid, "VmHWM:");
    let after = memory_mib(pid, "VmRSS:");

    // The flood came from this address; a real user's right password still works once the
    // wait its answer names is over.
    let sign_in = || {
        runtime.block_on(async {
            let response = reqwest::Client::builder()
                .local_address(std::net::IpAddr::V4(std::net::Ipv4Addr::new(127, 0, 0, 10)))
                .build()
                .unwrap()
                .post(format!("{url}/api/v1/login"))
                .header(PROTOCOL_HEADER, PROTOCOL_VERSION.to_string())
                .json(&serde_json::json!({"user": "sam", "password": PASSWORD}))
                .send()
                .await
                .expect("an answer");
            let wait = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            (response.status().as_u16(), wait)
        })
    };
    let asked = Instant::now();
    let mut answer = sign_in();
    while let (429 | 503, Some(wait)) = answer {
        std::thread::sleep(Duration::from_secs(wait));
        answer = sign_in();
    }
    let signed_in_after = asked.elapsed();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(answer.0, 200, "the real user signs in after the wait");

    let total: u64 = answers.lock().unwrap().values().sum();
    println!(
        "{FLOODS} floods for {} s, one address each: {total} sign-ins answered: {:?} (status: count)",
        LENGTH.as_secs(),
        answers.lock().unwrap()
    );
    println!(
        "server resident memory: {before:.1} MiB before, peak {peak:.1} MiB, {after:.1} MiB after (target peak < {TARGET_MIB} MiB)"
    );
    println!(
        "the real user's right password, from the flooding address: signed in after {:.1} s",
        signed_in_after.as_secs_f64()
    );
    assert!(
        peak < TARGET_MIB,
        "the flood took the server to {peak:.1} MiB"
    );
}
