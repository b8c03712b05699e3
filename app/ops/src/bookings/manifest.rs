//! The passenger manifest of a launch: who flies, in which seat, with their masses and the
//! totals against the vehicle's limits. Exported as CSV and as a printable PDF with a
//! picture of the seat map.

use chrono::{DateTime, Utc};
use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str};
use serde::{Deserialize, Serialize};

use super::model::{BookingStatus, LaunchDetail, Seat};

/// One person on the manifest.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestEntry {
    /// The seat.
    pub seat: String,
    /// The passenger's name.
    pub name: String,
    /// The booking's locator.
    pub locator: String,
    /// CONFIRMED, CHECKED IN or BOARDED.
    pub status: String,
    /// Body mass, if recorded.
    pub body_mass_kg: Option<f64>,
    /// Checked baggage.
    pub baggage_mass_kg: f64,
    /// The passenger's id (older closed manifests lack it).
    #[serde(default)]
    pub passenger_id: String,
    /// What an authority asks of each person aboard. Personal data: never stored with the
    /// manifest (which every role receives), added when a role that may read it exports it.
    #[serde(skip)]
    pub authority: Option<AuthorityFields>,
}

/// The fields an authority's passenger manifest asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthorityFields {
    /// Nationality.
    pub nationality: String,
    /// Date of birth, YYYY-MM-DD.
    pub date_of_birth: String,
    /// passport or ID card.
    pub document_type: String,
    /// The travel document's number.
    pub document_number: String,
    /// Its expiry, YYYY-MM-DD.
    pub document_expires_on: String,
}

/// A launch's manifest, live or frozen at close-out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ManifestDoc {
    /// The mission name.
    pub mission: String,
    /// Vehicle name and model.
    pub vehicle: String,
    /// Spaceport code and pad.
    pub site: String,
    /// When it launches (RFC 3339).
    pub scheduled_at: String,
    /// The launch status when the manifest was drawn.
    pub launch_status: String,
    /// When it was closed and by whom; `None` for a preliminary manifest.
    pub closed: Option<(String, String)>,
    /// When this document was drawn.
    pub drawn_at: String,
    /// Everyone with a seat, by seat.
    pub entries: Vec<ManifestEntry>,
    /// The vehicle's seats, for the seat-map picture.
    pub seats: Vec<Seat>,
    /// Sum of the known body masses.
    pub passenger_mass_kg: f64,
    /// The vehicle's passenger-mass limit.
    pub passenger_mass_limit_kg: f64,
    /// Sum of checked baggage.
    pub baggage_mass_kg: f64,
    /// The vehicle's baggage limit.
    pub baggage_mass_limit_kg: f64,
}

impl ManifestDoc {
    /// The manifest of `detail` at `now`: everyone holding a confirmed, checked-in or boarded
    /// seat (only the boarded once the manifest is closed).
    pub fn build(
        detail: &LaunchDetail,
        now: DateTime<Utc>,
        closed: Option<(&str, DateTime<Utc>)>,
    ) -> Self {
        let mut entries: Vec<ManifestEntry> = detail
            .bookings
            .iter()
            .filter(|b| match closed {
                Some(_) => b.status == BookingStatus::Boarded,
                None => matches!(
                    b.status,
                    BookingStatus::Confirmed | BookingStatus::CheckedIn | BookingStatus::Boarded
                ),
            })
            .map(|b| ManifestEntry {
                seat: b.seat_id.clone().unwrap_or_default(),
                name: b.passenger_name.clone(),
                locator: b.locator.clone(),
                status: b.status.label().to_owned(),
                body_mass_kg: detail
                    .passengers
                    .get(&b.passenger_id)
                    .and_then(|p| p.body_mass_kg),
                baggage_mass_kg: b.baggage_mass_kg,
                passenger_id: b.passenger_id.clone(),
                authority: None,
            })
            .collect();
        let seat_order = |seat: &str| detail.seats.iter().position(|s| s.id == seat);
        entries.sort_by_key(|e| seat_order(&e.seat));
        Self {
            mission: detail.mission.clone(),
            vehicle: format!("{} ({})", detail.vehicle, detail.vehicle_model),
            site: format!("{} {}", detail.spaceport, detail.pad),
            scheduled_at: super::actions::said_time(detail.scheduled_at),
            launch_status: detail.status.as_str().to_owned(),
            closed: closed.map(|(by, at)| (super::actions::said_time(at), by.to_owned())),
            drawn_at: super::actions::said_time(now),
            passenger_mass_kg: entries.iter().filter_map(|e| e.body_mass_kg).sum(),
            baggage_mass_kg: entries.iter().map(|e| e.baggage_mass_kg).sum(),
            entries,
            seats: detail.seats.clone(),
            passenger_mass_limit_kg: detail.max_passenger_mass_kg,
            baggage_mass_limit_kg: detail.max_baggage_mass_kg,
        }
    }

