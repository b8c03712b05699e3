//! Reports: an incident's PDF (regulatory summary, tactical report, post-incident review,
//! charts drawn with plotters from the telemetry snapshot, the timeline and the tasks) and the
//! incident list as CSV.

use std::io::Write as _;
use std::sync::Once;

use chrono::{DateTime, Utc};
use pdf_writer::{Content, Filter, Finish as _, Name, Pdf, Rect, Ref};
use plotters::prelude::*;

use super::snapshot::Snapshot;
use super::{Incident, IncidentDetail, SeverityLevel};
use crate::bookings::manifest::pdf_text;

/// A chart's size in pixels (drawn at 150 dpi across the page's text width).
const CHART_PX: (u32, u32) = (1000, 340);
/// Charts in a report at most.
pub const MAX_CHARTS: usize = 3;
const PAGE: (f32, f32) = (595.0, 842.0);
const MARGIN: f32 = 50.0;

/// Why a report could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A chart failed to draw.
    #[error("a chart could not be drawn: {0}")]
    Chart(String),
    /// Compressing a chart failed.
    #[error("a chart could not be compressed: {0}")]
    Compress(#[from] std::io::Error),
}

/// A drawn chart: RGB pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Chart {
    /// The channel.
    pub channel: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Row-major RGB, 3 bytes a pixel.
    pub rgb: Vec<u8>,
}

/// The channels of the incident's alarms, in the order they alarmed.
pub fn alarm_channels(detail: &IncidentDetail) -> Vec<String> {
    let mut channels: Vec<String> = Vec::new();
    for entry in detail.timeline.iter().filter(|e| e.entry.kind == "alarm") {
        if let Some(channel) = entry.entry.text.split_whitespace().nth(1)
            && !channels.iter().any(|c| c == channel)
        {
            channels.push(channel.to_owned());
        }
    }
    channels
}

/// The channels worth a chart: the alarms' first, then those of the same subsystems that moved
/// most in the window (range against their typical size), then any other that moved most, up
/// to [`MAX_CHARTS`].
pub fn chart_channels(detail: &IncidentDetail, snapshot: &Snapshot) -> Vec<String> {
    let mut chosen: Vec<String> = alarm_channels(detail)
        .into_iter()
        .filter(|c| snapshot.channel(c).is_some_and(|t| !t.times.is_empty()))
        .take(MAX_CHARTS)
        .collect();
    let mut movers: Vec<(f32, &str)> = snapshot
        .channels
        .iter()
        .filter(|t| t.values.len() > 1 && !chosen.contains(&t.channel))
        .map(|t| {
            let (lo, hi) = t
                .values
                .iter()
                .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), v| {
                    (lo.min(*v), hi.max(*v))
                });
            let scale = t.values.iter().map(|v| v.abs()).sum::<f32>() / t.values.len() as f32;
            ((hi - lo) / scale.max(1e-6), t.channel.as_str())
        })
        .collect();
    let subsystems: Vec<String> = chosen
        .iter()
        .filter_map(|c| c.split_once('.').map(|(s, _)| format!("{s}.")))
        .collect();
    let related = |channel: &str| subsystems.iter().any(|s| channel.starts_with(s.as_str()));
    // Related channels first, each group by how much it moved.
    movers.sort_by(|a, b| related(b.1).cmp(&related(a.1)).then(b.0.total_cmp(&a.0)));
    for (_, channel) in movers {
        if chosen.len() >= MAX_CHARTS {
            break;
        }
        chosen.push(channel.to_owned());
    }
    chosen
}

pub(crate) fn register_font() {
    static FONT: Once = Once::new();
    FONT.call_once(|| {
        if plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        )
        .is_err()
        {
            tracing::error!("the chart font could not be registered; charts will lack text");
        }
    });
}

