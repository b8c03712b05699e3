use chrono::{DateTime, Duration, Utc};
use galaxium_sync::{OpenOptions, Replica};

use super::detect::{Detection, Detector, Rules};
use super::*;
use crate::telemetry::dictionary::Dictionary;
use crate::telemetry::playback::Playback;
use crate::telemetry::{Sample, Telemetry, unix_seconds};

fn replica() -> (tempfile::TempDir, Replica) {
    let dir = tempfile::tempdir().unwrap();
    let replica =
        Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
    (dir, replica)
}

fn t0() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339("2026-11-22T12:00:00Z")
        .unwrap()
        .with_timezone(&Utc)
}

fn open(replica: &mut Replica) -> String {
    create(
        replica,
        &NewIncident::quick(
            "Fuel line leak at pad 2",
            IncidentKind::GroundOperations,
            "SEV2",
        ),
        "sam",
        t0(),
    )
    .unwrap()
}

#[test]
fn the_quick_form_needs_a_title_and_a_known_severity() {
    let (_dir, mut replica) = replica();
    let err = create(
        &mut replica,
        &NewIncident::quick("  ", IncidentKind::Security, "SEV3"),
        "sam",
        t0(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Give the incident a title: what happened, in a few words."
    );
    let err = create(
        &mut replica,
        &NewIncident::quick("Gate breach", IncidentKind::Security, "SEV9"),
        "sam",
        t0(),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "severity \"SEV9\" is not on the scale; choose one of SEV1, SEV2, SEV3, SEV4"
    );
    assert!(list(&replica).unwrap().is_empty());

    let id = open(&mut replica);
    let detail = detail(&replica, &id).unwrap().unwrap();
    assert_eq!(detail.incident.status, IncidentStatus::Active);
    assert!(detail.incident.reference.starts_with("INC-"));
    assert_eq!(detail.incident.runbook, "fire-or-smoke");
    assert_eq!(
        detail.timeline[0].text,
        "Opened by sam: SEV2 Ground operations, Fuel line leak at pad 2"
    );
}

#[test]
fn the_lifecycle_is_active_stable_closed_and_a_closed_incident_reopens() {
    let (_dir, mut replica) = replica();
    let id = open(&mut replica);
    let err = transition(&mut replica, &id, IncidentStatus::Closed, "", "ada", t0()).unwrap_err();
    assert!(
        err.to_string().ends_with(
            "is ACTIVE: mark it STABLE once the situation is under control, then close it"
        ),
        "{err}"
    );
    let later = |m| t0() + Duration::minutes(m);
    transition(
        &mut replica,
        &id,
        IncidentStatus::Stable,
        "leak isolated",
        "ada",
        later(10),
    )
    .unwrap();
    transition(
        &mut replica,
        &id,
        IncidentStatus::Closed,
        "",
        "ada",
        later(40),
    )
    .unwrap();
    let closed = detail(&replica, &id).unwrap().unwrap();
    assert_eq!(closed.incident.status, IncidentStatus::Closed);
    assert_eq!(
        closed.incident.stable_at.as_deref(),
        Some("2026-11-22T12:10:00.000Z")
    );
    assert_eq!(
        closed.incident.closed_at.as_deref(),
        Some("2026-11-22T12:40:00.000Z")
    );
    let err = transition(
        &mut replica,
        &id,
        IncidentStatus::Stable,
        "",
        "ada",
        later(41),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("a closed incident is reopened as ACTIVE"),
        "{err}"
    );

    transition(
        &mut replica,
        &id,
        IncidentStatus::Active,
        "leak again",
        "cal",
        later(50),
    )
    .unwrap();
    let reopened = detail(&replica, &id).unwrap().unwrap();
    assert_eq!(reopened.incident.status, IncidentStatus::Active);
    assert_eq!(reopened.incident.closed_at, None);
    let moves: Vec<&str> = reopened
        .timeline
        .iter()
        .filter(|e| e.entry.kind == "status")
        .map(|e| e.text.as_str())
        .collect();
    assert_eq!(
        moves,
        [
            "Stable: ACTIVE to STABLE by ada: leak isolated",
            "Closed: STABLE to CLOSED by ada",
            "Reopened: CLOSED to ACTIVE by cal: leak again",
        ]
    );
}

#[test]
fn notes_are_edited_and_pinned_by_new_entries_and_runbook_ticks_say_who() {
    let (_dir, mut replica) = replica();
    let id = open(&mut replica);
    add_note(
        &mut replica,
        &id,
        "Pad crew evacuated",
        "sam",
        t0() + Duration::minutes(1),
    )
    .unwrap();
    let note = detail(&replica, &id).unwrap().unwrap().timeline[1]
        .entry
        .id
        .clone();
    edit_note(
        &mut replica,
        &id,
        &note,
        "Pad crew evacuated, 12 people",
        "sam",
        t0() + Duration::minutes(2),
    )
    .unwrap();
    set_pinned(
        &mut replica,
        &id,
        &note,
        true,
        "ada",
        t0() + Duration::minutes(3),
    )
    .unwrap();
    let system = detail(&replica, &id).unwrap().unwrap().timeline[1]
        .entry
        .id
        .clone();
    assert!(edit_note(&mut replica, &id, &system, "rewritten", "sam", t0()).is_err());
    tick_step(
        &mut replica,
        &id,
        1,
        true,
        "sam",
        t0() + Duration::minutes(4),
    )
    .unwrap();

    let shown = detail(&replica, &id).unwrap().unwrap();
    assert!(shown.timeline[0].pinned);
    assert_eq!(shown.timeline[0].text, "Pad crew evacuated, 12 people");
    assert_eq!(
        shown.timeline[0].edited,
        Some(("sam".to_owned(), "2026-11-22T12:02:00.000Z".to_owned()))
    );
    // The entries underneath are all still there: nothing is overwritten.
    let stored: i64 = replica
        .read("count", |c| {
            c.query_row("SELECT count(*) FROM incident_timeline", [], |r| r.get(0))
        })
        .unwrap();
    assert_eq!(stored, 5);
    assert_eq!(
        shown.ticked.get(&1),
        Some(&("sam".to_owned(), "2026-11-22T12:04:00.000Z".to_owned()))
    );
    tick_step(
        &mut replica,
        &id,
        1,
        false,
        "sam",
        t0() + Duration::minutes(5),
    )
    .unwrap();
    assert!(detail(&replica, &id).unwrap().unwrap().ticked.is_empty());
}

#[test]
fn tasks_and_roles_are_recorded_in_the_timeline() {
    let (_dir, mut replica) = replica();
    let id = open(&mut replica);
    let err = add_task(
        &mut replica,
        &id,
        &NewTask {
            title: "Photograph the valve".into(),
            assignee: "sam".into(),
            priority: "high".into(),
            due_at: "tomorrow".into(),
        },
        "ada",
        t0(),
    )
    .unwrap_err();
    assert!(err.to_string().contains("2026-11-22T18:00:00Z"), "{err}");
    add_task(
        &mut replica,
        &id,
        &NewTask {
            title: "Photograph the valve".into(),
            assignee: "sam".into(),
            priority: "high".into(),
            due_at: "2026-11-22T18:00:00Z".into(),
        },
        "ada",
        t0(),
    )
    .unwrap();
    let task = detail(&replica, &id).unwrap().unwrap().tasks[0].id.clone();
    set_task_done(&mut replica, &id, &task, true, "sam", t0()).unwrap();
    set_fields(
        &mut replica,
        &id,
        &[
            (Field::Commander, "ada".into()),
            (Field::Severity, "SEV1".into()),
        ],
        "ada",
        t0(),
    )
    .unwrap();
    let shown = detail(&replica, &id).unwrap().unwrap();
    assert!(shown.tasks[0].done);
    assert_eq!(shown.incident.commander, "ada");
    assert_eq!(shown.incident.severity, "SEV1");
    let texts: Vec<&str> = shown.timeline.iter().map(|e| e.text.as_str()).collect();
    assert!(texts.contains(&"Task added for sam (high): Photograph the valve"));
    assert!(texts.contains(&"Task done by sam: Photograph the valve"));
    assert!(texts.contains(&"Incident commander: ada (set by ada)"));
    assert!(texts.contains(&"Severity: SEV1 (set by ada)"));
    assert!(
        set_fields(
            &mut replica,
            &id,
            &[(Field::Severity, "SEV0".into())],
            "ada",
            t0()
        )
        .is_err()
    );
}

/// Telemetry fed by hand: the shipped dictionary, no crew, samples ingested directly.
fn telemetry() -> Telemetry {
    let dictionary = Dictionary::shipped(&[]).unwrap();
    Telemetry::new(dictionary, Box::new(Playback::new("test", Vec::new())))
}

/// The channels these tests feed.
const FED: [&str; 4] = [
    "ls.cabin_pressure",
    "ls.ppo2",
    "ls.ppco2",
    "pwr.bus_voltage",
];

/// One sample per second for each fed channel at the simulator's nominal value.
fn nominal(tm: &mut Telemetry, from: f64, to: f64) {
    let fed: Vec<(usize, f64)> = FED
        .iter()
        .map(|id| {
            let index = tm.index_of(id).unwrap();
            (index, tm.dictionary.channels[index].sim.nominal)
        })
        .collect();
    let mut t = from;
    while t <= to {
        for &(channel, value) in &fed {
            tm.ingest(Sample { channel, t, value });
        }
        t += 1.0;
    }
}

fn excursion(tm: &mut Telemetry, id: &str, value: f64, t: f64) {
    let channel = tm.index_of(id).unwrap();
    for k in 0..4 {
        tm.ingest(Sample {
            channel,
            t: t + f64::from(k) * 0.01,
            value,
        });
    }
}

#[test]
fn an_alarm_opens_one_incident_per_source_and_adds_to_it_while_open() {
    let (_dir, mut replica) = replica();
    let mut tm = telemetry();
    let mut detector = Detector::new(Rules::shipped().unwrap());
    let start = unix_seconds(t0());
    nominal(&mut tm, start - 60.0, start);
    excursion(&mut tm, "ls.cabin_pressure", 60.0, start + 0.5);
    let first = detector.check(&mut replica, &tm, t0()).unwrap();
    let Detection::Opened { id, title, .. } = &first[0] else {
        panic!("{first:?}");
    };
    assert_eq!(title, "Cabin depressurisation");
    // Asking again changes nothing; the same leak on ppO2 adds to the same incident.
    assert!(detector.check(&mut replica, &tm, t0()).unwrap().is_empty());
    excursion(&mut tm, "ls.ppo2", 5.0, start + 1.0);
    let second = detector.check(&mut replica, &tm, t0()).unwrap();
    assert!(
        matches!(&second[0], Detection::Added { id: added, .. } if added == id),
        "{second:?}"
    );
    assert_eq!(list(&replica).unwrap().len(), 1);
    let shown = detail(&replica, id).unwrap().unwrap();
    assert_eq!(shown.incident.severity, "SEV1");
    assert_eq!(
        shown.incident.source.as_deref(),
        Some("rule:cabin-pressure")
    );
    assert_eq!(
        shown
            .timeline
            .iter()
            .filter(|e| e.entry.kind == "alarm")
            .count(),
        2
    );

    // Another source opens its own; once an incident is closed, its source opens a new one.
    excursion(&mut tm, "pwr.bus_voltage", 5.0, start + 2.0);
    detector.check(&mut replica, &tm, t0()).unwrap();
    assert_eq!(list(&replica).unwrap().len(), 2);
    transition(&mut replica, id, IncidentStatus::Stable, "", "ada", t0()).unwrap();
    transition(&mut replica, id, IncidentStatus::Closed, "", "ada", t0()).unwrap();
    for channel in ["ls.cabin_pressure", "ls.ppo2"] {
        tm.board_mut()
            .acknowledge(channel, "ada", "suits on", t0())
            .unwrap();
    }
    nominal(&mut tm, start + 3.0, start + 20.0);
    excursion(&mut tm, "ls.cabin_pressure", 60.0, start + 21.0);
    let again = detector.check(&mut replica, &tm, t0()).unwrap();
    assert!(
        matches!(&again[0], Detection::Opened { id: new, .. } if new != id),
        "{again:?}"
    );
    assert_eq!(list(&replica).unwrap().len(), 3);
}

#[test]
fn the_snapshot_holds_the_window_before_at_once_and_after_once_it_has_passed() {
    let (_dir, mut replica) = replica();
    let mut tm = telemetry();
    let mut detector = Detector::new(Rules::shipped().unwrap());
    detector.set_window_minutes(2);
    let start = unix_seconds(t0());
    nominal(&mut tm, start - 600.0, start);
    excursion(&mut tm, "ls.ppco2", 2.0, start + 0.5);
    detector.check(&mut replica, &tm, t0()).unwrap();
    let id = list(&replica).unwrap()[0].id.clone();

    let early = snapshot::load(&replica, &id).unwrap().unwrap();
    assert!(!early.complete);
    assert_eq!(early.channels.len(), tm.dictionary.channels.len());
    let ppco2 = early.channel("ls.ppco2").unwrap();
    assert!(
        (ppco2.times[0] - (start + 0.5 - 120.0)).abs() <= 1.0,
        "{}",
        ppco2.times[0]
    );
    assert!((ppco2.values.last().copied().unwrap() - 2.0).abs() < 1e-6);

    // Two minutes on, the window after the alarm is in.
    nominal(&mut tm, start + 1.0, start + 300.0);
    detector
        .check(&mut replica, &tm, t0() + Duration::seconds(121))
        .unwrap();
    let done = snapshot::load(&replica, &id).unwrap().unwrap();
    assert!(done.complete);
    let pressure = done.channel("ls.cabin_pressure").unwrap();
    assert!(
        pressure
            .times
            .iter()
            .all(|t| (start + 0.5 - 120.0..=start + 0.5 + 120.0).contains(t))
    );
    assert_eq!(pressure.times.len(), 240);
}

#[test]
fn the_report_is_a_valid_pdf_with_its_charts_and_the_list_exports_as_csv() {
    let (_dir, mut replica) = replica();
    let mut tm = telemetry();
    let mut detector = Detector::new(Rules::shipped().unwrap());
    detector.set_window_minutes(1);
    let start = unix_seconds(t0());
    nominal(&mut tm, start - 120.0, start);
    excursion(&mut tm, "ls.cabin_pressure", 60.0, start + 0.5);
    detector.check(&mut replica, &tm, t0()).unwrap();
    let id = list(&replica).unwrap()[0].id.clone();
    set_fields(
        &mut replica,
        &id,
        &[
            (
                Field::Conditions,
                "Cabin at 60 kPa and falling slowly".into(),
            ),
            (
                Field::Actions,
                "Crew suited; leak isolated to the hatch seal".into(),
            ),
        ],
        "ada",
        t0(),
    )
    .unwrap();
    let detail = detail(&replica, &id).unwrap().unwrap();
    let snapshot = snapshot::load(&replica, &id).unwrap().unwrap();
    let channels = report::chart_channels(&detail, &snapshot);
    assert_eq!(channels.len(), 3);
    assert_eq!(channels[0], "ls.cabin_pressure");
    let charts: Vec<report::Chart> = channels
        .iter()
        .map(|c| report::draw_chart(&snapshot, c, "kPa").unwrap())
        .collect();
    // The chart is drawn: more than a blank page of white.
    assert!(charts[0].rgb.iter().filter(|b| **b < 200).count() > 1_000);
    let progress = std::cell::RefCell::new(Vec::new());
    let pdf = report::to_pdf(
        &report::ReportInput {
            detail: &detail,
            charts: &charts,
            severities: &default_severities(),
            generated_at: t0(),
            generated_by: "ada",
            polls: &[],
        },
        &|p| progress.borrow_mut().push(p),
    )
    .unwrap();
    assert_eq!(progress.borrow().last().copied(), Some(1.0));

    let document = lopdf::Document::load_mem(&pdf).expect("a PDF lopdf reads");
    let pages = document.get_pages();
    assert!(!pages.is_empty());
    let images = document
        .objects
        .values()
        .filter(|o| {
            o.as_stream().is_ok_and(|s| {
                s.dict.get(b"Subtype").and_then(|v| v.as_name()).ok() == Some(b"Image")
            })
        })
        .count();
    assert_eq!(images, 3, "one image per chart");
    let numbers: Vec<u32> = pages.keys().copied().collect();
    let text = document.extract_text(&numbers).unwrap();
    for expected in [
        "Incident report INC-",
        "Regulatory summary",
        "Notifiable occurrence (SEV1 or SEV2)",
        "Cabin at 60 kPa and falling slowly",
        "Telemetry around the alarm",
    ] {
        assert!(text.contains(expected), "{expected:?} not in {text}");
    }

    let csv = String::from_utf8(report::incidents_csv(&list(&replica).unwrap()).unwrap()).unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("reference,title,kind,severity,status")
    );
    assert!(
        lines
            .next()
            .unwrap()
            .contains(",Cabin depressurisation,vehicle,SEV1,active,")
    );
}

