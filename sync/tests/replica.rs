//! The replica's promises: it opens, upgrades and backs up safely, and refuses a bad file
//! without changing a byte of it.

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::path::{Path, PathBuf};

use galaxium_sync::replica::{
    self, GroundStationRow, IntegrityLevel, LaunchRow, SpaceportRow, VehicleRow,
};
use galaxium_sync::schema::LATEST_VERSION;
use galaxium_sync::{OpenOptions, Replica, ReplicaError, ReplicaKind};

fn replica_path(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("data").join(replica::REPLICA_FILE_NAME)
}

fn add_fleet(replica: &mut Replica, demo: bool) -> (String, String) {
    let vehicle = VehicleRow {
        id: replica::new_id(),
        name: format!("Aurora {demo}"),
        model: "G-6 capsule".into(),
        seat_count: 6,
        max_passenger_mass_kg: 600.0,
        max_baggage_mass_kg: 60.0,
        demo,
        seat_layout: "[]".into(),
    };
    let port = SpaceportRow {
        id: replica::new_id(),
        code: format!("GSP{demo}"),
        name: "Galaxium Spaceport".into(),
        lat_deg: 32.99,
        lon_deg: -106.97,
        alt_m: 1400.0,
        demo,
    };
    replica
        .write(|w| {
            w.insert_vehicle(&vehicle)?;
            w.insert_spaceport(&port)?;
            w.insert_ground_station(&GroundStationRow {
                id: replica::new_id(),
                name: format!("Station {demo}"),
                lat_deg: 64.8,
                lon_deg: -147.7,
                alt_m: 200.0,
                min_elevation_deg: 5.0,
                demo,
            })
        })
        .unwrap();
    (vehicle.id, port.id)
}

fn add_launch(replica: &mut Replica, vehicle: &str, port: &str, mission: &str, demo: bool) {
    let launch = LaunchRow {
        id: replica::new_id(),
        mission: mission.into(),
        vehicle_id: vehicle.into(),
        spaceport_id: port.into(),
        pad: "Pad A".into(),
        scheduled_at: "2030-01-02T03:04:05Z".into(),
        status: "scheduled".into(),
        demo,
        fare_classes: "[]".into(),
        checkin_opens_hours: 24.0,
        checkin_closes_hours: 1.0,
    };
    replica.write(|w| w.insert_launch(&launch)).unwrap();
}

/// Sets the schema version of a closed replica by hand, as a newer build would have.
fn set_user_version(path: &Path, version: u32) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.pragma_update(None, "user_version", version).unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
}

fn files_in(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn a_new_replica_is_created_at_the_latest_schema_with_an_identity() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    let replica = Replica::open(&path, &OpenOptions::default()).unwrap();
    assert!(replica.open_report().created);
    assert_eq!(replica.open_report().integrity, "ok");

    let status = replica.status().unwrap();
    assert_eq!(status.schema_version, LATEST_VERSION);
    assert_eq!(status.kind, ReplicaKind::Operational);
    assert_eq!(status.device_id.len(), 36, "a UUID: {}", status.device_id);
    assert!(status.created_at.is_some());
    assert_eq!(status.total_rows(), 0);
    assert!(status.last_backup.is_none());

    let journal: String = rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_query_value(None, "journal_mode", |r| r.get(0))
        .unwrap();
    assert_eq!(journal, "wal");
}

#[test]
fn reopening_keeps_the_identity_and_the_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    let device_id = {
        let mut replica = Replica::open(&path, &OpenOptions::default()).unwrap();
        add_fleet(&mut replica, false);
        replica.status().unwrap().device_id
    };
    let replica = Replica::open(&path, &OpenOptions::default()).unwrap();
    assert!(!replica.open_report().created);
    let status = replica.status().unwrap();
    assert_eq!(status.device_id, device_id);
    assert_eq!(status.total_rows(), 3);
}

#[test]
fn a_training_replica_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let options = OpenOptions {
        kind_if_new: ReplicaKind::Training,
    };
    let replica = Replica::open(&replica_path(&dir), &options).unwrap();
    assert_eq!(replica.kind().unwrap(), ReplicaKind::Training);
}