/// Draws one channel of the snapshot: time from the alarm on x, the value on y, the alarm
/// as a red line.
pub fn draw_chart(snapshot: &Snapshot, channel: &str, unit: &str) -> Result<Chart, ReportError> {
    register_font();
    let (width, height) = CHART_PX;
    let mut rgb = vec![255u8; (width * height * 3) as usize];
    let alarm = f64::midpoint(snapshot.from_t, snapshot.to_t);
    let points: Vec<(f64, f64)> = snapshot
        .channel(channel)
        .map(|t| {
            t.times
                .iter()
                .zip(&t.values)
                .map(|(time, v)| (time - alarm, f64::from(*v)))
                .collect()
        })
        .unwrap_or_default();
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (width, height)).into_drawing_area();
        root.fill(&WHITE)
            .map_err(|e| ReportError::Chart(e.to_string()))?;
        let half = (snapshot.to_t - snapshot.from_t) / 2.0;
        // The axis spans the data (a console that just started holds little before the
        // alarm; a snapshot still capturing ends where its data ends).
        let left = points
            .first()
            .map_or(-half, |(t, _)| (t.min(-1.0) * 1.05).max(-half));
        let right = if snapshot.complete {
            half
        } else {
            points.last().map_or(1.0, |(t, _)| t.max(1.0) * 1.05)
        };
        let (lo, hi) = points
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
                (lo.min(*v), hi.max(*v))
            });
        let (lo, hi) = if lo.is_finite() {
            let pad = ((hi - lo) * 0.08).max(1e-3);
            (lo - pad, hi + pad)
        } else {
            (0.0, 1.0)
        };
        let mut chart = ChartBuilder::on(&root)
            .caption(format!("{channel} ({unit})"), ("sans-serif", 26))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(70)
            .build_cartesian_2d(left..right, lo..hi)
            .map_err(|e| ReportError::Chart(e.to_string()))?;
        chart
            .configure_mesh()
            .x_desc("seconds from the alarm")
            .label_style(("sans-serif", 18))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()
            .map_err(|e| ReportError::Chart(e.to_string()))?;
        chart
            .draw_series(LineSeries::new(points, BLUE.stroke_width(2)))
            .map_err(|e| ReportError::Chart(e.to_string()))?;
        chart
            .draw_series(LineSeries::new([(0.0, lo), (0.0, hi)], RED.stroke_width(2)))
            .map_err(|e| ReportError::Chart(e.to_string()))?;
        root.present()
            .map_err(|e| ReportError::Chart(e.to_string()))?;
    }
    Ok(Chart {
        channel: channel.to_owned(),
        width,
        height,
        rgb,
    })
}

/// What goes into a report besides the incident.
pub struct ReportInput<'a> {
    /// The incident with its timeline and tasks.
    pub detail: &'a IncidentDetail,
    /// The charts (drawn beforehand; see [`draw_chart`]).
    pub charts: &'a [Chart],
    /// The severity scale.
    pub severities: &'a [SeverityLevel],
    /// When it is made.
    pub generated_at: DateTime<Utc>,
    /// By whom.
    pub generated_by: &'a str,
    /// The go/no-go polls of the launch the incident concerns, newest first.
    pub polls: &'a [crate::launch_poll::Poll],
}

/// Lays text out down A4 pages.
struct Pages {
    pages: Vec<Content>,
    y: f32,
}

impl Pages {
    fn new() -> Self {
        Self {
            pages: vec![Content::new()],
            y: PAGE.1 - MARGIN,
        }
    }

    fn page(&mut self) -> &mut Content {
        let last = self.pages.len() - 1;
        &mut self.pages[last]
    }

    fn room(&mut self, height: f32) {
        if self.y - height < MARGIN {
            self.pages.push(Content::new());
            self.y = PAGE.1 - MARGIN;
        }
    }

    fn line(&mut self, size: f32, bold: bool, text: &str) {
        self.room(size * 1.4);
        self.y -= size * 1.4;
        let y = self.y;
        pdf_text(self.page(), MARGIN, y, size, bold, text);
    }

    /// A paragraph wrapped to the text width (Helvetica averages about half its size a
    /// character).
    fn paragraph(&mut self, size: f32, text: &str) {
        #[allow(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "characters a line"
        )]
        let per_line = ((PAGE.0 - 2.0 * MARGIN) / (size * 0.5)) as usize;
        for raw in text.lines() {
            let mut line = String::new();
            for word in raw.split_whitespace() {
                if !line.is_empty() && line.chars().count() + 1 + word.chars().count() > per_line {
                    self.line(size, false, &line);
                    line.clear();
                }
                if !line.is_empty() {
                    line.push(' ');
                }
                line.push_str(word);
            }
            self.line(size, false, &line);
        }
    }

    fn heading(&mut self, text: &str) {
        self.room(40.0);
        self.y -= 8.0;
        self.line(13.0, true, text);
    }

    fn field(&mut self, label: &str, value: &str) {
        let value = if value.trim().is_empty() {
            "(not written)"
        } else {
            value
        };
        self.line(10.0, true, label);
        self.paragraph(10.0, value);
    }

    /// Reserves room for an image of `height` points; returns its page and bottom y.
    fn image_slot(&mut self, height: f32) -> (usize, f32) {
        self.room(height + 6.0);
        self.y -= height + 6.0;
        (self.pages.len() - 1, self.y)
    }
}

