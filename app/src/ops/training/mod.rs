//! Trainer mode: scenarios (a simulated mission's start and a timeline of injected events with
//! the responses expected of trainees) and the run that plays them into the simulator.

pub mod run;
pub mod scenario;
