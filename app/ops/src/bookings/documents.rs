//! A passenger's papers: passport or ID card scans and medical certificates, each with its
//! number and expiry. Readiness reads their expiries; the desk finds a passenger by a
//! document's number; the manifest carries the travel document. Numbers, file names and
//! scans are personal data: the server sends them only to roles that may read them, so on
//! other consoles they are `None` here.

use chrono::{DateTime, NaiveDate, Utc};
use galaxium_sync::Replica;
use galaxium_sync::replica::{self, Writer};
use galaxium_sync::schema::registry::MAX_DOCUMENT_BYTES;
use galaxium_sync::time::stored;
use rusqlite::{Connection, OptionalExtension as _};
use serde_json::json;

use super::actions::{BookingError, object};
use super::model::parse_day;

/// The largest scan, in KiB, as the forms say it.
pub const MAX_SCAN_KIB: i64 = MAX_DOCUMENT_BYTES / 1024;

/// What a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DocumentKind {
    /// A passport: a travel document.
    Passport,
    /// A national identity card: a travel document.
    IdCard,
    /// A medical certificate of fitness to fly.
    MedicalCertificate,
}

impl DocumentKind {
    /// Every kind, in the order the documents panel offers them.
    pub const ALL: [Self; 3] = [Self::Passport, Self::IdCard, Self::MedicalCertificate];

    /// The word stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Passport => "passport",
            Self::IdCard => "id_card",
            Self::MedicalCertificate => "medical_certificate",
        }
    }

    /// The stored word's kind.
    pub fn parse(word: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == word)
    }

    /// What people call it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Passport => "passport",
            Self::IdCard => "ID card",
            Self::MedicalCertificate => "medical certificate",
        }
    }

    /// Whether it lets a passenger travel (a passport or an ID card).
    pub fn is_travel_document(self) -> bool {
        !matches!(self, Self::MedicalCertificate)
    }
}

/// A document, without its scan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentInfo {
    /// UUIDv7.
    pub id: String,
    /// Whose it is.
    pub passenger_id: String,
    /// What it is.
    pub kind: DocumentKind,
    /// Its number; `None` where this console may not read it.
    pub number: Option<String>,
    /// The last day it is valid.
    pub expires_on: NaiveDate,
    /// The scan's file name; `None` where this console may not read it.
    pub file_name: Option<String>,
    /// PDF, PNG or JPEG.
    pub media_type: String,
    /// The scan's size.
    pub size_bytes: i64,
    /// When it was added.
    pub added_at: String,
    /// Who added it.
    pub added_by: String,
    /// Whether this console holds the scan.
    pub has_scan: bool,
}

impl DocumentInfo {
    /// "passport P1234567" or "passport" where the number is not shown.
    pub fn title(&self) -> String {
        match &self.number {
            Some(number) if !number.is_empty() => format!("{} {number}", self.kind.label()),
            _ => self.kind.label().to_owned(),
        }
    }
}

const DOCUMENT_COLUMNS: &str = "id, passenger_id, kind, number, expires_on, file_name, \
                                media_type, size_bytes, added_at, added_by, content IS NOT NULL";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DocumentInfo> {
    let kind: String = r.get(2)?;
    let expires: String = r.get(4)?;
    Ok(DocumentInfo {
        id: r.get(0)?,
        passenger_id: r.get(1)?,
        kind: DocumentKind::parse(&kind).unwrap_or(DocumentKind::Passport),
        number: r.get(3)?,
        expires_on: parse_day(&expires).unwrap_or_default(),
        file_name: r.get(5)?,
        media_type: r.get(6)?,
        size_bytes: r.get(7)?,
        added_at: r.get(8)?,
        added_by: r.get(9)?,
        has_scan: r.get(10)?,
    })
}

/// The documents of one passenger, newest expiry first.
pub fn of_passenger(conn: &Connection, passenger_id: &str) -> rusqlite::Result<Vec<DocumentInfo>> {
    conn.prepare_cached(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM passenger_documents WHERE passenger_id = ?1
         ORDER BY kind, expires_on DESC"
    ))?
    .query_map([passenger_id], from_row)?
    .collect()
}

/// The documents of every passenger booked on a launch.
pub fn of_launch(conn: &Connection, launch_id: &str) -> rusqlite::Result<Vec<DocumentInfo>> {
    conn.prepare_cached(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM passenger_documents
         WHERE passenger_id IN (SELECT passenger_id FROM bookings WHERE launch_id = ?1)
         ORDER BY passenger_id, kind, expires_on DESC"
    ))?
    .query_map([launch_id], from_row)?
    .collect()
}

