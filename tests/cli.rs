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
