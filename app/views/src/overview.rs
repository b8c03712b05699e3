//! The Overview, the operator's landing page: what is happening now (the vehicle and its key
//! values, alarms, open incidents, the ground contact, the day's launches with their
//! passengers' progress, sync), then what the local replica holds, its health and backups,
//! the demo dataset, and the launches coming up.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use galaxium_sync::{OpenReport, ReplicaKind};
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::format;
use crate::ops::incidents::{DRILL_MARK, Incident, IncidentStatus};
use crate::ops::orbit::StationPasses;
use crate::ops::overview::OverviewSnapshot;
use crate::ops::telemetry::Telemetry;
use crate::ops::telemetry::alarms::AlarmState;
use crate::{UiCommand, View};

/// Where the check of the whole replica file (telemetry archive included), which opening
/// leaves for a thread of its own, stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum WholeFileCheck {
    /// Running, or not started.
    #[default]
    Running,
    /// Passed, at this time.
    Passed(DateTime<Utc>),
    /// Failed, for this reason.
    Failed(String),
    /// Not run: the check could not start, for this reason.
    NotRun(String),
}

/// What the Overview draws from.
pub struct OverviewInput<'a> {
    /// The last read of the replica, if one succeeded.
    pub snapshot: Option<&'a OverviewSnapshot>,
    /// Why the last read failed, if it did.
    pub read_error: Option<&'a str>,
    /// What happened when the replica was opened.
    pub open_report: &'a OpenReport,
    /// The theme's tokens.
    pub tokens: Tokens,
    /// The time now.
    pub now: DateTime<Utc>,
    /// The crewed vehicle's telemetry, when it runs.
    pub telemetry: Option<&'a Telemetry>,
    /// Each ground station's contacts with the crewed vehicle.
    pub contacts: &'a [StationPasses],
    /// Every incident.
    pub incidents: &'a [Incident],
    /// The link to the server, in words.
    pub sync: (StatusLevel, String),
    /// The check of the whole file.
    pub whole_file: &'a WholeFileCheck,
}

/// The replica's health, short enough for the card at 1024 px: the tables checked at open,
/// then the whole file; what more there is to say goes on hover.
fn health_words(report: &OpenReport, whole: &WholeFileCheck) -> (StatusLevel, String, String) {
    let at = |t: DateTime<Utc>| t.format("%H:%M:%S UTC").to_string();
    let at_open = format!(
        "The tables were checked at open ({}): {}. The telemetry archive is checked with the \
         rest of the file on a thread of its own, so the console opens at once.",
        at(report.checked_at),
        report.integrity
    );
    match whole {
        WholeFileCheck::Running => (
            StatusLevel::Nominal,
            format!("Integrity {}; checking the rest", report.integrity),
            at_open,
        ),
        WholeFileCheck::Passed(when) => (
            StatusLevel::Nominal,
            format!("Integrity {} (checked {})", report.integrity, at(*when)),
            format!(
                "The whole file, telemetry archive included, passed its check at {}; its \
                 tables were checked at open ({}).",
                at(*when),
                at(report.checked_at)
            ),
        ),
        WholeFileCheck::NotRun(reason) => (
            StatusLevel::Caution,
            format!("Integrity {}; rest not checked", report.integrity),
            format!("{at_open} That check could not start: {reason}"),
        ),
        WholeFileCheck::Failed(reason) => (
            StatusLevel::Critical,
            "Damaged: restore a backup".to_owned(),
            format!(
                "The file failed its check: {reason}. Close the console and restore a backup \
                 with `galaxium db restore`."
            ),
        ),
    }
}

/// Draws the Overview; what the user asks for goes into `commands`.
pub fn overview_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    egui::ScrollArea::vertical()
        .id_salt("overview")
        .show(ui, |ui| {
            ui.heading("Now");
            ui.add_space(input.tokens.spacing);
            now_ui(ui, input, commands);
            ui.add_space(input.tokens.gap);
            ui.heading("Replica overview");
            ui.add_space(input.tokens.spacing);
            replica_ui(ui, input, commands);
        });
}

