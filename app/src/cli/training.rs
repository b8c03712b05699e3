//! `galaxium training list|prepare`: the shipped scenarios, and a sandbox replica ready to
//! play one.

use std::io::Write;

use anyhow::Context as _;
use chrono::Utc;
use galaxium_sync::{OpenOptions, Replica, ReplicaKind};

use crate::ops::demo::DemoDataset;
use crate::ops::training::{self, scenario};
use crate::paths::DataDir;

/// Lists the shipped scenarios.
pub fn list(out: &mut impl Write) -> anyhow::Result<()> {
    for s in scenario::shipped()? {
        writeln!(
            out,
            "{:<26} {} ({} min, {} events)",
            s.id,
            s.title,
            (s.duration_s / 60.0).round(),
            s.events.len()
        )?;
    }
    Ok(())
}

/// Makes the data folder a training sandbox that plays `scenario_id`: a training replica
/// (bannered, never synced), seeded with the demo dataset when new.
pub fn prepare(data: &DataDir, scenario_id: &str, out: &mut impl Write) -> anyhow::Result<()> {
    // Check the scenario before creating anything.
    let chosen = training::scenario_by_id(scenario_id)?;
    let mut replica = Replica::open(
        &data.replica(),
        &OpenOptions {
            kind_if_new: ReplicaKind::Training,
        },
    )
    .with_context(|| format!("opening {}", data.replica().display()))?;
    if replica.open_report().created {
        DemoDataset::shipped()?.seed(&mut replica, Utc::now())?;
    }
    training::prepare(&mut replica, &chosen.id)?;
    writeln!(
        out,
        "sandbox ready in {}: {} ({} min). Open it with: galaxium --data {}",
        data.root().display(),
        chosen.title,
        (chosen.duration_s / 60.0).round(),
        data.root().display()
    )?;
    Ok(())
}