fn minutes_between(from: &str, to: Option<&str>) -> String {
    let parse = |t: &str| DateTime::parse_from_rfc3339(t).ok();
    match (parse(from), to.and_then(parse)) {
        (Some(a), Some(b)) => format!("{} min", (b - a).num_minutes()),
        _ => "not yet".to_owned(),
    }
}

/// The regulatory summary, as (label, text) rows: in the PDF and in the screen's preview.
pub fn summary_rows(
    detail: &IncidentDetail,
    severities: &[SeverityLevel],
) -> Vec<(&'static str, String)> {
    let incident = &detail.incident;
    let level = severities.iter().find(|l| l.code == incident.severity);
    let notifiable = level.is_some_and(|l| l.rank <= 2);
    vec![
        (
            "Occurrence",
            format!("{} ({})", incident.title, incident.kind.label()),
        ),
        (
            "Severity",
            level.map_or_else(
                || incident.severity.clone(),
                |l| format!("{} {}: {}", l.code, l.name, l.description),
            ),
        ),
        (
            "Reported",
            format!("{} UTC by {}", incident.reported_at, incident.reported_by),
        ),
        (
            "Status",
            format!(
                "{}; stable after {}, closed after {}",
                incident.status.label(),
                minutes_between(&incident.reported_at, incident.stable_at.as_deref()),
                minutes_between(&incident.reported_at, incident.closed_at.as_deref())
            ),
        ),
        (
            "Launch",
            detail.mission.clone().unwrap_or_else(|| "none".to_owned()),
        ),
        (
            "Persons involved",
            if detail.passengers.is_empty() {
                "no passenger linked".to_owned()
            } else {
                detail
                    .passengers
                    .iter()
                    .map(|(_, _, name)| name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            },
        ),
        (
            "Notification",
            if notifiable {
                "Notifiable occurrence (SEV1 or SEV2): report to the regulator within 72 hours."
                    .to_owned()
            } else {
                "Recorded; not notifiable at this severity.".to_owned()
            },
        ),
    ]
}

fn regulatory_summary(pages: &mut Pages, input: &ReportInput<'_>) {
    pages.heading("Regulatory summary");
    for (label, value) in summary_rows(input.detail, input.severities) {
        pages.line(10.0, true, label);
        pages.paragraph(10.0, &value);
    }
}

/// The launch decision: every go/no-go poll of the incident's launch, with each answer, the
/// commit criteria as they stood when it was decided, and every waiver.
pub fn poll_lines(polls: &[crate::launch_poll::Poll]) -> Vec<(bool, String)> {
    use crate::launch_poll::PollStatus;
    let list = galaxium_sync::launch_poll::PollList::shipped().ok();
    let position_name = |id: &str| {
        list.as_ref()
            .and_then(|l| l.position(id))
            .map_or_else(|| id.to_owned(), |p| p.name.clone())
    };
    let mut lines = Vec::new();
    for poll in polls.iter().rev() {
        let decided = match (&poll.decided_at, &poll.decided_by) {
            (Some(at), Some(by)) if poll.status != PollStatus::Open => format!(
                "{} at {at} by {by}: {}",
                poll.status.label(),
                if poll.decision_note.is_empty() {
                    "-"
                } else {
                    &poll.decision_note
                }
            ),
            _ => "still open when this report was made".to_owned(),
        };
        lines.push((
            true,
            format!(
                "Poll opened {} by {}; {decided}",
                poll.opened_at, poll.opened_by
            ),
        ));
        for answer in &poll.answers {
            lines.push((
                false,
                format!(
                    "{}: {} by {} at {}{}",
                    position_name(&answer.position),
                    if answer.go { "GO" } else { "NO-GO" },
                    answer.by_user,
                    answer.answered_at,
                    if answer.note.is_empty() {
                        String::new()
                    } else {
                        format!(" ({})", answer.note)
                    }
                ),
            ));
        }
        for criterion in &poll.criteria {
            let word = match (criterion.ok, criterion.waived) {
                (true, _) => "GREEN",
                (false, true) => "WAIVED",
                (false, false) => "RED",
            };
            lines.push((
                false,
                format!("Criterion {}: {word}, {}", criterion.name, criterion.value),
            ));
        }
        for waiver in &poll.waivers {
            lines.push((
                false,
                format!(
                    "Waiver of {} by {} at {}: {} (value {})",
                    waiver.criterion, waiver.by_user, waiver.waived_at, waiver.reason, waiver.value
                ),
            ));
        }
    }
    lines
}

fn launch_decision(pages: &mut Pages, polls: &[crate::launch_poll::Poll]) {
    if polls.is_empty() {
        return;
    }
    pages.heading("Launch decision (go/no-go)");
    for (bold, line) in poll_lines(polls) {
        if bold {
            pages.line(10.0, true, &line);
        } else {
            pages.paragraph(9.0, &line);
        }
    }
}

/// The incident's report as a PDF. `progress` hears the share done, 0 to 1.
pub fn to_pdf(input: &ReportInput<'_>, progress: &dyn Fn(f32)) -> Result<Vec<u8>, ReportError> {
    let incident: &Incident = &input.detail.incident;
    let mut pages = Pages::new();
    pages.line(
        18.0,
        true,
        &format!("Incident report {}", incident.reference),
    );
    pages.line(13.0, false, &incident.title);
    pages.line(
        9.0,
        false,
        &format!(
            "Generated {} UTC by {} from the Galaxium Console replica",
            input.generated_at.format("%Y-%m-%d %H:%M"),
            input.generated_by
        ),
    );
    regulatory_summary(&mut pages, input);
    launch_decision(&mut pages, input.polls);
    pages.heading("Roles");
    for (label, who) in [
        ("Incident commander", &incident.commander),
        ("Scribe", &incident.scribe),
        ("Liaison", &incident.liaison),
        ("Safety officer", &incident.safety_officer),
    ] {
        pages.line(
            10.0,
            false,
            &format!("{label}: {}", if who.is_empty() { "-" } else { who }),
        );
    }
    pages.heading("Tactical report");
    pages.field("Conditions", &incident.conditions);
    pages.field("Actions", &incident.actions);
    pages.field("Needs", &incident.needs);
    pages.heading("Post-incident review");
    pages.field("Summary", &incident.review_summary);
    pages.field("Causes", &incident.review_causes);
    pages.field("Lessons", &incident.review_lessons);
    progress(0.2);

    // Charts: each placed across the text width, its image compressed.
    let mut images = Vec::new();
    let width_pt = PAGE.0 - 2.0 * MARGIN;
    if let Some(first) = input.charts.first() {
        // The heading goes with its first chart, never alone at the foot of a page.
        #[allow(clippy::cast_precision_loss, reason = "pixels")]
        pages.room(60.0 + width_pt * first.height as f32 / first.width as f32);
        pages.heading("Telemetry around the alarm");
    }
    for (n, chart) in input.charts.iter().enumerate() {
        #[allow(clippy::cast_precision_loss, reason = "pixels")]
        let height_pt = width_pt * chart.height as f32 / chart.width as f32;
        let slot = pages.image_slot(height_pt);
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&chart.rgb)?;
        images.push((slot, height_pt, encoder.finish()?, chart));
        #[allow(clippy::cast_precision_loss, reason = "a few charts")]
        progress(0.2 + 0.6 * (n + 1) as f32 / input.charts.len() as f32);
    }

    pages.heading("Timeline");
    for shown in &input.detail.timeline {
        let at = shown.entry.at.get(11..19).unwrap_or(&shown.entry.at);
        let pin = if shown.pinned { " [pinned]" } else { "" };
        pages.paragraph(
            9.0,
            &format!("{at}  {}{pin}: {}", shown.entry.author, shown.text),
        );
    }
    pages.heading("Tasks");
    if input.detail.tasks.is_empty() {
        pages.line(10.0, false, "No tasks.");
    }
    for task in &input.detail.tasks {
        pages.paragraph(
            9.0,
            &format!(
                "[{}] {} ({}, {}{})",
                if task.done { "done" } else { "open" },
                task.title,
                task.priority,
                if task.assignee.is_empty() {
                    "unassigned"
                } else {
                    &task.assignee
                },
                task.due_at
                    .as_deref()
                    .map(|d| format!(", due {d}"))
                    .unwrap_or_default()
            ),
        );
    }

    progress(0.9);
    let pdf = assemble(pages, &images, &incident.reference, width_pt);
    progress(1.0);
    Ok(pdf)
}