/// The width a card of the Now section needs.
const NOW_CARD_WIDTH: f32 = 300.0;

/// What is happening now, a card each, as many to a row as fit.
fn now_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let cards: [fn(&mut Ui, &OverviewInput<'_>, &mut Vec<UiCommand>); 6] = [
        vehicle_card_ui,
        alarms_card_ui,
        incidents_card_ui,
        contact_card_ui,
        launches_today_card_ui,
        sync_card_ui,
    ];
    let per_row = crate::cards_per_row(ui, NOW_CARD_WIDTH, 3);
    for row in cards.chunks(per_row) {
        ui.columns(per_row, |columns| {
            for (ui, card) in columns.iter_mut().zip(row) {
                input.tokens.card_frame().show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        card(ui, input, commands);
                    });
                });
            }
        });
        ui.add_space(input.tokens.spacing);
    }
}

fn card_title(ui: &mut Ui, title: &str, tokens: Tokens) {
    ui.label(RichText::new(title).strong().size(tokens.body_size + 1.0));
}

/// The vehicle: where its data comes from and how fresh, and its key values as on the
/// Mission view (the same look: no data and stale values never look healthy).
fn vehicle_card_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let tokens = input.tokens;
    card_title(ui, "Vehicle", tokens);
    let Some(tm) = input.telemetry else {
        ui.label(RichText::new("Telemetry is not running.").color(tokens.caution));
        return;
    };
    let (source, stale) = crate::mission::source_line(tm, input.now);
    ui.add(
        egui::Label::new(RichText::new(source).small().monospace().color(if stale {
            tokens.caution
        } else {
            tokens.text_muted
        }))
        .truncate(),
    );
    for (index, channel) in tm
        .dictionary
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| c.key)
    {
        let (value, words, color) =
            crate::mission::reading_look(tm.reading(index, input.now), &channel.unit, tokens);
        ui.add(
            egui::Label::new(
                RichText::new(format!("{}: {value} · {words}", channel.description)).color(color),
            )
            .truncate(),
        );
    }
    if ui.button("Open Mission").clicked() {
        commands.push(UiCommand::ShowView(View::Mission));
    }
}

/// The alarms: how many, how many want acknowledging, the worst; a drill says so.
fn alarms_card_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let tokens = input.tokens;
    card_title(ui, "Alarms", tokens);
    let Some(tm) = input.telemetry else {
        ui.label(RichText::new("No telemetry, so no alarms are known.").color(tokens.caution));
        return;
    };
    let alarms = tm.board().alarms();
    if alarms.is_empty() {
        let quiet = match tm.feed_freshness(input.now).label() {
            None => RichText::new("No alarms.").color(tokens.nominal),
            Some(words) => {
                RichText::new(format!("No alarms known · {words}")).color(tokens.caution)
            }
        };
        ui.label(quiet);
    } else {
        let waiting = alarms
            .iter()
            .filter(|a| a.state != AlarmState::AckActive)
            .count();
        ui.label(format!("{} active, {waiting} unacknowledged", alarms.len()));
        for alarm in alarms.iter().take(3) {
            let color = if alarm.drill {
                tokens.training
            } else {
                crate::mission::severity_color(alarm.severity, tokens)
            };
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "{}{}: {}, {}",
                        if alarm.drill { "DRILL " } else { "" },
                        alarm.channel,
                        alarm.severity.label(),
                        alarm.state.label()
                    ))
                    .color(color),
                )
                .truncate(),
            );
        }
    }
    if tm.drilling() {
        ui.label(
            RichText::new("DRILL RUNNING")
                .strong()
                .color(tokens.training),
        );
    }
    if ui.button("See the alarms").clicked() {
        commands.push(UiCommand::ShowView(View::Mission));
    }
}

