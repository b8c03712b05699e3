//! What a launch page exports: its bookings (CSV, JSON) and its passenger manifest (CSV, PDF),
//! as bytes for a file; the console writes them whole into the data folder's exports.

use chrono::{DateTime, Utc};
use galaxium_sync::Replica;
use rusqlite::OptionalExtension as _;

use super::actions::BookingError;
use super::manifest::ManifestDoc;
use super::model::LaunchDetail;

/// One export of a launch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LaunchExport {
    /// Its bookings, one row each, in the import's layout.
    BookingsCsv,
    /// Its bookings as JSON.
    BookingsJson,
    /// The passenger manifest as CSV.
    ManifestCsv,
    /// The passenger manifest as a printable PDF.
    ManifestPdf,
}

impl LaunchExport {
    /// Every export, in the order the launch page offers them.
    pub const ALL: [Self; 4] = [
        Self::BookingsCsv,
        Self::BookingsJson,
        Self::ManifestCsv,
        Self::ManifestPdf,
    ];

    /// Its button's words.
    pub fn label(self) -> &'static str {
        match self {
            Self::BookingsCsv => "Bookings CSV",
            Self::BookingsJson => "Bookings JSON",
            Self::ManifestCsv => "Manifest CSV",
            Self::ManifestPdf => "Manifest PDF",
        }
    }

    /// The file's name for a launch of `mission`: `GX-12-Twilight-Hop-manifest.pdf`.
    pub fn file_name(self, mission: &str) -> String {
        let slug: String = mission
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        let (kind, extension) = match self {
            Self::BookingsCsv => ("bookings", "csv"),
            Self::BookingsJson => ("bookings", "json"),
            Self::ManifestCsv => ("manifest", "csv"),
            Self::ManifestPdf => ("manifest", "pdf"),
        };
        format!("{slug}-{kind}.{extension}")
    }

    /// The file's bytes for `detail` (a closed launch's manifest is the one frozen at its
    /// close; an open launch's is drawn at `now`).
    /// With `personal`, the manifest carries what an authority asks of each person
    /// (nationality, date of birth, travel document): only for roles that may read them.
    pub fn bytes(
        self,
        replica: &Replica,
        detail: &LaunchDetail,
        now: DateTime<Utc>,
        personal: bool,
    ) -> Result<Vec<u8>, BookingError> {
        let refused = |e: &dyn std::fmt::Display| BookingError::Refused(e.to_string());
        let manifest = || -> Result<ManifestDoc, BookingError> {
            let mut doc = manifest_of(replica, detail, now)?;
            if personal {
                replica.read("reading the manifest's travel documents", |conn| {
                    doc.add_authority_fields(conn)
                })?;
            }
            Ok(doc)
        };
        Ok(match self {
            Self::BookingsCsv => super::csv_io::export_csv(detail).map_err(|e| refused(&e))?,
            Self::BookingsJson => super::csv_io::export_json(detail).into_bytes(),
            Self::ManifestCsv => manifest()?.to_csv().map_err(|e| refused(&e))?,
            Self::ManifestPdf => manifest()?.to_pdf(),
        })
    }
}

/// The frozen manifest of a closed launch, or the live one drawn at `now`.
pub fn manifest_of(
    replica: &Replica,
    detail: &LaunchDetail,
    now: DateTime<Utc>,
) -> Result<ManifestDoc, BookingError> {
    let frozen: Option<String> = replica.read("reading the closed manifest", |conn| {
        conn.query_row(
            "SELECT content FROM manifests WHERE launch_id = ?1 ORDER BY closed_at DESC LIMIT 1",
            [&detail.id],
            |r| r.get(0),
        )
        .optional()
    })?;
    match frozen {
        Some(text) => serde_json::from_str(&text).map_err(|e| {
            BookingError::Refused(format!(
                "the closed manifest of {} is unreadable: {e}",
                detail.mission
            ))
        }),
        None => Ok(ManifestDoc::build(detail, now, None)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_export_names_its_file_after_the_mission_and_its_kind() {
        let names: Vec<String> = LaunchExport::ALL
            .iter()
            .map(|e| e.file_name("GX-12 Twilight Hop"))
            .collect();
        assert_eq!(
            names,
            [
                "GX-12-Twilight-Hop-bookings.csv",
                "GX-12-Twilight-Hop-bookings.json",
                "GX-12-Twilight-Hop-manifest.csv",
                "GX-12-Twilight-Hop-manifest.pdf"
            ]
        );
    }
}
