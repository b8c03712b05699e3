//! The demo dataset: a small, realistic fleet, spaceports, ground stations and upcoming
//! launches, seeded into a new replica so a first-time user sees a working console.
//!
//! The data lives in `assets/demo/dataset.toml`; every row is marked as demo so that it can
//! be removed without touching the operator's own data.

use std::collections::HashMap;

use anyhow::{Context as _, bail};
use chrono::{DateTime, Days, NaiveTime, SecondsFormat, Utc};
use galaxium_sync::Replica;
use galaxium_sync::replica::{self, GroundStationRow, LaunchRow, SpaceportRow, VehicleRow};
use serde::Deserialize;

const DATASET_TOML: &str = include_str!("../../../assets/demo/dataset.toml");

/// The demo dataset as shipped.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoDataset {
    vehicles: Vec<DemoVehicle>,
    spaceports: Vec<DemoSpaceport>,
    ground_stations: Vec<DemoGroundStation>,
    launches: Vec<DemoLaunch>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoVehicle {
    name: String,
    model: String,
    seat_count: u32,
    max_passenger_mass_kg: f64,
    max_baggage_mass_kg: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoSpaceport {
    code: String,
    name: String,
    lat_deg: f64,
    lon_deg: f64,
    alt_m: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoGroundStation {
    name: String,
    lat_deg: f64,
    lon_deg: f64,
    alt_m: f64,
    min_elevation_deg: f64,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DemoLaunch {
    mission: String,
    vehicle: String,
    spaceport: String,
    pad: String,
    days_after_seed: u64,
    time_utc: String,
    status: String,
}

/// How many rows of each kind a seeding wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedSummary {
    /// Vehicles added.
    pub vehicles: usize,
    /// Spaceports added.
    pub spaceports: usize,
    /// Ground stations added.
    pub ground_stations: usize,
    /// Launches added.
    pub launches: usize,
}

impl std::fmt::Display for SeedSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} vehicles, {} spaceports, {} ground stations and {} launches",
            self.vehicles, self.spaceports, self.ground_stations, self.launches
        )
    }
}

impl DemoDataset {
    /// The dataset shipped in `assets/demo/dataset.toml`.
    pub fn shipped() -> anyhow::Result<Self> {
        Self::parse(DATASET_TOML).context("the shipped demo dataset (assets/demo/dataset.toml)")
    }