/// The incidents not closed, real ones apart from drills.
fn incidents_card_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let tokens = input.tokens;
    card_title(ui, "Incidents", tokens);
    let open: Vec<&Incident> = input
        .incidents
        .iter()
        .filter(|i| i.status != IncidentStatus::Closed)
        .collect();
    let (drills, real): (Vec<&Incident>, Vec<&Incident>) = open
        .into_iter()
        .partition(|i| i.title.starts_with(DRILL_MARK));
    if real.is_empty() {
        ui.label(RichText::new("No open incidents.").color(tokens.nominal));
    } else {
        ui.label(format!("{} open", real.len()));
        for incident in real.iter().take(3) {
            ui.add(
                egui::Label::new(
                    RichText::new(format!(
                        "{} {} · {} · {}",
                        incident.reference,
                        incident.severity,
                        incident.status.as_str(),
                        incident.title
                    ))
                    .color(if incident.status == IncidentStatus::Active {
                        tokens.critical
                    } else {
                        tokens.caution
                    }),
                )
                .truncate(),
            );
        }
    }
    if !drills.is_empty() {
        ui.label(
            RichText::new(format!(
                "{} drill incident{} (this console only)",
                drills.len(),
                if drills.len() == 1 { "" } else { "s" }
            ))
            .color(tokens.training),
        );
    }
    if ui.button("Open incidents").clicked() {
        commands.push(UiCommand::ShowView(View::Incidents));
    }
}

/// The ground contact now, or the next one.
fn contact_card_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let tokens = input.tokens;
    let now = input.now;
    card_title(ui, "Ground contact", tokens);
    let current = input
        .contacts
        .iter()
        .filter_map(|s| s.current(now).map(|p| (s, p)))
        .max_by_key(|(_, p)| p.los);
    let next = input
        .contacts
        .iter()
        .filter_map(|s| s.next(now).map(|p| (s, p)))
        .min_by_key(|(_, p)| p.aos);
    match (current, next) {
        (_, _) if input.contacts.is_empty() => {
            ui.label(
                RichText::new("No predictions: no element set or no ground stations.")
                    .color(tokens.text_muted),
            );
        }
        (Some((station, pass)), _) => {
            ui.label(
                RichText::new(format!("LINK UP · {}", station.station.name))
                    .strong()
                    .color(tokens.nominal),
            );
            ui.label(format!("LOS in {}", format::clock(pass.los, now)));
        }
        (None, Some((station, pass))) => {
            ui.label(RichText::new("No link").color(tokens.caution));
            ui.label(format!(
                "next AOS {} over {} (in {})",
                pass.aos.format("%H:%M UTC"),
                station.station.name,
                format::clock(pass.aos, now)
            ));
        }
        (None, None) => {
            ui.label(RichText::new("No contact in the next 24 h.").color(tokens.caution));
        }
    }
    if ui.button("Open Orbit").clicked() {
        commands.push(UiCommand::ShowView(View::Orbit));
    }
}

/// The day's launches with their passengers' progress toward the vehicle.
fn launches_today_card_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let tokens = input.tokens;
    card_title(ui, "Today's launches", tokens);
    let today = input.snapshot.map_or(&[][..], |s| s.today.as_slice());
    if today.is_empty() {
        ui.label(RichText::new("None in the next 24 hours.").color(tokens.text_muted));
    }
    for launch in today.iter().take(4) {
        let when = format::parse_utc(&launch.scheduled_at).map_or_else(
            || launch.scheduled_at.clone(),
            |t| t.format("%H:%M UTC").to_string(),
        );
        ui.add(
            egui::Label::new(
                RichText::new(format!("{when} {} · {}", launch.mission, launch.status)).strong(),
            )
            .truncate(),
        );
        ui.label(
            RichText::new(format!(
                "{} confirmed · {} checked in · {} boarded",
                launch.confirmed, launch.checked_in, launch.boarded
            ))
            .color(tokens.text_muted),
        );
    }
    if ui.button("Open the check-in desk").clicked() {
        commands.push(UiCommand::ShowView(View::CheckIn));
    }
}