#[test]
fn attachments_are_kept_whole_up_to_the_limit_and_refused_beyond_it() {
    let (_dir, mut replica) = replica();
    let id = open(&mut replica);
    let photo: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    attach(&mut replica, &id, "valve.jpg", &photo, "sam", t0()).unwrap();
    let too_big = vec![0u8; MAX_ATTACHMENT_BYTES + 1];
    let err = attach(&mut replica, &id, "video.mp4", &too_big, "sam", t0()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "video.mp4 is 513 KiB; attachments are limited to 512 KiB each because they travel to every console. Attach a smaller copy."
    );
    let shown = detail(&replica, &id).unwrap().unwrap();
    assert_eq!(shown.attachments.len(), 1);
    assert_eq!(shown.attachments[0].media_type, "image/jpeg");
    assert_eq!(shown.attachments[0].size_bytes, 200_000);
    assert_eq!(
        attachment_content(&replica, &shown.attachments[0].id).unwrap(),
        Some(photo)
    );
    assert!(
        shown
            .timeline
            .iter()
            .any(|e| e.text == "Attached by sam: valve.jpg (196 KiB)")
    );
}

#[test]
fn an_admin_rewords_the_severity_scale_and_it_stays_complete() {
    let (_dir, mut replica) = replica();
    let mut level = severities(&replica).unwrap()[2].clone();
    assert_eq!(level.code, "SEV3");
    level.name = "Moderate".into();
    level.description = "Degraded, with a workaround".into();
    save_severity(&mut replica, &level).unwrap();
    let scale = severities(&replica).unwrap();
    assert_eq!(scale.len(), 4);
    assert_eq!(scale[2].name, "Moderate");
    assert_eq!(scale[0].name, "Critical");
    level.name = " ".into();
    assert_eq!(
        save_severity(&mut replica, &level).unwrap_err().to_string(),
        "SEV3 needs a name, such as Critical"
    );
    // The rows travel like any other replicated row.
    let pending: i64 = replica
        .read("outbox", |c| {
            c.query_row(
                "SELECT count(*) FROM outbox WHERE table_name = 'incident_severities'",
                [],
                |r| r.get(0),
            )
        })
        .unwrap();
    assert_eq!(pending, 5);
}

/// The incident statuses the console works with are the registry's words.
#[test]
fn incident_statuses_are_the_registrys_words() {
    let words: Vec<&str> = IncidentStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(words, galaxium_sync::schema::registry::INCIDENT_STATUSES);
}