/// A chart placed on a page: (page, bottom y), its height in points, the compressed pixels.
type Placed<'a> = ((usize, f32), f32, Vec<u8>, &'a Chart);

/// The document: pages with their footers, fonts, images.
fn assemble(mut pages: Pages, images: &[Placed<'_>], reference: &str, width_pt: f32) -> Vec<u8> {
    let mut pdf = Pdf::new();
    let catalog = Ref::new(1);
    let tree = Ref::new(2);
    let font = Ref::new(3);
    let bold = Ref::new(4);
    let mut next = 5;
    let mut alloc = || {
        let r = Ref::new(next);
        next += 1;
        r
    };
    let image_refs: Vec<Ref> = images.iter().map(|_| alloc()).collect();
    let page_refs: Vec<(Ref, Ref)> = pages.pages.iter().map(|_| (alloc(), alloc())).collect();
    pdf.catalog(catalog).pages(tree);
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_possible_wrap,
        reason = "pages"
    )]
    pdf.pages(tree)
        .kids(page_refs.iter().map(|(p, _)| *p))
        .count(page_refs.len() as i32);
    for (((slot, height_pt, data, chart), image_ref), n) in images.iter().zip(&image_refs).zip(0..)
    {
        let mut image = pdf.image_xobject(*image_ref, data);
        image.filter(Filter::FlateDecode);
        #[allow(clippy::cast_possible_wrap, reason = "pixels")]
        image.width(chart.width as i32);
        #[allow(clippy::cast_possible_wrap, reason = "pixels")]
        image.height(chart.height as i32);
        image.color_space().device_rgb();
        image.bits_per_component(8);
        image.finish();
        let (page, y) = *slot;
        let name = format!("Im{n}");
        let c = &mut pages.pages[page];
        c.save_state();
        c.transform([width_pt, 0.0, 0.0, *height_pt, MARGIN, y]);
        c.x_object(Name(name.as_bytes()));
        c.restore_state();
    }
    let total = pages.pages.len();
    for (index, ((page_ref, content_ref), mut content)) in
        page_refs.iter().zip(pages.pages).enumerate()
    {
        pdf_text(
            &mut content,
            MARGIN,
            25.0,
            8.0,
            false,
            &format!("{reference} · page {} of {total}", index + 1),
        );
        let mut page = pdf.page(*page_ref);
        page.media_box(Rect::new(0.0, 0.0, PAGE.0, PAGE.1));
        page.parent(tree);
        page.contents(*content_ref);
        {
            let mut resources = page.resources();
            {
                let mut fonts = resources.fonts();
                fonts.pair(Name(b"F1"), font);
                fonts.pair(Name(b"F2"), bold);
            }
            let mut objects = resources.x_objects();
            for (((slot, ..), image_ref), n) in images.iter().zip(&image_refs).zip(0..) {
                if slot.0 == index {
                    let name = format!("Im{n}");
                    objects.pair(Name(name.as_bytes()), *image_ref);
                }
            }
        }
        page.finish();
        pdf.stream(*content_ref, &content.finish());
    }
    pdf.type1_font(font)
        .base_font(Name(b"Helvetica"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.type1_font(bold)
        .base_font(Name(b"Helvetica-Bold"))
        .encoding_predefined(Name(b"WinAnsiEncoding"));
    pdf.finish()
}

/// Every incident as CSV, one row each.
pub fn incidents_csv(incidents: &[Incident]) -> Result<Vec<u8>, csv::Error> {
    let mut out = csv::Writer::from_writer(Vec::new());
    out.write_record([
        "reference",
        "title",
        "kind",
        "severity",
        "status",
        "reported_at",
        "reported_by",
        "stable_at",
        "closed_at",
        "commander",
        "source",
    ])?;
    for i in incidents {
        out.write_record([
            i.reference.as_str(),
            i.title.as_str(),
            i.kind.as_str(),
            i.severity.as_str(),
            i.status.as_str(),
            i.reported_at.as_str(),
            i.reported_by.as_str(),
            i.stable_at.as_deref().unwrap_or(""),
            i.closed_at.as_deref().unwrap_or(""),
            i.commander.as_str(),
            i.source.as_deref().unwrap_or(""),
        ])?;
    }
    out.into_inner()
        .map_err(|e| csv::Error::from(e.into_error()))
}