/// The link to the server and what waits to be sent.
fn sync_card_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    let tokens = input.tokens;
    card_title(ui, "Server link", tokens);
    ui.add(StatusLight::new(
        input.sync.0,
        &format!("Link: {}", input.sync.1),
        tokens,
    ));
    if let Some(snapshot) = input.snapshot {
        ui.label(format!(
            "{} local edit{} waiting to be sent · {} conflict{} to settle",
            snapshot.pending_ops,
            if snapshot.pending_ops == 1 { "" } else { "s" },
            snapshot.conflicts.len(),
            if snapshot.conflicts.len() == 1 {
                ""
            } else {
                "s"
            }
        ));
    }
    if ui.button("Open Sync").clicked() {
        commands.push(UiCommand::ShowView(View::Sync));
    }
}

/// What the replica holds, its health, the demo dataset and the launches coming up.
fn replica_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    if let Some(error) = input.read_error {
        // The reason wraps below the light: it names a path and what to do, often a long line.
        ui.add(StatusLight::new(
            StatusLevel::Critical,
            "Cannot read the replica",
            input.tokens,
        ));
        ui.add(egui::Label::new(error).wrap());
    }
    let Some(snapshot) = input.snapshot else {
        return;
    };
    ui.columns(2, |columns| {
        // Not justified: a justified column spreads a paragraph's words and letters.
        let plain = egui::Layout::top_down(egui::Align::Min);
        columns[0].with_layout(plain, |ui| replica_card_ui(ui, snapshot, input, commands));
        columns[1].with_layout(plain, |ui| holdings_card_ui(ui, snapshot, input, commands));
    });
    ui.add_space(input.tokens.gap);
    upcoming_launches_ui(ui, snapshot, input);
}

fn replica_card_ui(
    ui: &mut Ui,
    snapshot: &OverviewSnapshot,
    input: &OverviewInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let status = &snapshot.status;
    let report = input.open_report;
    input.tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.label(
            RichText::new("Local replica")
                .strong()
                .size(input.tokens.body_size + 2.0),
        );
        ui.add_space(input.tokens.spacing);
        egui::Grid::new("replica_facts")
            .num_columns(2)
            .spacing([input.tokens.gap, input.tokens.spacing])
            .show(ui, |ui| {
                let muted = |text: &str| RichText::new(text).color(input.tokens.text_muted);
                ui.label(muted("File"));
                ui.add(egui::Label::new(status.path.display().to_string()).wrap());
                ui.end_row();
                ui.label(muted("Size"));
                ui.label(format::bytes(status.size_bytes));
                ui.end_row();
                ui.label(muted("Schema"));
                ui.label(match report.migrated_from {
                    Some(from) => format!(
                        "version {} (upgraded from {from} at open)",
                        status.schema_version
                    ),
                    None => format!("version {}", status.schema_version),
                });
                ui.end_row();
                ui.label(muted("Kind"));
                ui.label(match status.kind {
                    ReplicaKind::Operational => "Operational",
                    ReplicaKind::Training => "Training sandbox",
                });
                ui.end_row();
                ui.label(muted("Device id"));
                // Cut to the card (whole on hover), never drawn under the next one.
                ui.add(egui::Label::new(RichText::new(&status.device_id).monospace()).truncate())
                    .on_hover_text(&status.device_id);
                ui.end_row();
                ui.label(muted("Created"));
                ui.label(
                    status
                        .created_at
                        .map_or_else(|| "unknown".to_owned(), format::utc_minutes),
                );
                ui.end_row();
                ui.label(muted("Health"));
                let (level, words, detail) = health_words(report, input.whole_file);
                ui.add(StatusLight::new(level, &words, input.tokens))
                    .on_hover_text(detail);
                ui.end_row();
                ui.label(muted("Last backup"));
                match &status.last_backup {
                    Some(backup) => {
                        let age = format::ago(backup.at, input.now);
                        ui.label(format!(
                            "{} ({age} ago), {}",
                            format::utc_minutes(backup.at),
                            format::bytes(backup.size_bytes)
                        ))
                        .on_hover_text(backup.path.display().to_string());
                    }
                    None => {
                        ui.add(StatusLight::new(
                            StatusLevel::Caution,
                            "Never backed up",
                            input.tokens,
                        ));
                    }
                }
                ui.end_row();
            });
        ui.add_space(input.tokens.spacing);
        command_button_ui(ui, UiCommand::BackUpReplica, commands);
    });
}