#[test]
fn a_file_from_a_newer_schema_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    drop(Replica::open(&path, &OpenOptions::default()).unwrap());
    set_user_version(&path, LATEST_VERSION + 1);
    let before = files_in(path.parent().unwrap());

    let err = Replica::open(&path, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(err, ReplicaError::TooNew { found, supported, .. } if found == LATEST_VERSION + 1 && supported == LATEST_VERSION),
        "{err}"
    );
    assert!(err.to_string().contains("newer Galaxium"), "{err}");
    assert_eq!(files_in(path.parent().unwrap()), before);
}

#[test]
fn a_file_that_is_not_sqlite_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, b"booking export 2026-11-01\nnot a database at all\n").unwrap();
    let before = files_in(path.parent().unwrap());

    let err = Replica::open(&path, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ReplicaError::NotADatabase { .. }), "{err}");
    assert!(err.to_string().contains("left untouched"), "{err}");
    assert_eq!(files_in(path.parent().unwrap()), before);
}

#[test]
fn a_damaged_replica_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    {
        let mut replica = Replica::open(&path, &OpenOptions::default()).unwrap();
        let (vehicle, port) = add_fleet(&mut replica, false);
        for n in 0..200 {
            add_launch(
                &mut replica,
                &vehicle,
                &port,
                &format!("Mission {n}"),
                false,
            );
        }
    }
    // Fold the log into the file so that the damage below hits real pages.
    set_user_version(&path, LATEST_VERSION);
    let mut bytes = std::fs::read(&path).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    for page in 2..bytes.len() / page_size {
        let start = page * page_size;
        bytes[start..start + 64].fill(0xA5);
    }
    std::fs::write(&path, &bytes).unwrap();
    let before = files_in(path.parent().unwrap());

    let err = Replica::open(&path, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ReplicaError::Corrupt { .. }), "{err}");
    assert!(err.to_string().contains("db restore"), "{err}");
    assert_eq!(files_in(path.parent().unwrap()), before);
}

#[test]
fn another_programs_database_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');")
        .unwrap();
    let err = Replica::open(&path, &OpenOptions::default()).unwrap_err();
    assert!(matches!(err, ReplicaError::NotAReplica { .. }), "{err}");
}

