//! A scheduled backup of a large server database, and what the pushes made meanwhile live
//! with.
//!
//! Target (PostgreSQL and backups issue): a lost machine loses at most 15 minutes, so a copy
//! must take well under that on a large database, and pushes must go on while it is taken.
//! Here: 400,000 rows (launches and bookings with realistic payloads); one push of one op
//! every 20 ms for the whole run, its latency recorded before and during the copy.
//!
//! Run: `cargo bench --profile dev -p galaxium-server --bench backup`

#![allow(
    clippy::print_stdout,
    clippy::expect_used,
    reason = "a benchmark prints its figures and stops loudly when its setup fails"
)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use galaxium_server::auth::Principal;
use galaxium_server::backup;
use galaxium_server::store::{SqliteStore, Store as _};
use galaxium_sync::protocol::{Op, OpKind};
use galaxium_sync::schema::registry::Role;
use serde_json::{Map, Value, json};

const LAUNCHES: usize = 400;
const BOOKINGS_PER_LAUNCH: usize = 1_000;

fn op(seq: u64, table: &str, row_id: String, payload: &Value) -> Op {
    Op {
        op_id: format!("op-{seq}"),
        device_id: "bench".into(),
        seq,
        hlc: format!("{:015}-000000-bench", 1_700_000_000_000_u64 + seq),
        table: table.into(),
        row_id,
        kind: OpKind::Insert,
        payload: payload.as_object().cloned().unwrap_or_else(Map::new),
    }
}

/// 400 launches with 1,000 bookings each, stored as a server holds them.
fn fill(store: &SqliteStore) {
    let admin = Principal::of("ada", Role::Admin);
    let mut seq = 0;
    let mut batch = Vec::new();
    for launch in 0..LAUNCHES {
        seq += 1;
        batch.push(op(
            seq,
            "launches",
            format!("launch-{launch}"),
            &json!({"mission": format!("Flight {launch}"), "status": "scheduled", "pad": "LC-39A"}),
        ));
        for booking in 0..BOOKINGS_PER_LAUNCH {
            seq += 1;
            batch.push(op(
                seq,
                "bookings",
                format!("booking-{launch}-{booking}"),
                &json!({"launch_id": format!("launch-{launch}"), "seat_id": format!("S{booking}"),
                        "status": "confirmed", "locator": format!("L{launch:03}{booking:03}"),
                        "fare_class": "standard", "notes": "window seat, vegetarian meal"}),
            ));
        }
        if batch.len() > 20_000 || launch + 1 == LAUNCHES {
            store
                .accept_unjudged(&admin, "bench", &std::mem::take(&mut batch))
                .expect("setup");
        }
    }
}

fn main() {
    let dir = tempfile::tempdir().expect("temporary folder");
    let db = dir.path().join("server.sqlite");
    let store = Arc::new(SqliteStore::open(&db).expect("store"));
    fill(&store);
    let bytes = std::fs::metadata(&db).expect("size").len();

    // One push every 20 ms from another thread, all run long.
    let copying = Arc::new(AtomicBool::new(false));
    let stop = Arc::new(AtomicBool::new(false));
    let pusher = std::thread::spawn({
        let (store, copying, stop) = (Arc::clone(&store), Arc::clone(&copying), Arc::clone(&stop));
        move || {
            let admin = Principal::of("ada", Role::Admin);
            let (mut before, mut during) = (Vec::new(), Vec::new());
            let mut seq = 1_000_000;
            while !stop.load(Ordering::Relaxed) {
                seq += 1;
                let update = Op {
                    kind: OpKind::Update,
                    ..op(
                        seq,
                        "launches",
                        format!("launch-{}", seq % 400),
                        &json!({"pad": "LC-39B"}),
                    )
                };
                let was_copying = copying.load(Ordering::Relaxed);
                let started = Instant::now();
                store.push(&admin, "bench", &[update]).expect("push");
                let took = started.elapsed();
                if was_copying && copying.load(Ordering::Relaxed) {
                    during.push(took);
                } else if !was_copying {
                    before.push(took);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
            (before, during)
        }
    });
    std::thread::sleep(Duration::from_secs(3));
    copying.store(true, Ordering::Relaxed);
    let copy = backup::take(&db, &dir.path().join("copy.sqlite")).expect("backup");
    copying.store(false, Ordering::Relaxed);
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, Ordering::Relaxed);
    let (mut before, mut during) = pusher.join().expect("pusher");
    let at = |times: &mut Vec<Duration>, q: usize| {
        times.sort();
        times
            .get((times.len().saturating_sub(1)) * q / 100)
            .map_or(0.0, |t| t.as_secs_f64() * 1e3)
    };
    #[allow(clippy::cast_precision_loss, reason = "sizes shown in MiB")]
    let mib = |b: u64| b as f64 / (1024.0 * 1024.0);
    println!(
        "database {:.1} MiB ({} rows); copy {:.1} MiB taken and checked in {:.2} s",
        mib(bytes),
        LAUNCHES * (BOOKINGS_PER_LAUNCH + 1),
        mib(copy.bytes),
        copy.took.as_secs_f64()
    );
    println!(
        "one-op pushes before the copy: {} pushes, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        before.len(),
        at(&mut before, 50),
        at(&mut before, 99),
        at(&mut before, 100)
    );
    println!(
        "one-op pushes during the copy: {} pushes, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        during.len(),
        at(&mut during, 50),
        at(&mut during, 99),
        at(&mut during, 100)
    );
    assert!(
        copy.took < Duration::from_secs(15 * 60 / 10),
        "a copy must take a small part of the 15-minute interval"
    );
}
