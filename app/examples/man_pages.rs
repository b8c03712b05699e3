//! Writes the manual pages of `galaxium` and `galaxium-server` (one page per command and
//! subcommand, such as `galaxium-training-host.1`) from their command lines, into the folder
//! given (default `target/man`). The package build runs it; see `packaging/build-packages`.
//!
//! Run: `cargo run -p galaxium --example man_pages -- target/man`

#![allow(clippy::print_stdout, reason = "a build tool reports what it wrote")]

use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::CommandFactory as _;

fn main() -> anyhow::Result<()> {
    let out = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("target/man"), PathBuf::from);
    std::fs::create_dir_all(&out).with_context(|| format!("creating {}", out.display()))?;
    let mut written = 0;
    for command in [
        galaxium::cli::Cli::command(),
        galaxium_server::cli::Cli::command(),
    ] {
        written += write_pages(command, &out)?;
    }
    println!("{written} manual pages in {}", out.display());
    Ok(())
}

/// Writes `command`'s page and its subcommands' (named `parent-sub`), returns how many.
fn write_pages(command: clap::Command, out: &Path) -> anyhow::Result<usize> {
    let mut command = command;
    // Subcommand pages need the full name, and help subcommands need no page.
    command.build();
    write_tree(&command, command.get_name(), out)
}

fn write_tree(command: &clap::Command, name: &str, out: &Path) -> anyhow::Result<usize> {
    // clap takes a static name (its `string` feature is off); a one-shot tool may leak it.
    let page = command
        .clone()
        .name(&*Box::leak(name.to_owned().into_boxed_str()));
    let path = out.join(format!("{name}.1"));
    let mut text = Vec::new();
    clap_mangen::Man::new(page)
        .date(env!("CARGO_PKG_VERSION"))
        .source(format!("Galaxium Console {}", env!("CARGO_PKG_VERSION")))
        .manual("Galaxium Console")
        .render(&mut text)
        .with_context(|| format!("rendering {name}"))?;
    std::fs::write(&path, text).with_context(|| format!("writing {}", path.display()))?;
    let mut written = 1;
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        written += write_tree(sub, &format!("{name}-{}", sub.get_name()), out)?;
    }
    Ok(written)
}
