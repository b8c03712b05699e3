//! Galaxium Console: the operator console for a crewed space-tourism operator.
//!
//! The binary `galaxium` opens the console, or runs a headless subcommand. This library holds
//! everything it does, so tests and benchmarks drive the same code.

pub mod cli;
pub mod console;
pub mod logging;
pub mod tone;

/// The domain workflows (package `galaxium-ops`), under the path the console has always used.
pub use galaxium_ops as ops;
/// The data folder's layout (in `galaxium-ops`).
pub use galaxium_ops::paths;
/// The screens, their commands and the palette (package `galaxium-views`).
pub use galaxium_views as views;
