//! Orbits for Galaxium Console: element sets (TLE and CCSDS OMM), SGP4 propagation (the
//! `sgp4` crate), frames (TEME, Earth-fixed, WGS84 geodetic, a station's look angles), ground
//! tracks, passes over ground stations, and the Sun's shadow. No UI, no database, no network:
//! pure functions of time and elements.

pub mod elements;
pub mod frames;
pub mod passes;
pub mod satellite;

pub use elements::{ElementSet, ElementsError};
pub use frames::{Geodetic, LookAngles};
pub use passes::{Pass, passes};
pub use satellite::{OrbitError, OrbitSummary, Satellite, TrackPoint};