    /// Adds each person's nationality, date of birth and travel document (the newest passport
    /// or ID card on file, else the number on their record) from the replica. Only for a role
    /// that may read personal data; elsewhere the replica holds none of it anyway.
    pub fn add_authority_fields(&mut self, conn: &rusqlite::Connection) -> rusqlite::Result<()> {
        for entry in &mut self.entries {
            let passenger = super::model::Passenger::load(conn, &entry.passenger_id)?;
            let travel = super::documents::of_passenger(conn, &entry.passenger_id)?
                .into_iter()
                .filter(|d| d.kind.is_travel_document())
                .max_by_key(|d| d.expires_on);
            let mut fields = AuthorityFields::default();
            if let Some(p) = passenger {
                fields.nationality = p.nationality.unwrap_or_default();
                fields.date_of_birth = p.date_of_birth.unwrap_or_default();
                fields.document_number = p.document_number.unwrap_or_default();
            }
            if let Some(document) = travel {
                document.kind.label().clone_into(&mut fields.document_type);
                fields.document_number = document.number.unwrap_or_default();
                fields.document_expires_on = document.expires_on.to_string();
            }
            entry.authority = Some(fields);
        }
        Ok(())
    }

    /// "CLOSED at … by …" or "PRELIMINARY".
    pub fn state_line(&self) -> String {
        match &self.closed {
            Some((at, by)) => format!("CLOSED at {at} by {by}"),
            None => format!("PRELIMINARY, drawn at {}", self.drawn_at),
        }
    }

    /// The manifest as CSV: one row per passenger, then the totals.
    pub fn to_csv(&self) -> Result<Vec<u8>, csv::Error> {
        let mut out = csv::Writer::from_writer(Vec::new());
        let authority = self.entries.iter().any(|e| e.authority.is_some());
        let mut head = vec![
            "seat",
            "name",
            "locator",
            "status",
            "body_mass_kg",
            "baggage_mass_kg",
        ];
        if authority {
            head.extend([
                "nationality",
                "date_of_birth",
                "document_type",
                "document_number",
                "document_expires_on",
            ]);
        }
        out.write_record(&head)?;
        for e in &self.entries {
            let mut row = vec![
                e.seat.clone(),
                e.name.clone(),
                e.locator.clone(),
                e.status.clone(),
                e.body_mass_kg
                    .map(|m| format!("{m:.1}"))
                    .unwrap_or_default(),
                format!("{:.1}", e.baggage_mass_kg),
            ];
            if authority {
                let a = e.authority.clone().unwrap_or_default();
                row.extend([
                    a.nationality,
                    a.date_of_birth,
                    a.document_type,
                    a.document_number,
                    a.document_expires_on,
                ]);
            }
            out.write_record(&row)?;
        }
        let mut total = vec![
            "TOTAL".to_owned(),
            format!("{} passengers", self.entries.len()),
            String::new(),
            self.state_line(),
            format!(
                "{:.1} / {:.1}",
                self.passenger_mass_kg, self.passenger_mass_limit_kg
            ),
            format!(
                "{:.1} / {:.1}",
                self.baggage_mass_kg, self.baggage_mass_limit_kg
            ),
        ];
        if authority {
            total.resize(head.len(), String::new());
        }
        out.write_record(&total)?;
        out.into_inner()
            .map_err(|e| csv::Error::from(e.into_error()))
    }