/// The width one table's line of the holdings takes: its name, its count and its demo count.
const HOLDING_MIN_WIDTH: f32 = 360.0;

fn holdings_card_ui(
    ui: &mut Ui,
    snapshot: &OverviewSnapshot,
    input: &OverviewInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let status = &snapshot.status;
    input.tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.label(RichText::new("What it holds").strong().size(input.tokens.body_size + 2.0));
        ui.add_space(input.tokens.spacing);
        ui.label(RichText::new("Demo dataset").strong());
        let demo_rows = status.demo_rows();
        if demo_rows > 0 {
            ui.label(format!(
                "{demo_rows} rows here are the demo dataset, marked as demo. Remove them before real operations; your own rows stay."
            ));
            command_button_ui(ui, UiCommand::RemoveDemoData, commands);
        } else {
            ui.label("No demo data. Load it to try the console with a sample fleet and launches.");
            command_button_ui(ui, UiCommand::LoadDemoData, commands);
        }
        ui.add_space(input.tokens.spacing);
        ui.separator();
        ui.add_space(input.tokens.spacing);
        // The demo controls come first, so they stay in view however long the list; two
        // tables a row where the card is wide enough, else one: a narrow window never cuts
        // the second pair.
        let per_row = crate::cards_per_row(ui, HOLDING_MIN_WIDTH, 2);
        egui::Grid::new("replica_holdings")
            .num_columns(3 * per_row)
            .spacing([input.tokens.gap, input.tokens.spacing])
            .show(ui, |ui| {
                for pair in status.tables.chunks(per_row) {
                    for table in pair {
                        ui.label(RichText::new(table.label).color(input.tokens.text_muted));
                        ui.label(RichText::new(table.rows.to_string()).monospace().strong());
                        if table.demo_rows > 0 {
                            ui.label(
                                RichText::new(format!("{} demo", table.demo_rows))
                                    .color(input.tokens.text_muted),
                            );
                        } else {
                            ui.label("");
                        }
                    }
                    ui.end_row();
                }
            });
    });
}

/// The width the upcoming launches need to show their vehicle too.
const UPCOMING_WIDE_WIDTH: f32 = 900.0;

