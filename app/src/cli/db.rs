//! `galaxium db check | backup | restore`.

use std::io::Write;
use std::path::Path;

use anyhow::Context as _;
use galaxium_sync::Replica;
use galaxium_sync::replica::{self, IntegrityLevel};

use crate::paths::DataDir;
use crate::views::format;

/// Prints the replica's health without changing it; fails (non-zero exit) when it is not healthy.
pub fn check(data: &DataDir, out: &mut impl Write) -> anyhow::Result<()> {
    let inspection = replica::inspect(&data.replica(), IntegrityLevel::Full)?;
    writeln!(out, "replica    {}", inspection.path.display())?;
    writeln!(out, "size       {}", format::bytes(inspection.size_bytes))?;
    writeln!(
        out,
        "schema     version {} (this build writes {})",
        inspection.schema_version, inspection.supported_version
    )?;
    writeln!(
        out,
        "kind       {}",
        inspection.kind.map_or("unknown", |k| k.as_str())
    )?;
    writeln!(
        out,
        "device     {}",
        inspection.device_id.as_deref().unwrap_or("unknown")
    )?;
    writeln!(out, "integrity  {}", inspection.integrity)?;
    writeln!(out, "rows")?;
    for table in &inspection.tables {
        let demo = if table.demo_rows > 0 {
            format!(" ({} demo)", table.demo_rows)
        } else {
            String::new()
        };
        writeln!(out, "  {:<18}{:>10}{demo}", table.name, table.rows)?;
    }
    Ok(())
}

/// Backs the replica up to `file`.
pub fn backup(data: &DataDir, file: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let mut replica = Replica::open_existing(&data.replica())?;
    let record = replica
        .backup_to(file)
        .with_context(|| format!("backing up to {}", file.display()))?;
    writeln!(
        out,
        "backed up {} to {} ({})",
        replica.path().display(),
        record.path.display(),
        format::bytes(record.size_bytes)
    )?;
    Ok(())
}

/// Restores the replica from `file`.
pub fn restore(data: &DataDir, file: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let set_aside = replica::restore(file, &data.replica())?;
    write!(
        out,
        "restored {} from {}",
        data.replica().display(),
        file.display()
    )?;
    match set_aside {
        Some(path) => writeln!(
            out,
            "; the replica it replaced is kept at {}",
            path.display()
        )?,
        None => writeln!(out)?,
    }
    Ok(())
}
