//! `galaxium import bookings FILE.csv`, `galaxium export bookings|manifest --launch ID`.

use std::io::Write;
use std::path::Path;

use anyhow::{Context as _, bail};
use chrono::Utc;
use galaxium_sync::Replica;

use crate::ops::bookings::{LaunchDetail, csv_io};
use crate::paths::DataDir;

/// Imports the bookings in `file`; prints what was imported and every row left out. Fails
/// (non-zero exit) when any row was left out, after importing the good ones.
pub fn import(data: &DataDir, file: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let input =
        std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let mut replica = Replica::open_existing(&data.replica())?;
    let report = csv_io::import_bookings(&mut replica, input, Utc::now(), &mut |_, _| {})
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    writeln!(
        out,
        "imported {} of {} bookings from {} ({} new passengers)",
        report.imported,
        report.rows,
        file.display(),
        report.passengers_created
    )?;
    for problem in &report.problems {
        writeln!(out, "  left out: {problem}")?;
    }
    if !report.problems.is_empty() {
        bail!(
            "{} of {} rows of {} were left out (listed above); fix them and import those rows again",
            report.problems.len(),
            report.rows,
            file.display()
        );
    }
    Ok(())
}

/// The launch named by id or mission name.
fn launch(replica: &Replica, key: &str) -> anyhow::Result<LaunchDetail> {
    let id: Option<String> = replica.read("finding the launch", |conn| {
        use rusqlite::OptionalExtension as _;
        conn.query_row(
            "SELECT id FROM launches WHERE id = ?1 OR mission = ?1 ORDER BY scheduled_at LIMIT 1",
            [key],
            |r| r.get(0),
        )
        .optional()
    })?;
    let Some(id) = id else {
        bail!("no launch has the id or mission name {key:?}");
    };
    replica
        .read("reading the launch", |conn| LaunchDetail::load(conn, &id))?
        .with_context(|| format!("the launch {id} vanished while it was read"))
}

fn write_output(output: Option<&Path>, bytes: &[u8], out: &mut impl Write) -> anyhow::Result<()> {
    match output {
        Some(path) => Ok(crate::ops::files::write_whole(path, bytes)?),
        None => out
            .write_all(bytes)
            .context("cannot write to standard output"),
    }
}

/// Writes the launch's bookings as CSV (the import layout) or JSON.
pub fn export_bookings(
    data: &DataDir,
    key: &str,
    format: &str,
    output: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let replica = Replica::open_existing(&data.replica())?;
    let detail = launch(&replica, key)?;
    let bytes = match format {
        "csv" => csv_io::export_csv(&detail)?,
        "json" => {
            let mut json = csv_io::export_json(&detail).into_bytes();
            json.push(b'\n');
            json
        }
        other => bail!("unknown format {other:?}; use csv or json"),
    };
    write_output(output, &bytes, out)
}

/// Writes the launch's manifest (the closed one if it was closed) as CSV or PDF.
pub fn export_manifest(
    data: &DataDir,
    key: &str,
    format: &str,
    output: Option<&Path>,
    out: &mut impl Write,
) -> anyhow::Result<()> {
    let replica = Replica::open_existing(&data.replica())?;
    let detail = launch(&replica, key)?;
    let doc = crate::ops::bookings::export::manifest_of(&replica, &detail, Utc::now())?;
    match format {
        "csv" => write_output(output, &doc.to_csv()?, out),
        "pdf" => match output {
            Some(path) => write_output(Some(path), &doc.to_pdf(), out),
            None => bail!("a PDF goes to a file: add --output FILE.pdf"),
        },
        other => bail!("unknown format {other:?}; use csv or pdf"),
    }
}
