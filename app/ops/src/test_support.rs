//! What the domain tests share: a real replica file seeded with the demo dataset at a fixed
//! moment, and the launch of a mission read in full.

use chrono::{DateTime, TimeZone as _, Utc};
use galaxium_sync::{OpenOptions, Replica};

use crate::bookings::LaunchDetail;
use crate::demo::DemoDataset;

/// A replica seeded with the demo dataset, and the moment it was seeded.
pub(crate) struct Seeded {
    /// Holds the replica's folder while the test runs.
    pub(crate) _dir: tempfile::TempDir,
    /// The replica.
    pub(crate) replica: Replica,
    /// When it was seeded: 2026-11-22 12:00 UTC.
    pub(crate) now: DateTime<Utc>,
}

/// A fresh replica seeded with the demo dataset at 2026-11-22 12:00 UTC.
pub(crate) fn seeded() -> Seeded {
    let dir = tempfile::tempdir().unwrap();
    let mut replica =
        Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
    DemoDataset::shipped()
        .unwrap()
        .seed(&mut replica, now)
        .unwrap();
    Seeded {
        _dir: dir,
        replica,
        now,
    }
}

impl Seeded {
    /// The launch of `mission`, in full.
    pub(crate) fn launch(&self, mission: &str) -> LaunchDetail {
        self.replica
            .read("test", |c| {
                let id: String = c.query_row(
                    "SELECT id FROM launches WHERE mission = ?1",
                    [mission],
                    |r| r.get(0),
                )?;
                LaunchDetail::load(c, &id)
            })
            .unwrap()
            .unwrap()
    }
}