    /// The manifest as a one-page A4 PDF: header, seat map, passenger table, totals.
    pub fn to_pdf(&self) -> Vec<u8> {
        one_page_pdf((595.0, 842.0), self.page_content(), None)
    }

    /// What the page shows: header, seat map, passenger table, totals and footer.
    fn page_content(&self) -> Content {
        let mut c = Content::new();
        pdf_text(
            &mut c,
            50.0,
            790.0,
            18.0,
            true,
            &format!("Passenger manifest: {}", self.mission),
        );
        pdf_text(
            &mut c,
            50.0,
            770.0,
            10.0,
            false,
            &format!("Vehicle {} | {}", self.vehicle, self.site),
        );
        pdf_text(
            &mut c,
            50.0,
            756.0,
            10.0,
            false,
            &format!(
                "Launch {} | status {}",
                self.scheduled_at.replace('T', " ").replace('Z', " UTC"),
                self.launch_status
            ),
        );
        pdf_text(&mut c, 50.0, 742.0, 10.0, true, &self.state_line());

        let mut y = self.draw_seat_map(&mut c, 720.0);

        let columns = [50.0, 90.0, 290.0, 350.0, 430.0, 500.0];
        for (x, head) in columns
            .iter()
            .zip(["Seat", "Name", "Locator", "Status", "Body kg", "Bags kg"])
        {
            pdf_text(&mut c, *x, y, 10.0, true, head);
        }
        y -= 16.0;
        for e in &self.entries {
            let cells = [
                e.seat.clone(),
                e.name.clone(),
                e.locator.clone(),
                e.status.clone(),
                e.body_mass_kg
                    .map_or_else(|| "unknown".to_owned(), |m| format!("{m:.1}")),
                format!("{:.1}", e.baggage_mass_kg),
            ];
            for (x, cell_text) in columns.iter().zip(&cells) {
                pdf_text(&mut c, *x, y, 10.0, false, cell_text);
            }
            y -= 14.0;
            if let Some(a) = &e.authority {
                let line = format!(
                    "Nationality {} | born {} | {} {} expires {}",
                    or_dash(&a.nationality),
                    or_dash(&a.date_of_birth),
                    or_dash(&a.document_type),
                    or_dash(&a.document_number),
                    or_dash(&a.document_expires_on)
                );
                pdf_text(&mut c, 90.0, y + 2.0, 8.0, false, &line);
                y -= 12.0;
            }
            if y < 80.0 {
                break;
            }
        }
        y -= 10.0;
        let over = |total: f64, limit: f64| if total > limit { "  OVER LIMIT" } else { "" };
        pdf_text(
            &mut c,
            50.0,
            y,
            10.0,
            true,
            &format!(
                "{} passengers | body mass {:.1} of {:.1} kg{} | baggage {:.1} of {:.1} kg{}",
                self.entries.len(),
                self.passenger_mass_kg,
                self.passenger_mass_limit_kg,
                over(self.passenger_mass_kg, self.passenger_mass_limit_kg),
                self.baggage_mass_kg,
                self.baggage_mass_limit_kg,
                over(self.baggage_mass_kg, self.baggage_mass_limit_kg),
            ),
        );
        pdf_text(
            &mut c,
            50.0,
            40.0,
            8.0,
            false,
            &format!("Galaxium Console | drawn {} UTC", self.drawn_at),
        );
        c
    }

