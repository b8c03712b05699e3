//! Trainer mode: scenarios (a simulated mission's start and a timeline of injected events with
//! the responses expected of trainees) and the run that plays them into the simulator.

pub mod run;
pub mod scenario;
pub mod source;

use galaxium_sync::{Replica, ReplicaError, ReplicaKind};

/// The preference naming the scenario a training replica was prepared with.
pub const SCENARIO_KEY: &str = "training_scenario";

/// Why a sandbox could not be prepared or its scenario read.
#[derive(Debug, thiserror::Error)]
pub enum TrainingError {
    /// The replica failed.
    #[error(transparent)]
    Replica(#[from] ReplicaError),
    /// A scenario file is malformed.
    #[error(transparent)]
    Scenario(#[from] scenario::ScenarioError),
    /// No such scenario.
    #[error("no scenario {0:?}; the shipped ones are {1}")]
    Unknown(String, String),
    /// The replica is not a training sandbox.
    #[error(
        "{0} is an operational replica; training runs only in a sandbox (galaxium training prepare)"
    )]
    Operational(String),
}

/// The shipped scenario with `id`.
pub fn scenario_by_id(id: &str) -> Result<scenario::Scenario, TrainingError> {
    let all = scenario::shipped()?;
    let names: Vec<String> = all.iter().map(|s| s.id.clone()).collect();
    all.into_iter()
        .find(|s| s.id == id)
        .ok_or_else(|| TrainingError::Unknown(id.to_owned(), names.join(", ")))
}

/// The scenario a training replica was prepared with; `None` for an operational replica or
/// a training one without a scenario.
pub fn prepared_scenario(replica: &Replica) -> Result<Option<scenario::Scenario>, TrainingError> {
    if replica.kind()? != ReplicaKind::Training {
        return Ok(None);
    }
    match replica.preference(SCENARIO_KEY)? {
        Some(id) => scenario_by_id(&id).map(Some),
        None => Ok(None),
    }
}

/// Makes `replica` (a training sandbox) play `scenario_id` when a console opens it.
pub fn prepare(
    replica: &mut Replica,
    scenario_id: &str,
) -> Result<scenario::Scenario, TrainingError> {
    if replica.kind()? != ReplicaKind::Training {
        return Err(TrainingError::Operational(
            replica.path().display().to_string(),
        ));
    }
    let scenario = scenario_by_id(scenario_id)?;
    replica.set_preference(SCENARIO_KEY, &scenario.id)?;
    Ok(scenario)
}
