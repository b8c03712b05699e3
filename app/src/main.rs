//! `galaxium`: opens the console, or runs a headless subcommand (see `galaxium --help`).

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = galaxium::cli::Cli::parse();
    match galaxium::cli::run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // The one place a failure reaches the person at the terminal: one line, the whole cause chain.
            eprintln!("galaxium: {err:#}");
            ExitCode::FAILURE
        }
    }
}