    /// Parses a dataset in the shipped format.
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        Ok(toml::from_str(text)?)
    }

    /// Writes the dataset into `replica` in one transaction, launch times counted from `now`.
    /// Refuses when the replica already holds demo rows, so seeding twice cannot duplicate it.
    pub fn seed(&self, replica: &mut Replica, now: DateTime<Utc>) -> anyhow::Result<SeedSummary> {
        if replica.status()?.demo_rows() > 0 {
            bail!("the replica already holds the demo dataset; remove it first to load it again");
        }
        let vehicles: Vec<VehicleRow> = self
            .vehicles
            .iter()
            .map(|v| VehicleRow {
                id: replica::new_id(),
                name: v.name.clone(),
                model: v.model.clone(),
                seat_count: v.seat_count,
                max_passenger_mass_kg: v.max_passenger_mass_kg,
                max_baggage_mass_kg: v.max_baggage_mass_kg,
                demo: true,
            })
            .collect();
        let spaceports: Vec<SpaceportRow> = self
            .spaceports
            .iter()
            .map(|s| SpaceportRow {
                id: replica::new_id(),
                code: s.code.clone(),
                name: s.name.clone(),
                lat_deg: s.lat_deg,
                lon_deg: s.lon_deg,
                alt_m: s.alt_m,
                demo: true,
            })
            .collect();
        let ground_stations: Vec<GroundStationRow> = self
            .ground_stations
            .iter()
            .map(|g| GroundStationRow {
                id: replica::new_id(),
                name: g.name.clone(),
                lat_deg: g.lat_deg,
                lon_deg: g.lon_deg,
                alt_m: g.alt_m,
                min_elevation_deg: g.min_elevation_deg,
                demo: true,
            })
            .collect();
        let vehicle_ids: HashMap<&str, &str> = vehicles
            .iter()
            .map(|v| (v.name.as_str(), v.id.as_str()))
            .collect();
        let spaceport_ids: HashMap<&str, &str> = spaceports
            .iter()
            .map(|s| (s.code.as_str(), s.id.as_str()))
            .collect();
        let launches = self
            .launches
            .iter()
            .map(|l| {
                let time = NaiveTime::parse_from_str(&l.time_utc, "%H:%M").with_context(|| {
                    format!(
                        "launch {:?}: time_utc {:?} is not HH:MM",
                        l.mission, l.time_utc
                    )
                })?;
                let scheduled = now
                    .date_naive()
                    .checked_add_days(Days::new(l.days_after_seed))
                    .with_context(|| format!("launch {:?}: date out of range", l.mission))?
                    .and_time(time)
                    .and_utc();
                Ok(LaunchRow {
                    id: replica::new_id(),
                    mission: l.mission.clone(),
                    vehicle_id: (*vehicle_ids.get(l.vehicle.as_str()).with_context(|| {
                        format!("launch {:?}: no vehicle named {:?}", l.mission, l.vehicle)
                    })?)
                    .to_owned(),
                    spaceport_id: (*spaceport_ids.get(l.spaceport.as_str()).with_context(
                        || format!("launch {:?}: no spaceport {:?}", l.mission, l.spaceport),
                    )?)
                    .to_owned(),
                    pad: l.pad.clone(),
                    scheduled_at: scheduled.to_rfc3339_opts(SecondsFormat::Secs, true),
                    status: l.status.clone(),
                    demo: true,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;

        replica.write(|w| {
            vehicles.iter().try_for_each(|v| w.insert_vehicle(v))?;
            spaceports.iter().try_for_each(|s| w.insert_spaceport(s))?;
            ground_stations
                .iter()
                .try_for_each(|g| w.insert_ground_station(g))?;
            launches.iter().try_for_each(|l| w.insert_launch(l))
        })?;
        let summary = SeedSummary {
            vehicles: vehicles.len(),
            spaceports: spaceports.len(),
            ground_stations: ground_stations.len(),
            launches: launches.len(),
        };
        tracing::info!(%summary, "seeded the demo dataset");
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use galaxium_sync::OpenOptions;

    use super::*;

    fn new_replica(dir: &tempfile::TempDir) -> Replica {
        Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap()
    }

    #[test]
    fn the_shipped_dataset_seeds_upcoming_launches_marked_as_demo() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = new_replica(&dir);
        let now = Utc::now();
        let summary = DemoDataset::shipped()
            .unwrap()
            .seed(&mut replica, now)
            .unwrap();
        assert!(summary.vehicles >= 2 && summary.launches >= 3, "{summary}");

        let status = replica.status().unwrap();
        assert_eq!(status.demo_rows(), status.total_rows());
        let upcoming = replica.launches_from(now, 100).unwrap();
        assert_eq!(upcoming.len(), summary.launches);
        assert!(upcoming.iter().all(|l| l.demo));
    }

    #[test]
    fn seeding_twice_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let mut replica = new_replica(&dir);
        let dataset = DemoDataset::shipped().unwrap();
        dataset.seed(&mut replica, Utc::now()).unwrap();
        let err = dataset.seed(&mut replica, Utc::now()).unwrap_err();
        assert!(err.to_string().contains("already holds"), "{err}");
    }

    #[test]
    fn a_launch_naming_an_unknown_vehicle_is_refused_and_nothing_is_written() {
        let text = DATASET_TOML.replacen("vehicle = \"Aurora\"", "vehicle = \"Nimbus\"", 1);
        let dir = tempfile::tempdir().unwrap();
        let mut replica = new_replica(&dir);
        let err = DemoDataset::parse(&text)
            .unwrap()
            .seed(&mut replica, Utc::now())
            .unwrap_err();
        assert!(err.to_string().contains("Nimbus"), "{err}");
        assert_eq!(replica.status().unwrap().total_rows(), 0);
    }
}