/// Every document, for the Passengers view's list of those expiring.
pub fn all(conn: &Connection) -> rusqlite::Result<Vec<DocumentInfo>> {
    conn.prepare_cached(&format!(
        "SELECT {DOCUMENT_COLUMNS} FROM passenger_documents ORDER BY expires_on"
    ))?
    .query_map([], from_row)?
    .collect()
}

/// The passengers holding a document whose number contains `query` (any case).
pub fn passengers_with_number(conn: &Connection, query: &str) -> rusqlite::Result<Vec<String>> {
    let pattern = format!("%{}%", query.trim().to_lowercase());
    conn.prepare_cached(
        "SELECT DISTINCT passenger_id FROM passenger_documents WHERE lower(number) LIKE ?1",
    )?
    .query_map([pattern], |r| r.get(0))?
    .collect()
}

/// What a scan is, from its first bytes (not its name: a renamed file is still what it is).
pub fn media_type_of(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some("image/png")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else {
        None
    }
}

/// A document to attach.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDocument {
    /// Whose it is.
    pub passenger_id: String,
    /// What it is.
    pub kind: DocumentKind,
    /// Its number as printed on it.
    pub number: String,
    /// The last day it is valid, YYYY-MM-DD.
    pub expires_on: String,
    /// The scan's file name.
    pub file_name: String,
}

/// Attaches a document with its scan. Refused, naming the field, for a missing number, a date
/// that is not a date, a scan that is not PDF, PNG or JPEG, or one over the size limit.
pub fn attach(
    replica: &mut Replica,
    document: &NewDocument,
    scan: &[u8],
    user: &str,
    now: DateTime<Utc>,
) -> Result<String, BookingError> {
    use base64::Engine as _;
    let refused = |m: String| Err(BookingError::Refused(m));
    let number = document.number.trim();
    if number.is_empty() {
        return refused(format!(
            "Number: type the {}'s number as printed on it.",
            document.kind.label()
        ));
    }
    let Some(expires) = parse_day(document.expires_on.trim()) else {
        return refused(format!(
            "Expires on: {:?} is not a date; write it as YYYY-MM-DD.",
            document.expires_on.trim()
        ));
    };
    let Some(media_type) = media_type_of(scan) else {
        return refused(format!(
            "{} is not a PDF, PNG or JPEG file; scan the document into one of those.",
            document.file_name
        ));
    };
    let limit = usize::try_from(MAX_DOCUMENT_BYTES).unwrap_or(usize::MAX);
    if scan.len() > limit {
        return refused(format!(
            "{} is {} KiB; a document scan is at most {} KiB because it travels to every desk. \
             Scan it at a lower resolution.",
            document.file_name,
            scan.len().div_ceil(1024),
            limit / 1024
        ));
    }
    let id = replica::new_id();
    replica.write(|w: &mut Writer<'_>| {
        w.insert(
            "passenger_documents",
            &id,
            object(json!({
                "passenger_id": document.passenger_id,
                "kind": document.kind.as_str(),
                "number": number,
                "expires_on": expires.format("%Y-%m-%d").to_string(),
                "file_name": document.file_name.trim(),
                "media_type": media_type,
                "size_bytes": scan.len(),
                "content": base64::engine::general_purpose::STANDARD.encode(scan),
                "added_at": stored(now),
                "added_by": user,
                "demo": false,
            })),
        )?;
        Ok::<(), BookingError>(())
    })?;
    Ok(id)
}

/// Removes a document entered by mistake.
pub fn remove(replica: &mut Replica, id: &str) -> Result<(), BookingError> {
    replica.write(|w| {
        w.delete("passenger_documents", id)?;
        Ok::<(), BookingError>(())
    })?;
    Ok(())
}

/// A document's scan and its file name, when this console holds them.
pub fn scan(replica: &Replica, id: &str) -> Result<Option<(String, Vec<u8>)>, BookingError> {
    use base64::Engine as _;
    let row: Option<(Option<String>, Option<String>)> =
        replica.read("reading a document scan", |conn| {
            conn.query_row(
                "SELECT file_name, content FROM passenger_documents WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })?;
    Ok(row.and_then(|(name, content)| {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(content?)
            .ok()?;
        Some((name.unwrap_or_else(|| "document".to_owned()), bytes))
    }))
}