#[test]
fn a_folder_that_cannot_be_written_is_reported_as_such() {
    let dir = tempfile::tempdir().unwrap();
    // A path under a plain file can never be a folder, whoever runs the test.
    let blocker = dir.path().join("not-a-folder");
    std::fs::write(&blocker, b"x").unwrap();
    let path = blocker.join("data").join(replica::REPLICA_FILE_NAME);
    let err = Replica::open(&path, &OpenOptions::default()).unwrap_err();
    assert!(
        matches!(err, ReplicaError::FolderNotWritable { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("--data"), "{err}");
}

#[test]
fn backup_and_restore_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    let backup = dir.path().join("copies").join("monday.sqlite");
    {
        let mut replica = Replica::open(&path, &OpenOptions::default()).unwrap();
        let (vehicle, port) = add_fleet(&mut replica, false);
        add_launch(&mut replica, &vehicle, &port, "Before backup", false);
        let record = replica.backup_to(&backup).unwrap();
        assert_eq!(record.path, backup);
        assert!(record.size_bytes > 0);
        assert_eq!(replica.status().unwrap().last_backup, Some(record));

        let err = replica.backup_to(&backup).unwrap_err();
        assert!(matches!(err, ReplicaError::BackupExists { .. }), "{err}");

        add_launch(&mut replica, &vehicle, &port, "After backup", false);
    }
    let backup_check = replica::inspect(&backup, IntegrityLevel::Full).unwrap();
    assert_eq!(backup_check.integrity, "ok");

    let device_before = Replica::open(&path, &OpenOptions::default())
        .unwrap()
        .device_id()
        .to_owned();
    let set_aside = replica::restore(&backup, &path).unwrap().unwrap();
    let replica = Replica::open(&path, &OpenOptions::default()).unwrap();
    assert_ne!(
        replica.device_id(),
        device_before,
        "a restored replica is a new device"
    );
    let missions: Vec<String> = replica
        .launches_from(chrono::DateTime::UNIX_EPOCH, 10)
        .unwrap()
        .into_iter()
        .map(|l| l.mission)
        .collect();
    assert_eq!(missions, ["Before backup"]);

    // The replaced replica, with the launch added after the backup, is kept, not deleted.
    let kept = Replica::open(&set_aside, &OpenOptions::default()).unwrap();
    assert_eq!(
        kept.launches_from(chrono::DateTime::UNIX_EPOCH, 10)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn restoring_from_a_bad_backup_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    drop(Replica::open(&path, &OpenOptions::default()).unwrap());
    let bogus = dir.path().join("bogus.sqlite");
    std::fs::write(&bogus, b"definitely not sqlite, but long enough").unwrap();
    let before = files_in(path.parent().unwrap());
    let err = replica::restore(&bogus, &path).unwrap_err();
    assert!(matches!(err, ReplicaError::NotADatabase { .. }), "{err}");
    assert_eq!(files_in(path.parent().unwrap()), before);
}

#[test]
fn the_change_mark_moves_with_data_not_with_the_telemetry_archive() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    let replica = Replica::open(&path, &OpenOptions::default()).unwrap();
    let (before_version, before_mark) = (
        replica.data_version().unwrap(),
        replica.change_mark().unwrap(),
    );
    // The archive's own connection commits samples: SQLite's data version moves, the mark not.
    let archive = rusqlite::Connection::open(&path).unwrap();
    archive
        .execute_batch(
            "INSERT INTO telemetry_channels (id, name) VALUES (1, 'ls.ppo2');
             INSERT INTO telemetry_samples (channel, t, value) VALUES (1, 1.0, 21.0);",
        )
        .unwrap();
    assert_ne!(replica.data_version().unwrap(), before_version);
    assert_eq!(replica.change_mark().unwrap(), before_mark);
    // Another connection's write of data moves both.
    let mut other = Replica::reopen(&path).unwrap();
    let (vehicle, port) = add_fleet(&mut other, false);
    add_launch(&mut other, &vehicle, &port, "GX-1", false);
    assert_ne!(replica.change_mark().unwrap(), before_mark);
}

#[test]
fn a_time_written_to_the_second_is_stored_to_the_millisecond() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::open(&replica_path(&dir), &OpenOptions::default()).unwrap();
    let (vehicle, port) = add_fleet(&mut replica, false);
    add_launch(&mut replica, &vehicle, &port, "GX-1", false);
    let launches = replica.table_rows("launches").unwrap();
    let launch = launches.values().next().unwrap();
    assert_eq!(launch["scheduled_at"], "2030-01-02T03:04:05.000Z");
}

#[test]
fn demo_rows_are_removed_and_the_operators_rows_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::open(&replica_path(&dir), &OpenOptions::default()).unwrap();
    let (demo_vehicle, demo_port) = add_fleet(&mut replica, true);
    add_launch(&mut replica, &demo_vehicle, &demo_port, "Demo flight", true);
    let (own_vehicle, own_port) = add_fleet(&mut replica, false);
    add_launch(&mut replica, &own_vehicle, &own_port, "Real flight", false);
    assert_eq!(replica.status().unwrap().demo_rows(), 4);

    assert_eq!(replica.remove_demo_rows().unwrap(), 4);
    let status = replica.status().unwrap();
    assert_eq!(status.demo_rows(), 0);
    assert_eq!(status.total_rows(), 4);
}

#[test]
fn a_blank_sqlite_file_becomes_a_replica() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    rusqlite::Connection::open(&path)
        .unwrap()
        .execute_batch("VACUUM")
        .unwrap();
    let replica = Replica::open(&path, &OpenOptions::default()).unwrap();
    assert!(replica.open_report().created);
}

