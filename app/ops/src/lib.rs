//! Domain workflows without UI: each turns an operator's intent into replica reads and
//! writes, and is tested without a window.

pub mod bookings;
pub mod commanding;
pub mod demo;
pub mod files;
pub mod incidents;
pub mod jobs;
pub mod launch_poll;
pub mod mission;
pub mod orbit;
pub mod overview;
pub mod paths;
pub mod screen_read;
pub mod sync_agent;
pub mod telemetry;
#[cfg(test)]
mod test_support;
pub mod training;
