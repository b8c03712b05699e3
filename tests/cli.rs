//! The `galaxium` command line, run as a real process: one clear line on bad input, a
//! non-zero exit, and nothing half-written.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::Utc;
use galaxium::ops::demo::DemoDataset;
use galaxium::paths::DataDir;
use galaxium_sync::schema::LATEST_VERSION;
use galaxium_sync::{OpenOptions, Replica};

fn galaxium(data: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_galaxium"))
        .arg("--data")
        .arg(data)
        .args(args)
        .env_remove("GALAXIUM_DATA")
        .env_remove("RUST_LOG")
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_one_line_failure(output: &Output, expected: &str) {
    assert!(!output.status.success(), "expected failure: {output:?}");
    let err = stderr(output);
    assert_eq!(err.lines().count(), 1, "one line on stderr: {err:?}");
    assert!(err.starts_with("galaxium: "), "{err}");
    assert!(
        err.contains(expected),
        "{err:?} should mention {expected:?}"
    );
}

fn seeded_data_dir() -> (tempfile::TempDir, DataDir) {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
    DemoDataset::shipped()
        .unwrap()
        .seed(&mut replica, Utc::now())
        .unwrap();
    (dir, data)
}

#[test]
fn version_names_the_program_and_its_version() {
    let output = Command::new(env!("CARGO_BIN_EXE_galaxium"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(output.status.success());
    assert_eq!(
        stdout(&output).trim(),
        format!("galaxium {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn db_check_reports_integrity_schema_and_row_counts() {
    let (_dir, data) = seeded_data_dir();
    let output = galaxium(data.root(), &["db", "check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("integrity  ok"), "{out}");
    let schema = format!("schema     version {LATEST_VERSION}");
    assert!(out.contains(&schema), "{out}");
    assert!(out.contains("kind       operational"), "{out}");
    let launches = out
        .lines()
        .find(|l| l.trim_start().starts_with("launches"))
        .unwrap();
    assert!(launches.contains("(8 demo)"), "{launches}");
    let bookings = out
        .lines()
        .find(|l| l.trim_start().starts_with("bookings"))
        .unwrap();
    assert!(bookings.contains("demo)"), "{bookings}");
}

#[test]
fn db_check_without_a_replica_says_where_it_looked_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("nowhere");
    let output = galaxium(&data, &["db", "check"]);
    assert_one_line_failure(&output, "there is no replica at");
    assert!(!data.exists(), "a check must not create the data folder");
}

#[test]
fn db_check_on_a_corrupt_file_fails_in_one_line_and_leaves_it_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data = DataDir::at(dir.path());
    std::fs::write(data.replica(), b"PK\x03\x04 a zip file, not a replica").unwrap();
    let before = std::fs::read(data.replica()).unwrap();
    let output = galaxium(data.root(), &["db", "check"]);
    assert_one_line_failure(&output, "is not a SQLite database");
    assert_eq!(std::fs::read(data.replica()).unwrap(), before);
}

#[test]
fn db_backup_then_restore_brings_the_data_back() {
    let (dir, data) = seeded_data_dir();
    let backup = dir.path().join("before-removal.sqlite");
    let output = galaxium(data.root(), &["db", "backup", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stdout(&output).contains("backed up"), "{}", stdout(&output));

    // The same target again is refused, and the first backup is kept as it was.
    let first = std::fs::read(&backup).unwrap();
    let again = galaxium(data.root(), &["db", "backup", backup.to_str().unwrap()]);
    assert_one_line_failure(&again, "already exists");
    assert_eq!(std::fs::read(&backup).unwrap(), first);

    let mut replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
    let seeded = replica.status().unwrap().demo_rows();
    assert!(seeded > 50, "{seeded}");
    replica.remove_demo_rows().unwrap();
    assert_eq!(replica.status().unwrap().demo_rows(), 0);
    drop(replica);
    let output = galaxium(data.root(), &["db", "restore", backup.to_str().unwrap()]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stdout(&output).contains("is kept at"),
        "{}",
        stdout(&output)
    );

    let replica = Replica::open(&data.replica(), &OpenOptions::default()).unwrap();
    assert_eq!(replica.status().unwrap().demo_rows(), seeded);
}

#[test]
fn db_restore_from_a_missing_file_fails_in_one_line() {
    let (dir, data) = seeded_data_dir();
    let missing = dir.path().join("no-such-backup.sqlite");
    let output = galaxium(data.root(), &["db", "restore", missing.to_str().unwrap()]);
    assert_one_line_failure(&output, "there is no backup file at");
}

#[test]
fn an_unknown_subcommand_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let output = galaxium(dir.path(), &["db", "explode"]);
    assert!(!output.status.success());
    assert!(stderr(&output).contains("explode"));
}

#[test]
fn import_bookings_lists_bad_rows_by_line_and_column_and_keeps_the_good_ones() {
    let (dir, data) = seeded_data_dir();
    let file = dir.path().join("sales.csv");
    std::fs::write(
        &file,
        "launch,full_name,date_of_birth,document_number,body_mass_kg,seat,fare_class\n\
         GX-16 Three-Day Orbital Stay,Mia Novak,1990-02-03,X1,70,1A,ORB\n\
         GX-16 Three-Day Orbital Stay,Ola Nordmann,03/02/1990,X2,70,1B,ORB\n\
         GX-16 Three-Day Orbital Stay,Pia Lund,1991-01-01,X3,70,9Z,ORB\n",
    )
    .unwrap();
    let output = galaxium(data.root(), &["import", "bookings", file.to_str().unwrap()]);
    assert!(!output.status.success());
    let out = stdout(&output);
    assert!(out.starts_with("imported 1 of 3 bookings"), "{out}");
    assert!(
        out.contains("left out: line 3, column date_of_birth: \"03/02/1990\" is not a date"),
        "{out}"
    );
    assert!(out.contains("left out: line 4, column seat"), "{out}");
    assert_one_line_failure(&output, "2 of 3 rows");

    // The good row is in, and exports again in the same layout.
    let export = galaxium(
        data.root(),
        &[
            "export",
            "bookings",
            "--launch",
            "GX-16 Three-Day Orbital Stay",
        ],
    );
    assert!(export.status.success(), "{}", stderr(&export));
    let csv = stdout(&export);
    assert!(csv.starts_with("locator,launch,full_name"), "{csv}");
    assert!(csv.contains("Mia Novak"), "{csv}");
    assert!(!csv.contains("Ola Nordmann"), "{csv}");
}

#[test]
fn importing_a_missing_file_or_exporting_an_unknown_launch_fails_in_one_line() {
    let (dir, data) = seeded_data_dir();
    let missing = dir.path().join("nope.csv");
    let output = galaxium(
        data.root(),
        &["import", "bookings", missing.to_str().unwrap()],
    );
    assert_one_line_failure(&output, "cannot read");
    let output = galaxium(data.root(), &["export", "bookings", "--launch", "GX-99"]);
    assert_one_line_failure(&output, "no launch has the id or mission name \"GX-99\"");
    let output = galaxium(
        data.root(),
        &[
            "export",
            "manifest",
            "--launch",
            "GX-13 Dawn Patrol",
            "--format",
            "pdf",
        ],
    );
    assert_one_line_failure(&output, "--output");
}

#[test]
fn the_manifest_exports_as_csv_and_as_a_pdf_with_the_seat_map() {
    let (dir, data) = seeded_data_dir();
    let output = galaxium(
        data.root(),
        &["export", "manifest", "--launch", "GX-13 Dawn Patrol"],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let csv = stdout(&output);
    assert!(
        csv.lines()
            .any(|l| l.starts_with("1A,Ada Quist,QX7T2M,CONFIRMED")),
        "{csv}"
    );
    assert!(csv.contains("PRELIMINARY"), "{csv}");
    let pdf = dir.path().join("manifest.pdf");
    let output = galaxium(
        data.root(),
        &[
            "export",
            "manifest",
            "--launch",
            "GX-13 Dawn Patrol",
            "--format",
            "pdf",
            "--output",
            pdf.to_str().unwrap(),
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(
        bytes.starts_with(b"%PDF-") && bytes.ends_with(b"%%EOF\n") || bytes.ends_with(b"%%EOF")
    );
    assert!(bytes.windows(9).any(|w| w == b"Seat map:"));
}

const ISS_TLE: &str = "ISS (ZARYA)\r
1 25544U 98067A   08264.51782528 -.00002182  00000-0 -11606-4 0  2927\r
2 25544  51.6416 247.4627 0006703 130.5360 325.0288 15.72125391563537\r
";

#[test]
fn orbit_track_prints_json_points_with_wrapped_longitudes() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("iss.tle");
    std::fs::write(&tle, ISS_TLE).unwrap();
    let output = galaxium(
        dir.path(),
        &[
            "orbit",
            "track",
            "--tle",
            tle.to_str().unwrap(),
            "--start",
            "2008-09-20T12:30:00Z",
            "--minutes",
            "95",
            "--step-seconds",
            "60",
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(!stderr(&output).contains("warning"), "{}", stderr(&output));
    let points: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(points.len(), 96);
    assert_eq!(points[0]["name"], "ISS (ZARYA)");
    assert_eq!(points[0]["time"], "2008-09-20T12:30:00Z");
    for p in &points {
        let lon = p["lon_deg"].as_f64().unwrap();
        assert!(lon > -180.0 && lon <= 180.0, "{p}");
        assert!(p["lat_deg"].as_f64().unwrap().abs() <= 52.0, "{p}");
        assert!(
            (300.0..400.0).contains(&p["alt_km"].as_f64().unwrap()),
            "{p}"
        );
    }
}

#[test]
fn a_stale_element_set_is_used_with_a_warning_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("iss.tle");
    std::fs::write(&tle, ISS_TLE).unwrap();
    let output = galaxium(
        dir.path(),
        &[
            "orbit",
            "track",
            "--tle",
            tle.to_str().unwrap(),
            "--start",
            "2008-10-20T12:30:00Z",
            "--minutes",
            "10",
            "--step-seconds",
            "60",
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(
            "warning: ISS (ZARYA): the element set's epoch is 30.0 days before the start"
        ),
        "{}",
        stderr(&output)
    );
    // The output itself stays what scripts expect.
    let points: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert_eq!(points.len(), 11);
}

#[test]
fn orbit_passes_prints_aos_tca_los_and_azimuths() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("iss.tle");
    std::fs::write(&tle, ISS_TLE).unwrap();
    let output = galaxium(
        dir.path(),
        &[
            "orbit",
            "passes",
            "--tle",
            tle.to_str().unwrap(),
            "--name",
            "ISS (ZARYA)",
            "--station",
            "37.94,-75.47,12",
            "--start",
            "2008-09-20T12:00:00Z",
            "--hours",
            "24",
            "--format",
            "json",
        ],
    );
    assert!(output.status.success(), "{}", stderr(&output));
    let passes: Vec<serde_json::Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(!passes.is_empty());
    for p in &passes {
        let time = |k: &str| chrono::DateTime::parse_from_rfc3339(p[k].as_str().unwrap()).unwrap();
        assert!(
            time("aos") < time("tca") && time("tca") < time("los"),
            "{p}"
        );
        assert!(p["aos"].as_str().unwrap().ends_with('Z'));
        assert!(p["max_elevation_deg"].as_f64().unwrap() >= 10.0, "{p}");
        for k in ["aos_azimuth_deg", "los_azimuth_deg"] {
            assert!((0.0..360.0).contains(&p[k].as_f64().unwrap()), "{p}");
        }
    }
}

#[test]
fn orbit_commands_name_what_is_wrong_in_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("bad.tle");
    std::fs::write(&tle, ISS_TLE.replace("563537", "563538")).unwrap();
    let args = |file: &str, start: &str| {
        vec![
            "orbit".to_owned(),
            "track".into(),
            "--tle".into(),
            file.into(),
            "--start".into(),
            start.into(),
            "--minutes".into(),
            "10".into(),
            "--step-seconds".into(),
            "60".into(),
        ]
    };
    let run = |a: Vec<String>| {
        galaxium(
            dir.path(),
            &a.iter().map(String::as_str).collect::<Vec<_>>(),
        )
    };
    assert_one_line_failure(
        &run(args(tle.to_str().unwrap(), "2008-09-20T12:00:00Z")),
        "line 3, columns 69-69: checksum 8 does not match",
    );
    assert_one_line_failure(
        &run(args("/nonexistent/iss.tle", "2008-09-20T12:00:00Z")),
        "cannot read",
    );
    std::fs::write(&tle, ISS_TLE).unwrap();
    assert_one_line_failure(
        &run(args(tle.to_str().unwrap(), "tomorrow")),
        "\"tomorrow\" is not an RFC 3339 time",
    );
    let unknown = galaxium(
        dir.path(),
        &[
            "orbit",
            "passes",
            "--tle",
            tle.to_str().unwrap(),
            "--name",
            "HUBBLE",
            "--station",
            "37.94,-75.47,12",
            "--start",
            "2008-09-20T12:00:00Z",
            "--hours",
            "6",
        ],
    );
    assert_one_line_failure(
        &unknown,
        "no element set named \"HUBBLE\"; it has ISS (ZARYA)",
    );
}

#[test]
fn training_prepare_makes_a_sandbox_and_never_touches_an_operational_replica() {
    let dir = tempfile::tempdir().unwrap();
    let listed = galaxium(dir.path(), &["training", "list"]);
    assert!(listed.status.success());
    assert!(String::from_utf8_lossy(&listed.stdout).contains("slow-cabin-leak"));

    let sandbox = dir.path().join("trainee-1");
    let made = galaxium(&sandbox, &["training", "prepare", "slow-cabin-leak"]);
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    assert!(String::from_utf8_lossy(&made.stdout).starts_with("sandbox ready in "));
    let replica = Replica::open(&DataDir::at(&sandbox).replica(), &OpenOptions::default()).unwrap();
    assert_eq!(
        replica.kind().unwrap(),
        galaxium_sync::ReplicaKind::Training
    );
    let scenario = galaxium::ops::training::prepared_scenario(&replica)
        .unwrap()
        .unwrap();
    assert_eq!(scenario.id, "slow-cabin-leak");

    let unknown = galaxium(&sandbox, &["training", "prepare", "nope"]);
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("no scenario \"nope\""));

    let operational = dir.path().join("ops");
    drop(
        Replica::open(
            &DataDir::at(&operational).replica(),
            &OpenOptions::default(),
        )
        .unwrap(),
    );
    let refused = galaxium(&operational, &["training", "prepare", "slow-cabin-leak"]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("is an operational replica"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );

    // A sandbox made as a copy of the operational replica; the original stays as it was.
    let copy = dir.path().join("trainee-2");
    let from = operational.to_str().unwrap();
    let made = galaxium(
        &copy,
        &["training", "prepare", "slow-cabin-leak", "--from", from],
    );
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let replica = Replica::open(&DataDir::at(&copy).replica(), &OpenOptions::default()).unwrap();
    assert_eq!(
        replica.kind().unwrap(),
        galaxium_sync::ReplicaKind::Training
    );
    let original = Replica::open(
        &DataDir::at(&operational).replica(),
        &OpenOptions::default(),
    )
    .unwrap();
    assert_eq!(
        original.kind().unwrap(),
        galaxium_sync::ReplicaKind::Operational
    );
    // Never over an existing replica.
    let again = galaxium(
        &copy,
        &["training", "prepare", "slow-cabin-leak", "--from", from],
    );
    assert!(!again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("holds a replica already"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
}