#[test]
fn inspecting_a_missing_replica_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    let err = replica::inspect(&path, IntegrityLevel::Quick).unwrap_err();
    assert!(matches!(err, ReplicaError::Missing { .. }), "{err}");
    assert!(err.to_string().contains(&path.display().to_string()));
    assert!(!path.exists(), "inspecting must not create a replica");
}

#[test]
fn an_older_replica_is_backed_up_then_upgraded() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    {
        // A replica as the first release wrote it: migration 1 only.
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(galaxium_sync::schema::MIGRATIONS[0].sql)
            .unwrap();
        conn.pragma_update(None, "user_version", 1).unwrap();
        conn.pragma_update(
            None,
            "application_id",
            galaxium_sync::schema::APPLICATION_ID,
        )
        .unwrap();
        conn.execute(
            "INSERT INTO vehicles (id, name, model, seat_count, max_passenger_mass_kg, max_baggage_mass_kg)
             VALUES ('v1', 'Aurora', 'G-6', 6, 630.0, 54.0)",
            [],
        )
        .unwrap();
        // Times as it stored them: to the second.
        conn.execute_batch(
            "INSERT INTO spaceports (id, code, name, lat_deg, lon_deg, alt_m)
               VALUES ('s1', 'KSC', 'Kennedy', 28.5, -80.6, 3.0);
             INSERT INTO launches (id, mission, vehicle_id, spaceport_id, pad, scheduled_at, status)
               VALUES ('l1', 'GX-1', 'v1', 's1', 'LC-39A', '2030-01-02T03:04:05Z', 'scheduled');",
        )
        .unwrap();
    }
    let replica = Replica::open(&path, &OpenOptions::default()).unwrap();
    let report = replica.open_report();
    assert_eq!(report.migrated_from, Some(1));
    assert_eq!(replica.status().unwrap().schema_version, LATEST_VERSION);
    assert_eq!(replica.table_rows("vehicles").unwrap().len(), 1);
    // Every stored time now has the one form.
    assert_eq!(
        replica.table_rows("launches").unwrap()["l1"]["scheduled_at"],
        "2030-01-02T03:04:05.000Z"
    );

    let backup = report.pre_migration_backup.as_ref().unwrap();
    assert!(backup.starts_with(path.parent().unwrap().join("backups")));
    let old = replica::inspect(backup, IntegrityLevel::Full).unwrap();
    assert_eq!(old.schema_version, 1);
    assert_eq!(
        old.tables
            .iter()
            .find(|t| t.name == "vehicles")
            .unwrap()
            .rows,
        1
    );
}

#[test]
fn damage_in_the_telemetry_archive_is_found_after_opening_not_at_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = replica_path(&dir);
    {
        let mut replica = Replica::open(&path, &OpenOptions::default()).unwrap();
        let (vehicle, port) = add_fleet(&mut replica, false);
        add_launch(&mut replica, &vehicle, &port, "Mission 1", false);
    }
    // The archive written last, so the file's last pages are the archive's (its table and
    // index), as a console's are after a day of telemetry.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch(
            "INSERT INTO telemetry_channels (id, name) VALUES (1, 'ls.cabin_pressure');
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 49999)
             INSERT INTO telemetry_samples (channel, t, value) SELECT 1, i, 101.3 FROM n;
             PRAGMA journal_mode = DELETE;",
        )
        .unwrap();
    }
    let mut bytes = std::fs::read(&path).unwrap();
    let page_size = usize::from(u16::from_be_bytes([bytes[16], bytes[17]]));
    let pages = bytes.len() / page_size;
    for page in pages - 20..pages {
        let start = page * page_size;
        bytes[start..start + 64].fill(0xA5);
    }
    std::fs::write(&path, &bytes).unwrap();

    let replica = Replica::open(&path, &OpenOptions::default())
        .expect("damage in the archive alone does not keep the console from opening");
    drop(replica);
    let err = galaxium_sync::replica::check_whole_file(&path).unwrap_err();
    assert!(matches!(err, ReplicaError::Corrupt { .. }), "{err}");
}