    /// Draws the seat map below `top`, one box per seat, filled when someone on the manifest
    /// sits in it. Returns the height below the map.
    fn draw_seat_map(&self, c: &mut Content, top: f32) -> f32 {
        let cell = 44.0_f32;
        let max_col = self.seats.iter().map(|s| s.column).max().unwrap_or(1);
        for seat in &self.seats {
            let x = 50.0 + (seat.column as f32 - 1.0) * (cell + 6.0);
            let y = top - seat.row as f32 * (cell + 6.0);
            let taken = self.entries.iter().any(|e| e.seat == seat.id);
            if taken {
                c.set_fill_rgb(0.20, 0.45, 0.75);
            } else {
                c.set_fill_rgb(0.90, 0.90, 0.90);
            }
            c.rect(x, y, cell, cell);
            c.fill_nonzero();
            c.set_stroke_rgb(0.2, 0.2, 0.2);
            c.rect(x, y, cell, cell);
            c.stroke();
            if taken {
                c.set_fill_rgb(1.0, 1.0, 1.0);
            } else {
                c.set_fill_rgb(0.0, 0.0, 0.0);
            }
            pdf_text(c, x + 12.0, y + 17.0, 11.0, true, &seat.id);
        }
        c.set_fill_rgb(0.0, 0.0, 0.0);
        let rows = self.seats.iter().map(|s| s.row).max().unwrap_or(0);
        let legend_x = 50.0 + max_col as f32 * (cell + 6.0) + 20.0;
        pdf_text(
            c,
            legend_x,
            top - 20.0,
            9.0,
            false,
            "Seat map: filled seats are on this manifest",
        );
        top - rows as f32 * (cell + 6.0) - 30.0
    }
}

/// A one-page PDF of `size` points holding `content`, with Helvetica as `/F1` and
/// Helvetica-Bold as `/F2` (what [`pdf_text`] writes with) and, when given, a grey image as
/// `/QR`: its side in pixels and one byte a pixel, drawn with sharp edges.
pub(crate) fn one_page_pdf(
    (width, height): (f32, f32),
    content: Content,
    image: Option<(usize, &[u8])>,
) -> Vec<u8> {
    let (catalog, pages, page, font, bold, contents, picture) = (
        Ref::new(1),
        Ref::new(2),
        Ref::new(3),
        Ref::new(4),
        Ref::new(5),
        Ref::new(6),
        Ref::new(7),
    );
    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(pages);
    pdf.pages(pages).kids([page]).count(1);
    let mut p = pdf.page(page);
    p.media_box(Rect::new(0.0, 0.0, width, height));
    p.parent(pages);
    p.contents(contents);
    {
        let mut resources = p.resources();
        let mut fonts = resources.fonts();
        fonts.pair(Name(b"F1"), font);
        fonts.pair(Name(b"F2"), bold);
        fonts.finish();
        if image.is_some() {
            resources.x_objects().pair(Name(b"QR"), picture);
        }
    }
    p.finish();
    for (id, name) in [(font, &b"Helvetica"[..]), (bold, &b"Helvetica-Bold"[..])] {
        pdf.type1_font(id)
            .base_font(Name(name))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
    }
    if let Some((side, pixels)) = image {
        let side = i32::try_from(side).unwrap_or(i32::MAX);
        let mut xobject = pdf.image_xobject(picture, pixels);
        xobject.width(side).height(side);
        xobject.color_space().device_gray();
        xobject.bits_per_component(8);
        // Modules stay sharp squares when the page is scaled.
        xobject.interpolate(false);
        xobject.finish();
    }
    pdf.stream(contents, &content.finish());
    pdf.finish()
}

fn or_dash(text: &str) -> &str {
    if text.is_empty() { "-" } else { text }
}

/// One line of text at (x, y) in Helvetica, bold or not.
pub(crate) fn pdf_text(c: &mut Content, x: f32, y: f32, size: f32, bold: bool, s: &str) {
    c.begin_text();
    c.set_font(Name(if bold { b"F2" } else { b"F1" }), size);
    c.next_line(x, y);
    c.show(Str(&win_ansi(s)));
    c.end_text();
}

/// Text in the PDF's `WinAnsi` encoding: Latin-1 letters pass, anything else becomes "?".
pub(crate) fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match u32::from(c) {
            code @ (0x20..=0x7e | 0xa0..=0xff) => u8::try_from(code).unwrap_or(b'?'),
            _ => b'?',
        })
        .collect()
}
