//! Reusable egui widgets for Galaxium Console. They know no domain and no database: each
//! draws what it is given and returns what the user did.
//!
//! Colours, sizes and spacing come from [`tokens`]; no widget uses a literal colour.

pub mod banner;
pub mod ground_track;
pub mod seat_map;
pub mod sky_plot;
pub mod status_light;
pub mod tokens;

pub use banner::Banner;
pub use ground_track::{GeoPoint, GroundTrackMap, Land, MapStation, MapTrack, MapView};
pub use seat_map::{SeatCell, SeatKind, SeatMap};
pub use sky_plot::{SkyPlot, SkyPoint};
pub use status_light::{StatusLevel, StatusLight};
pub use tokens::{Theme, Tokens};
