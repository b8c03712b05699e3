//! Orbits for Galaxium Console: element sets (TLE and CCSDS OMM), SGP4 propagation (the
//! `sgp4` crate), frames (TEME, Earth-fixed, WGS84 geodetic, a station's look angles), ground
//! tracks, passes over ground stations, and the Sun's shadow. No UI, no database, no network:
//! pure functions of time and elements.

// Astrodynamics is written in its own notation (r, v, t, e, a), as the sources it follows.
#![allow(
    clippy::many_single_char_names,
    reason = "the formulas keep the symbols of Vallado and Meeus, so they can be checked against them"
)]

pub mod elements;
pub mod frames;
pub mod passes;
pub mod satellite;
pub mod sun;

pub use elements::{ElementSet, ElementsError};
pub use frames::{Geodetic, LookAngles};
pub use passes::{Pass, passes};
pub use satellite::{OrbitError, OrbitSummary, Satellite, TrackPoint};
pub use sun::{
    Illumination, LightInterval, ShadowCrossings, light_intervals, next_shadow, sun_position,
};