fn upcoming_launches_ui(ui: &mut Ui, snapshot: &OverviewSnapshot, input: &OverviewInput<'_>) {
    input.tokens.card_frame().show(ui, |ui| {
        ui.set_min_width(ui.available_width());
        ui.label(
            RichText::new("Upcoming launches")
                .strong()
                .size(input.tokens.body_size + 2.0),
        );
        ui.add_space(input.tokens.spacing);
        if snapshot.upcoming.is_empty() {
            ui.label(
                RichText::new("No launches scheduled from now on.").color(input.tokens.text_muted),
            );
            return;
        }
        let row_height = input.tokens.body_size + 12.0;
        // One line per launch: columns grow to fit rather than wrap, but the last.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        ui.spacing_mut().item_spacing.x = input.tokens.gap * 1.5;
        // On a narrow window the vehicle goes to the mission's hover text: the status and the
        // place must not be pushed off the edge.
        let with_vehicle = ui.available_width() >= UPCOMING_WIDE_WIDTH;
        let mut table = TableBuilder::new(ui)
            .id_salt("upcoming_launches")
            .striped(true)
            .column(Column::auto())
            .column(Column::auto())
            .column(Column::auto())
            .column(Column::auto());
        if with_vehicle {
            table = table.column(Column::auto());
        }
        table
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for title in [
                    "Scheduled",
                    "Countdown",
                    "Mission",
                    "Status",
                    "Vehicle",
                    "Spaceport / pad",
                ]
                .into_iter()
                .filter(|t| with_vehicle || *t != "Vehicle")
                {
                    header.col(|ui| {
                        ui.label(RichText::new(title).strong().color(input.tokens.text_muted));
                    });
                }
            })
            .body(|mut body| {
                for launch in &snapshot.upcoming {
                    let when = format::parse_utc(&launch.scheduled_at);
                    body.row(row_height, |mut row| {
                        row.col(|ui| {
                            ui.label(
                                when.map_or_else(
                                    || launch.scheduled_at.clone(),
                                    format::utc_minutes,
                                ),
                            );
                        });
                        row.col(|ui| {
                            ui.label(
                                RichText::new(
                                    when.map(|t| format::countdown(t, input.now))
                                        .unwrap_or_default(),
                                )
                                .monospace(),
                            );
                        });
                        row.col(|ui| {
                            let mut text = RichText::new(&launch.mission);
                            if launch.demo {
                                text = text.italics();
                            }
                            let mission = ui.label(text);
                            if !with_vehicle {
                                mission.on_hover_text(format!("Vehicle: {}", launch.vehicle));
                            }
                        });
                        row.col(|ui| {
                            ui.label(&launch.status);
                        });
                        if with_vehicle {
                            row.col(|ui| {
                                ui.label(&launch.vehicle);
                            });
                        }
                        // The last column takes what is left and cuts a long pad name at
                        // the window's edge (whole on hover), never the status.
                        row.col(|ui| {
                            let place = format!("{} / {}", launch.spaceport, launch.pad);
                            ui.add(egui::Label::new(place.as_str()).truncate())
                                .on_hover_text(place);
                        });
                    });
                }
            });
    });
}

/// A button for a command, at its natural width (the Overview's columns would otherwise
/// stretch it across the card).
fn command_button_ui(ui: &mut Ui, command: UiCommand, commands: &mut Vec<UiCommand>) {
    ui.horizontal(|ui| {
        if ui
            .button(command.label())
            .on_hover_text(command.tooltip())
            .clicked()
        {
            commands.push(command);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_health_line_says_where_the_whole_files_check_stands() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T12:00:01Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        let report = OpenReport {
            created: false,
            migrated_from: None,
            pre_migration_backup: None,
            integrity: "ok".into(),
            checked_at: at,
        };
        let later = at + chrono::Duration::seconds(6);
        let cases = [
            (
                WholeFileCheck::Running,
                StatusLevel::Nominal,
                "Integrity ok; checking the rest",
                "checked at open (12:00:01 UTC): ok",
            ),
            (
                WholeFileCheck::Passed(later),
                StatusLevel::Nominal,
                "Integrity ok (checked 12:00:07 UTC)",
                "passed its check at 12:00:07 UTC",
            ),
            (
                WholeFileCheck::NotRun("no thread".into()),
                StatusLevel::Caution,
                "Integrity ok; rest not checked",
                "could not start: no thread",
            ),
            (
                WholeFileCheck::Failed("page 12: btree damaged".into()),
                StatusLevel::Critical,
                "Damaged: restore a backup",
                "failed its check: page 12: btree damaged. Close the console",
            ),
        ];
        for (check, level, words, detail) in cases {
            let (got_level, got_words, got_detail) = health_words(&report, &check);
            assert_eq!((got_level, got_words.as_str()), (level, words));
            assert!(got_detail.contains(detail), "{got_detail}");
        }
    }
}
