//! Galaxium Console: the operator console for a crewed space-tourism operator.
//!
//! The binary `galaxium` opens the console, or runs a headless subcommand. This library holds
//! everything it does, so tests and benchmarks drive the same code.

pub mod cli;
pub mod console;
pub mod logging;
pub mod ops;
pub mod paths;
pub mod views;
