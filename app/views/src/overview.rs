//! The Overview: what the local replica holds, its health and backups, the demo dataset, and
//! the launches coming up.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use galaxium_sync::{OpenReport, ReplicaKind};
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::format;
use crate::UiCommand;
use crate::ops::overview::OverviewSnapshot;

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
}

/// Draws the Overview; what the user asks for goes into `commands`.
pub fn overview_ui(ui: &mut Ui, input: &OverviewInput<'_>, commands: &mut Vec<UiCommand>) {
    ui.heading("Replica overview");
    ui.add_space(input.tokens.spacing);
    if let Some(error) = input.read_error {
        ui.add(StatusLight::new(
            StatusLevel::Critical,
            &format!("Cannot read the replica: {error}"),
            input.tokens,
        ));
    }
    let Some(snapshot) = input.snapshot else {
        return;
    };
    egui::ScrollArea::vertical().show(ui, |ui| {
        ui.columns(2, |columns| {
            // Not justified: a justified column spreads a paragraph's words and letters.
            let plain = egui::Layout::top_down(egui::Align::Min);
            columns[0].with_layout(plain, |ui| replica_card_ui(ui, snapshot, input, commands));
            columns[1].with_layout(plain, |ui| holdings_card_ui(ui, snapshot, input, commands));
        });
        ui.add_space(input.tokens.gap);
        upcoming_launches_ui(ui, snapshot, input);
    });
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
                ui.add(StatusLight::new(
                    StatusLevel::Nominal,
                    &format!(
                        "Integrity {} (checked {})",
                        report.integrity,
                        report.checked_at.format("%H:%M:%S UTC")
                    ),
                    input.tokens,
                ));
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
