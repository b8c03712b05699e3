//! Incidents worked on two offline consoles and merged through a real server on loopback:
//! status moves are checked again on the server, other fields merge per field, and timeline
//! entries from both sides are all kept.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

mod support;

use chrono::{Duration, Utc};
use galaxium::ops::incidents::{self, Field, IncidentKind, IncidentStatus, NewIncident};
use galaxium_sync::client::sync_once;
use galaxium_sync::{OpenOptions, Replica};
use support::{signed_in_on, start_server};

#[test]
fn status_moves_from_two_offline_replicas_are_checked_when_they_merge() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, url) = start_server(dir.path());
    let open = |name: &str| Replica::open(&dir.path().join(name), &OpenOptions::default()).unwrap();
    let (mut a, mut b) = (open("a.sqlite"), open("b.sqlite"));
    let clients = [a.device_id().to_owned(), b.device_id().to_owned()]
        .into_iter()
        .zip([&a, &b].map(|r| signed_in_on(&runtime, &url, "ada", r)))
        .collect::<std::collections::HashMap<_, _>>();
    let sync = |replica: &mut Replica| {
        let client = &clients[replica.device_id()];
        runtime.block_on(sync_once(replica, client)).unwrap()
    };
    let now = Utc::now();

    // Console A opens an incident and marks it stable; console B receives it.
    let id = incidents::create(
        &mut a,
        &NewIncident::quick(
            "Fuelling pump vibration",
            IncidentKind::GroundOperations,
            "SEV3",
        ),
        "sam",
        now,
    )
    .unwrap();
    incidents::transition(
        &mut a,
        &id,
        IncidentStatus::Stable,
        "pump stopped",
        "sam",
        now,
    )
    .unwrap();
    sync(&mut a);
    sync(&mut b);
    assert_eq!(
        incidents::detail(&b, &id).unwrap().unwrap().incident.status,
        IncidentStatus::Stable
    );

    // Offline, A finds it worse; B, not knowing, closes it. Each also edits another field.
    let later = now + Duration::minutes(5);
    incidents::transition(
        &mut a,
        &id,
        IncidentStatus::Active,
        "vibration back",
        "sam",
        later,
    )
    .unwrap();
    incidents::set_fields(
        &mut a,
        &id,
        &[(Field::Commander, "ada".into())],
        "sam",
        later,
    )
    .unwrap();
    incidents::add_note(&mut a, &id, "Pad cleared", "sam", later).unwrap();
    incidents::transition(&mut b, &id, IncidentStatus::Closed, "", "cal", later).unwrap();
    incidents::set_fields(&mut b, &id, &[(Field::Scribe, "cal".into())], "cal", later).unwrap();
    incidents::add_note(&mut b, &id, "Pump log exported", "cal", later).unwrap();

    // A reaches the server first. B's close is refused there: ACTIVE cannot become CLOSED.
    sync(&mut a);
    let summary = sync(&mut b);
    assert_eq!(summary.rejected, 1, "{summary}");
    let conflicts = b.conflicts(false).unwrap();
    assert_eq!(conflicts.len(), 1);
    assert_eq!(conflicts[0].table, "incidents");
    assert_eq!(
        conflicts[0].reason,
        "status cannot go from active to closed"
    );
    sync(&mut a);

    for replica in [&a, &b] {
        let shown = incidents::detail(replica, &id).unwrap().unwrap();
        assert_eq!(shown.incident.status, IncidentStatus::Active);
        // Different fields edited on each side both stand.
        assert_eq!(shown.incident.commander, "ada");
        assert_eq!(shown.incident.scribe, "cal");
        // Both notes are there: the timeline only grows.
        let texts: Vec<&str> = shown.timeline.iter().map(|e| e.text.as_str()).collect();
        assert!(texts.contains(&"Pad cleared"), "{texts:?}");
        assert!(texts.contains(&"Pump log exported"), "{texts:?}");
    }
}

#[test]
fn attachments_larger_together_than_one_request_sync_in_several() {
    let dir = tempfile::tempdir().unwrap();
    let (runtime, url) = start_server(dir.path());
    let open = |name: &str| Replica::open(&dir.path().join(name), &OpenOptions::default()).unwrap();
    let (mut a, mut b) = (open("a.sqlite"), open("b.sqlite"));
    let (on_a, on_b) = (
        signed_in_on(&runtime, &url, "ada", &a),
        signed_in_on(&runtime, &url, "ada", &b),
    );
    let now = Utc::now();
    let id = incidents::create(
        &mut a,
        &NewIncident::quick("Pad camera footage", IncidentKind::Security, "SEV3"),
        "sam",
        now,
    )
    .unwrap();
    // 40 files of 500 KiB: about 27 MB of base64, more than the server reads in one request.
    let file = |k: u32| -> Vec<u8> { (0..500 * 1024u32).map(|i| ((i + k) % 253) as u8).collect() };
    for k in 0..40 {
        incidents::attach(
            &mut a,
            &id,
            &format!("frame-{k:02}.png"),
            &file(k),
            "sam",
            now,
        )
        .unwrap();
    }
    let pushed = runtime.block_on(sync_once(&mut a, &on_a)).unwrap();
    assert_eq!(pushed.rejected, 0, "{pushed}");
    runtime.block_on(sync_once(&mut b, &on_b)).unwrap();
    let files = incidents::attachments(&b, &id).unwrap();
    assert_eq!(files.len(), 40);
    let last = files
        .iter()
        .find(|f| f.file_name == "frame-39.png")
        .unwrap();
    assert_eq!(
        incidents::attachment_content(&b, &last.id).unwrap(),
        Some(file(39))
    );
}
