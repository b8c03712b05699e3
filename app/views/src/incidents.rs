//! The Incidents view: a board by status and severity with a quick form (three fields, the
//! rest later), and an incident's screen: status moves, the timeline (notes, edits, pins),
//! the runbook, tasks, roles, the telemetry snapshot and the reports.

use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};
use egui_plot::{Line, Plot, PlotPoints, VLine};
use galaxium_widgets::Tokens;

use crate::UiCommand;
use crate::ops::incidents::snapshot::Snapshot;
use crate::ops::incidents::{
    Field, Incident, IncidentDetail, IncidentKind, IncidentStatus, NewTask, SeverityLevel, report,
    runbooks,
};

/// What the view asks the console to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentCommand {
    /// Open an incident from the quick form.
    Create {
        /// What happened.
        title: String,
        /// Its kind.
        kind: IncidentKind,
        /// A severity code.
        severity: String,
    },
    /// Move an incident.
    Transition {
        /// The incident.
        id: String,
        /// Where to.
        to: IncidentStatus,
        /// Why, if said.
        note: String,
    },
    /// Add a note to the timeline.
    AddNote {
        /// The incident.
        id: String,
        /// The words.
        text: String,
    },
    /// Reword a note.
    EditNote {
        /// The incident.
        id: String,
        /// The entry.
        entry: String,
        /// The new words.
        text: String,
    },
    /// Pin or unpin an entry.
    Pin {
        /// The incident.
        id: String,
        /// The entry.
        entry: String,
        /// Pinned.
        pinned: bool,
    },
    /// Set fields.
    SetFields {
        /// The incident.
        id: String,
        /// The changes.
        changes: Vec<(Field, String)>,
    },
    /// Add a task.
    AddTask {
        /// The incident.
        id: String,
        /// The task.
        task: NewTask,
    },
    /// Mark a task done or open.
    TaskDone {
        /// The incident.
        id: String,
        /// The task.
        task: String,
        /// Done.
        done: bool,
    },
    /// Export the incident's report as a PDF.
    ExportReport {
        /// The incident.
        id: String,
    },
    /// Export every incident as CSV.
    ExportList,
    /// Link a passenger.
    LinkPassenger {
        /// The incident.
        id: String,
        /// The passenger.
        passenger: String,
    },
    /// Unlink a passenger.
    UnlinkPassenger {
        /// The incident.
        id: String,
        /// The link.
        link: String,
    },
    /// Reword a severity level (admins).
    SaveSeverity(SeverityLevel),
    /// Keep this many minutes of telemetry either side of an alarm.
    SnapshotWindow(u32),
    /// Attach the file at a path.
    Attach {
        /// The incident.
        id: String,
        /// The file.
        path: String,
    },
    /// Save a copy of an attachment into the data folder's exports.
    SaveAttachment {
        /// The attachment.
        attachment: String,
        /// Its file name.
        file_name: String,
    },
    /// Tick or untick a runbook step.
    TickStep {
        /// The incident.
        id: String,
        /// Zero-based step.
        step: usize,
        /// Done.
        done: bool,
    },
}

impl IncidentCommand {
    /// What it does, in words.
    pub fn label(&self) -> &'static str {
        match self {
            Self::Create { .. } => "Open an incident",
            Self::Transition { .. } => "Change the incident's status",
            Self::AddNote { .. } => "Add to the timeline",
            Self::EditNote { .. } => "Edit a note",
            Self::Pin { .. } => "Pin or unpin an entry",
            Self::SetFields { .. } => "Save the incident",
            Self::AddTask { .. } => "Add a task",
            Self::TaskDone { .. } => "Mark a task",
            Self::TickStep { .. } => "Tick a runbook step",
            Self::ExportReport { .. } => "Export the incident report (PDF)",
            Self::ExportList => "Export the incident list (CSV)",
            Self::LinkPassenger { .. } => "Link a passenger",
            Self::UnlinkPassenger { .. } => "Unlink a passenger",
            Self::SaveSeverity(_) => "Save the severity level",
            Self::SnapshotWindow(_) => "Set the telemetry snapshot window",
            Self::Attach { .. } => "Attach a file",
            Self::SaveAttachment { .. } => "Save a copy of an attachment",
        }
    }
}

/// The detail screen's sections.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Section {
    /// The runbook's steps.
    #[default]
    Runbook,
    /// Tasks.
    Tasks,
    /// Roles, severity, kind.
    Roles,
    /// The telemetry snapshot.
    Telemetry,
    /// Tactical report and review.
    Report,
    /// Attached files.
    Files,
}

impl Section {
    const ALL: [Self; 6] = [
        Self::Runbook,
        Self::Tasks,
        Self::Roles,
        Self::Telemetry,
        Self::Report,
        Self::Files,
    ];

    fn title(self) -> &'static str {
        match self {
            Self::Runbook => "Runbook",
            Self::Tasks => "Tasks",
            Self::Roles => "Roles",
            Self::Telemetry => "Telemetry",
            Self::Report => "Report",
            Self::Files => "Files",
        }
    }
}

/// The editable copies of an incident's fields, kept as typed until saved.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct FieldsForm {
    /// Whose fields.
    pub incident_id: String,
    values: Vec<(Field, String)>,
}

const FORM_FIELDS: [Field; 13] = [
    Field::Title,
    Field::Description,
    Field::Severity,
    Field::Kind,
    Field::Commander,
    Field::Scribe,
    Field::Liaison,
    Field::SafetyOfficer,
    Field::Conditions,
    Field::Actions,
    Field::Needs,
    Field::ReviewSummary,
    Field::ReviewCauses,
];

impl FieldsForm {
    /// A form holding `incident`'s fields.
    pub fn of(incident: &Incident) -> Self {
        let value = |field: Field| match field {
            Field::Title => incident.title.clone(),
            Field::Description => incident.description.clone(),
            Field::Severity => incident.severity.clone(),
            Field::Kind => incident.kind.as_str().to_owned(),
            Field::Commander => incident.commander.clone(),
            Field::Scribe => incident.scribe.clone(),
            Field::Liaison => incident.liaison.clone(),
            Field::SafetyOfficer => incident.safety_officer.clone(),
            Field::Runbook => incident.runbook.clone(),
            Field::Conditions => incident.conditions.clone(),
            Field::Actions => incident.actions.clone(),
            Field::Needs => incident.needs.clone(),
            Field::ReviewSummary => incident.review_summary.clone(),
            Field::ReviewCauses => incident.review_causes.clone(),
            Field::ReviewLessons => incident.review_lessons.clone(),
            Field::Launch => incident.launch_id.clone().unwrap_or_default(),
        };
        Self {
            incident_id: incident.id.clone(),
            values: FORM_FIELDS
                .iter()
                .chain(&[Field::ReviewLessons])
                .map(|f| (*f, value(*f)))
                .collect(),
        }
    }

    fn get_mut(&mut self, field: Field) -> &mut String {
        let index = self
            .values
            .iter()
            .position(|(f, _)| *f == field)
            .unwrap_or(0);
        &mut self.values[index].1
    }

    /// The fields that differ from `incident`.
    pub fn changes(&self, incident: &Incident, fields: &[Field]) -> Vec<(Field, String)> {
        let saved = Self::of(incident);
        self.values
            .iter()
            .filter(|(f, v)| {
                fields.contains(f) && saved.values.iter().any(|(g, w)| g == f && w != v)
            })
            .cloned()
            .collect()
    }
}

/// What the Incidents view remembers between frames.
#[derive(Debug, Clone, Default)]
pub struct IncidentsState {
    /// The incident shown, if any (otherwise the board).
    pub selected: Option<String>,
    /// The quick form: title, kind, severity.
    pub quick: Option<(String, IncidentKind, String)>,
    /// A note for the next status move.
    pub status_note: String,
    /// A new timeline note being typed.
    pub note: String,
    /// A note being edited: (entry, words).
    pub editing: Option<(String, String)>,
    /// A new task being typed.
    pub task: Option<NewTask>,
    /// The fields being edited.
    pub form: FieldsForm,
    /// The detail screen's section.
    pub section: Section,
    /// The channel plotted from the snapshot.
    pub channel: Option<String>,
    /// The path of a file to attach.
    pub attach_path: String,
    /// The severity scale being edited.
    pub scale: Option<Vec<SeverityLevel>>,
}

/// What the view shows.
pub struct IncidentsInput<'a> {
    /// Every incident.
    pub incidents: &'a [Incident],
    /// The selected incident.
    pub detail: Option<&'a IncidentDetail>,
    /// Its telemetry snapshot, when this console captured one.
    pub snapshot: Option<&'a Snapshot>,
    /// The severity scale.
    pub severities: &'a [SeverityLevel],
    /// Whether the signed-in role may write incidents.
    pub can_write: bool,
    /// A report being exported: its reference and the share done.
    pub exporting: Option<(&'a str, f32)>,
    /// Launches to link: (id, mission).
    pub launches: &'a [(String, String)],
    /// Passengers to link: (id, name).
    pub passengers: &'a [(String, String)],
    /// Whether the role may reword the severity scale.
    pub can_edit_scale: bool,
    /// Minutes of telemetry kept either side of an alarm.
    pub window_minutes: u32,
    /// Colours and sizes.
    pub tokens: Tokens,
    /// Now.
    pub now: DateTime<Utc>,
}

fn severity_color(code: &str, levels: &[SeverityLevel], tokens: Tokens) -> Color32 {
    match levels.iter().find(|l| l.code == code).map_or(4, |l| l.rank) {
        1 => tokens.critical,
        2 => tokens.caution,
        3 => tokens.accent,
        _ => tokens.text_muted,
    }
}

fn status_color(status: IncidentStatus, tokens: Tokens) -> Color32 {
    match status {
        IncidentStatus::Active => tokens.critical,
        IncidentStatus::Stable => tokens.caution,
        IncidentStatus::Closed => tokens.nominal,
    }
}

/// "12 min ago", "3 h ago".
fn age(at: &str, now: DateTime<Utc>) -> String {
    DateTime::parse_from_rfc3339(at).map_or_else(
        |_| at.to_owned(),
        |t| {
            let minutes = (now - t.with_timezone(&Utc)).num_minutes().max(0);
            match minutes {
                0 => "just now".to_owned(),
                m if m < 120 => format!("{m} min ago"),
                m if m < 48 * 60 => format!("{} h ago", m / 60),
                m => format!("{} days ago", m / 1440),
            }
        },
    )
}

/// "12:04:31" of an RFC 3339 time.
use super::format::time_of_day as clock;

/// Draws the Incidents view.
pub fn incidents_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    match (state.selected.clone(), input.detail) {
        (Some(id), Some(detail)) if detail.incident.id == id => {
            detail_ui(ui, state, input, detail, commands);
        }
        _ => board_ui(ui, state, input, commands),
    }
}

fn send(commands: &mut Vec<UiCommand>, command: IncidentCommand) {
    commands.push(UiCommand::Incident(command));
}

fn board_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.add_space(tokens.spacing);
    ui.horizontal(|ui| {
        ui.heading("Incidents");
        let open = input
            .incidents
            .iter()
            .filter(|i| i.status != IncidentStatus::Closed)
            .count();
        ui.label(RichText::new(format!("{open} open")).color(tokens.text_muted));
        if ui
            .button("Export list (CSV)")
            .on_hover_text("Every incident, one row each, into the data folder's exports")
            .clicked()
        {
            send(commands, IncidentCommand::ExportList);
        }
        if input.can_write && state.quick.is_none() && ui.button("New incident").clicked() {
            let severity = input
                .severities
                .get(1)
                .or(input.severities.first())
                .map_or_else(String::new, |l| l.code.clone());
            state.quick = Some((String::new(), IncidentKind::GroundOperations, severity));
        }
    });
    if !input.can_write {
        ui.label(
            RichText::new(
                "Your role reads incidents; controllers, staff and admins open and work them.",
            )
            .color(tokens.text_muted),
        );
    }
    quick_form_ui(ui, state, input, commands);
    settings_row_ui(ui, state, input, commands);
    ui.add_space(tokens.spacing);
    ui.columns(IncidentStatus::ALL.len(), |columns| {
        for (ui, status) in columns.iter_mut().zip(IncidentStatus::ALL) {
            let cards: Vec<&Incident> = input
                .incidents
                .iter()
                .filter(|i| i.status == status)
                .collect();
            ui.label(
                RichText::new(format!("{} · {}", status.label(), cards.len()))
                    .strong()
                    .color(status_color(status, tokens)),
            );
            egui::ScrollArea::vertical()
                .id_salt(("incident_column", status.as_str()))
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    if cards.is_empty() {
                        ui.label(RichText::new("none").color(tokens.text_muted));
                    }
                    for incident in cards {
                        incident_card_ui(ui, state, input, incident);
                    }
                });
        }
    });
}

/// The snapshot window, and the severity scale for admins.
fn settings_row_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.horizontal(|ui| {
        let label = ui.label("Telemetry kept with an incident");
        let mut minutes = input.window_minutes;
        if ui
            .add(
                egui::DragValue::new(&mut minutes)
                    .range(1..=60)
                    .suffix(" min"),
            )
            .labelled_by(label.id)
            .on_hover_text("Minutes before and after the alarm that opens an incident")
            .changed()
        {
            send(commands, IncidentCommand::SnapshotWindow(minutes));
        }
        ui.label(RichText::new("either side of the alarm").color(tokens.text_muted));
        if input.can_edit_scale && state.scale.is_none() && ui.button("Severity scale…").clicked()
        {
            state.scale = Some(input.severities.to_vec());
        }
    });
    let Some(scale) = &mut state.scale else {
        return;
    };
    let mut close = false;
    tokens.card_frame().show(ui, |ui| {
        ui.label(RichText::new("Severity scale").strong());
        for level in scale.iter_mut() {
            ui.horizontal(|ui| {
                ui.label(RichText::new(&level.code).strong());
                let label = ui.label(format!("{} name", level.code));
                ui.add(egui::TextEdit::singleline(&mut level.name).desired_width(120.0))
                    .labelled_by(label.id);
                ui.add(egui::TextEdit::singleline(&mut level.description).desired_width(460.0));
                let saved = input.severities.iter().find(|l| l.code == level.code);
                if ui
                    .add_enabled(saved != Some(level), egui::Button::new("Save"))
                    .clicked()
                {
                    send(commands, IncidentCommand::SaveSeverity(level.clone()));
                }
            });
        }
        close = ui.button("Done").clicked();
    });
    if close {
        state.scale = None;
    }
}

fn incident_card_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    incident: &Incident,
) {
    let tokens = input.tokens;
    let color = severity_color(&incident.severity, input.severities, tokens);
    let response = tokens
        .card_frame()
        .stroke(egui::Stroke::new(1.5, color))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(RichText::new(&incident.severity).strong().color(color));
                ui.label(
                    RichText::new(&incident.reference)
                        .monospace()
                        .color(tokens.text_muted),
                );
            });
            let open = ui.add(
                egui::Button::new(RichText::new(&incident.title).strong())
                    .frame(false)
                    .wrap(),
            );
            ui.label(
                RichText::new(format!(
                    "{} · {} · {}",
                    incident.kind.label(),
                    age(&incident.reported_at, input.now),
                    if incident.commander.is_empty() {
                        "no commander".to_owned()
                    } else {
                        format!("IC {}", incident.commander)
                    }
                ))
                .small()
                .color(tokens.text_muted),
            );
            open
        });
    // The whole card opens the incident, not only its title.
    let card_click = ui
        .interact(
            response.response.rect,
            ui.scope_id().with(("incident_card", incident.id.as_str())),
            egui::Sense::click(),
        )
        .on_hover_cursor(egui::CursorIcon::PointingHand);
    if response.inner.clicked() || card_click.clicked() {
        state.selected = Some(incident.id.clone());
    }
    ui.add_space(tokens.spacing);
}

fn quick_form_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let Some((title, kind, severity)) = &mut state.quick else {
        return;
    };
    let tokens = input.tokens;
    let mut close = false;
    tokens.card_frame().show(ui, |ui| {
        ui.label(RichText::new("New incident: three fields now, the rest later").strong());
        ui.horizontal(|ui| {
            let label = ui.label("What happened");
            ui.add(
                egui::TextEdit::singleline(title)
                    .hint_text("Fuel line leak at pad 2")
                    .desired_width(360.0),
            )
            .labelled_by(label.id);
            let label = ui.label("Kind");
            egui::ComboBox::from_id_salt("quick_kind")
                .selected_text(kind.label())
                .show_ui(ui, |ui| {
                    for k in IncidentKind::ALL {
                        ui.selectable_value(kind, k, k.label());
                    }
                })
                .response
                .labelled_by(label.id);
            let label = ui.label("Severity");
            egui::ComboBox::from_id_salt("quick_severity")
                .selected_text(severity.as_str())
                .show_ui(ui, |ui| {
                    for level in input.severities {
                        ui.selectable_value(
                            severity,
                            level.code.clone(),
                            format!("{} {}", level.code, level.name),
                        )
                        .on_hover_text(&level.description);
                    }
                })
                .response
                .labelled_by(label.id);
        });
        ui.horizontal(|ui| {
            if ui.button("Open incident").clicked() {
                send(
                    commands,
                    IncidentCommand::Create {
                        title: title.clone(),
                        kind: *kind,
                        severity: severity.clone(),
                    },
                );
            }
            if ui.button("Cancel").clicked() {
                close = true;
            }
        });
    });
    if close {
        state.quick = None;
    }
}

fn detail_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    commands: &mut Vec<UiCommand>,
) {
    let incident = &detail.incident;
    if state.form.incident_id != incident.id {
        state.form = FieldsForm::of(incident);
        state.channel = None;
    }
    detail_header_ui(ui, state, input, detail);
    if input.can_write {
        status_row_ui(ui, state, incident, commands);
    }
    ui.separator();
    let id = incident.id.clone();
    egui::Panel::left("incident_timeline")
        .resizable(true)
        .default_size(ui.available_width() * 0.5)
        .min_size(320.0)
        .show(ui, |ui| {
            timeline_ui(ui, state, input, detail, &id, commands);
        });
    egui::CentralPanel::default().show(ui, |ui| {
        // Wrapped: on a narrow window the tabs take two lines, never push the page wider.
        ui.horizontal_wrapped(|ui| {
            for section in Section::ALL {
                ui.selectable_value(&mut state.section, section, section.title());
            }
        });
        ui.separator();
        // Long runbook steps and notes wrap to the column's width.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Wrap);
        egui::ScrollArea::vertical()
            .id_salt("incident_section")
            .auto_shrink([false, false])
            .show(ui, |ui| match state.section {
                Section::Runbook => runbook_ui(ui, input, detail, commands),
                Section::Tasks => tasks_ui(ui, state, input, detail, commands),
                Section::Roles => {
                    fields_ui(
                        ui,
                        state,
                        input,
                        incident,
                        &[
                            Field::Title,
                            Field::Severity,
                            Field::Kind,
                            Field::Commander,
                            Field::Scribe,
                            Field::Liaison,
                            Field::SafetyOfficer,
                            Field::Description,
                        ],
                        commands,
                    );
                    links_ui(ui, input, detail, commands);
                }
                Section::Telemetry => snapshot_ui(ui, state, input, detail),
                Section::Files => files_ui(ui, state, input, detail, commands),
                Section::Report => {
                    export_row_ui(ui, &state.form, input, detail, commands);
                    fields_ui(
                        ui,
                        state,
                        input,
                        incident,
                        &[
                            Field::Conditions,
                            Field::Actions,
                            Field::Needs,
                            Field::ReviewSummary,
                            Field::ReviewCauses,
                            Field::ReviewLessons,
                        ],
                        commands,
                    );
                }
            });
    });
}

/// Export of the report, or its progress.
fn export_row_ui(
    ui: &mut Ui,
    form: &FieldsForm,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    commands: &mut Vec<UiCommand>,
) {
    let incident = &detail.incident;
    // What is typed on screen and not saved yet: the report is of the text on screen, so it
    // is saved first (a role that may not save exports what is saved, and is told so).
    let unsaved = if form.incident_id == incident.id {
        let every: Vec<Field> = FORM_FIELDS
            .iter()
            .copied()
            .chain([Field::ReviewLessons])
            .collect();
        form.changes(incident, &every)
    } else {
        Vec::new()
    };
    ui.horizontal(|ui| {
        if let Some((reference, done)) = input.exporting {
            ui.add(
                egui::ProgressBar::new(done)
                    .desired_width(240.0)
                    .text(format!("exporting {reference}: {:.0}%", done * 100.0)),
            );
        } else if ui
            .button("Export PDF")
            .on_hover_text(
                "The report: regulatory summary, roles, tactical report, review, charts of the telemetry around the alarm, the timeline and the tasks",
            )
            .clicked()
        {
            if !unsaved.is_empty() && input.can_write {
                send(
                    commands,
                    IncidentCommand::SetFields {
                        id: incident.id.clone(),
                        changes: unsaved.clone(),
                    },
                );
            }
            send(
                commands,
                IncidentCommand::ExportReport {
                    id: incident.id.clone(),
                },
            );
        }
        ui.label(
            RichText::new(match (unsaved.is_empty(), input.can_write) {
                (true, _) => "Tactical report (conditions, actions, needs) and post-incident review",
                (false, true) => "Your edits below are saved first, so the PDF holds what you see",
                (false, false) => {
                    "Your role may not save: the PDF holds the saved report, not your edits"
                }
            })
            .color(input.tokens.text_muted),
        );
    });
    egui::CollapsingHeader::new("Preview: regulatory summary")
        .default_open(true)
        .show(ui, |ui| {
            egui::Grid::new("regulatory_summary")
                .num_columns(2)
                .striped(true)
                .show(ui, |ui| {
                    for (label, value) in report::summary_rows(detail, input.severities) {
                        ui.label(RichText::new(label).strong());
                        ui.add(egui::Label::new(value).wrap());
                        ui.end_row();
                    }
                });
            ui.label(
                RichText::new(
                    "The PDF adds the roles, the reports below, up to three charts of the telemetry around the alarm, the timeline and the tasks.",
                )
                .small()
                .color(input.tokens.text_muted),
            );
        });
    ui.separator();
}

/// The incident's reference, title, severity, status and when it was reported.
fn detail_header_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
) {
    let tokens = input.tokens;
    let incident = &detail.incident;
    ui.add_space(tokens.spacing);
    ui.horizontal(|ui| {
        if ui.button("All incidents").clicked() {
            state.selected = None;
        }
        ui.label(
            RichText::new(&incident.severity)
                .strong()
                .color(severity_color(&incident.severity, input.severities, tokens)),
        );
        ui.label(RichText::new(&incident.reference).monospace());
        ui.heading(&incident.title);
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(
            RichText::new(incident.status.label())
                .strong()
                .color(status_color(incident.status, tokens)),
        );
        ui.label(
            RichText::new(format!(
                "{} · reported {} by {} ({})",
                incident.kind.label(),
                clock(&incident.reported_at),
                incident.reported_by,
                age(&incident.reported_at, input.now)
            ))
            .color(tokens.text_muted),
        );
        if let Some(mission) = &detail.mission {
            ui.label(RichText::new(format!("· launch {mission}")).color(tokens.text_muted));
        }
    });
}

fn status_row_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    incident: &Incident,
    commands: &mut Vec<UiCommand>,
) {
    let moves: &[(IncidentStatus, &str)] = match incident.status {
        IncidentStatus::Active => &[(IncidentStatus::Stable, "Mark stable")],
        IncidentStatus::Stable => &[
            (IncidentStatus::Closed, "Close"),
            (IncidentStatus::Active, "Worsened: back to active"),
        ],
        IncidentStatus::Closed => &[(IncidentStatus::Active, "Reopen")],
    };
    ui.horizontal(|ui| {
        for (to, words) in moves {
            if ui.button(*words).clicked() {
                send(
                    commands,
                    IncidentCommand::Transition {
                        id: incident.id.clone(),
                        to: *to,
                        note: std::mem::take(&mut state.status_note),
                    },
                );
            }
        }
        let label = ui.label("Why (optional)");
        ui.add(
            egui::TextEdit::singleline(&mut state.status_note)
                .hint_text("leak isolated, crew on suit O2")
                .desired_width(320.0),
        )
        .labelled_by(label.id);
    });
}

fn timeline_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    id: &str,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.label(RichText::new("Timeline").strong());
    if input.can_write {
        let label = ui.label("Add to the timeline");
        ui.add(
            egui::TextEdit::multiline(&mut state.note)
                .hint_text("what happened, what was done, who was told")
                .desired_rows(2)
                .desired_width(f32::INFINITY),
        )
        .labelled_by(label.id);
        if ui.button("Add note").clicked() {
            send(
                commands,
                IncidentCommand::AddNote {
                    id: id.to_owned(),
                    text: std::mem::take(&mut state.note),
                },
            );
        }
        ui.separator();
    }
    egui::ScrollArea::vertical()
        .id_salt("incident_timeline_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            for shown in &detail.timeline {
                let kind_color = match shown.entry.kind.as_str() {
                    "alarm" => tokens.critical,
                    "status" => tokens.caution,
                    "note" => tokens.text,
                    _ => tokens.text_muted,
                };
                ui.horizontal_wrapped(|ui| {
                    if shown.pinned {
                        ui.label(
                            RichText::new("PINNED")
                                .small()
                                .strong()
                                .color(tokens.accent),
                        );
                    }
                    ui.label(
                        RichText::new(clock(&shown.entry.at))
                            .monospace()
                            .color(tokens.text_muted),
                    );
                    ui.label(RichText::new(&shown.entry.author).color(tokens.text_muted));
                    ui.label(RichText::new(&shown.text).color(kind_color));
                    if let Some((who, at)) = &shown.edited {
                        ui.label(
                            RichText::new(format!("(edited by {who} {})", clock(at)))
                                .small()
                                .color(tokens.text_muted),
                        );
                    }
                    if input.can_write {
                        let pin = if shown.pinned { "Unpin" } else { "Pin" };
                        if ui.small_button(pin).clicked() {
                            send(
                                commands,
                                IncidentCommand::Pin {
                                    id: id.to_owned(),
                                    entry: shown.entry.id.clone(),
                                    pinned: !shown.pinned,
                                },
                            );
                        }
                        if shown.is_manual() && ui.small_button("Edit").clicked() {
                            state.editing = Some((shown.entry.id.clone(), shown.text.clone()));
                        }
                    }
                });
                edit_ui(ui, state, id, &shown.entry.id, commands);
                ui.add_space(tokens.spacing * 0.5);
            }
        });
}

fn runbook_ui(
    ui: &mut Ui,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    let incident = &detail.incident;
    let current = runbooks::get(&incident.runbook);
    ui.horizontal(|ui| {
        let label = ui.label("Runbook");
        egui::ComboBox::from_id_salt("incident_runbook")
            .selected_text(current.map_or("none", |r| r.title.as_str()))
            .show_ui(ui, |ui| {
                for book in runbooks::all() {
                    if ui
                        .selectable_label(incident.runbook == book.id, &book.title)
                        .clicked()
                        && input.can_write
                        && incident.runbook != book.id
                    {
                        send(
                            commands,
                            IncidentCommand::SetFields {
                                id: incident.id.clone(),
                                changes: vec![(Field::Runbook, book.id.clone())],
                            },
                        );
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    let Some(book) = current else {
        ui.label(RichText::new("No runbook chosen.").color(tokens.text_muted));
        return;
    };
    let done = detail.ticked.len();
    ui.label(
        RichText::new(format!("{done} of {} steps done", book.steps.len()))
            .color(tokens.text_muted),
    );
    for (step, text) in book.steps.iter().enumerate() {
        let ticked = detail.ticked.get(&step);
        let mut checked = ticked.is_some();
        ui.horizontal_wrapped(|ui| {
            let response = ui.add_enabled(
                input.can_write,
                egui::Checkbox::new(&mut checked, format!("{}. {text}", step + 1)),
            );
            if response.changed() {
                send(
                    commands,
                    IncidentCommand::TickStep {
                        id: incident.id.clone(),
                        step,
                        done: checked,
                    },
                );
            }
            if let Some((who, at)) = ticked {
                ui.label(
                    RichText::new(format!("{who} {}", clock(at)))
                        .small()
                        .color(tokens.nominal),
                );
            }
        });
    }
}

fn tasks_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    let id = &detail.incident.id;
    if detail.tasks.is_empty() {
        ui.label(RichText::new("No tasks yet.").color(tokens.text_muted));
    }
    for task in &detail.tasks {
        ui.horizontal_wrapped(|ui| {
            let mut done = task.done;
            if ui
                .add_enabled(input.can_write, egui::Checkbox::new(&mut done, &task.title))
                .changed()
            {
                send(
                    commands,
                    IncidentCommand::TaskDone {
                        id: id.clone(),
                        task: task.id.clone(),
                        done,
                    },
                );
            }
            let color = match task.priority.as_str() {
                "high" => tokens.critical,
                "medium" => tokens.caution,
                _ => tokens.text_muted,
            };
            ui.label(RichText::new(&task.priority).small().color(color));
            if !task.assignee.is_empty() {
                ui.label(RichText::new(&task.assignee).small());
            }
            if let Some(due) = &task.due_at {
                let overdue =
                    !task.done && due.as_str() < crate::ops::incidents::stamp(input.now).as_str();
                ui.label(
                    RichText::new(format!("due {}", clock(due)))
                        .small()
                        .color(if overdue {
                            tokens.critical
                        } else {
                            tokens.text_muted
                        }),
                );
            }
        });
    }
    if !input.can_write {
        return;
    }
    ui.separator();
    let task = state.task.get_or_insert_with(|| NewTask {
        title: String::new(),
        assignee: String::new(),
        priority: "medium".to_owned(),
        due_at: String::new(),
    });
    let mut added = false;
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("New task");
        ui.add(egui::TextEdit::singleline(&mut task.title).desired_width(240.0))
            .labelled_by(label.id);
        let label = ui.label("For");
        ui.add(egui::TextEdit::singleline(&mut task.assignee).desired_width(100.0))
            .labelled_by(label.id);
        let label = ui.label("Priority");
        egui::ComboBox::from_id_salt("task_priority")
            .selected_text(task.priority.as_str())
            .show_ui(ui, |ui| {
                for p in ["high", "medium", "low"] {
                    ui.selectable_value(&mut task.priority, p.to_owned(), p);
                }
            })
            .response
            .labelled_by(label.id);
        let label = ui.label("Due");
        ui.add(
            egui::TextEdit::singleline(&mut task.due_at)
                .hint_text("2026-11-22T18:00:00Z")
                .desired_width(170.0),
        )
        .labelled_by(label.id);
        if ui.button("Add task").clicked() {
            send(
                commands,
                IncidentCommand::AddTask {
                    id: id.clone(),
                    task: task.clone(),
                },
            );
            added = true;
        }
    });
    if added {
        state.task = None;
    }
}

fn fields_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    incident: &Incident,
    fields: &[Field],
    commands: &mut Vec<UiCommand>,
) {
    let form = &mut state.form;
    for field in fields {
        let label = ui.label(field.label());
        match field {
            Field::Severity => {
                let value = form.get_mut(*field);
                egui::ComboBox::from_id_salt("incident_severity")
                    .selected_text(value.as_str())
                    .show_ui(ui, |ui| {
                        for level in input.severities {
                            ui.selectable_value(
                                value,
                                level.code.clone(),
                                format!("{} {}", level.code, level.name),
                            );
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
            Field::Kind => {
                let value = form.get_mut(*field);
                egui::ComboBox::from_id_salt("incident_kind")
                    .selected_text(IncidentKind::parse(value).map_or("", IncidentKind::label))
                    .show_ui(ui, |ui| {
                        for kind in IncidentKind::ALL {
                            ui.selectable_value(value, kind.as_str().to_owned(), kind.label());
                        }
                    })
                    .response
                    .labelled_by(label.id);
            }
            Field::Title
            | Field::Commander
            | Field::Scribe
            | Field::Liaison
            | Field::SafetyOfficer => {
                ui.add_enabled(
                    input.can_write,
                    egui::TextEdit::singleline(form.get_mut(*field)).desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            }
            _ => {
                ui.add_enabled(
                    input.can_write,
                    egui::TextEdit::multiline(form.get_mut(*field))
                        .desired_rows(3)
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            }
        }
    }
    let changes = form.changes(incident, fields);
    if input.can_write
        && ui
            .add_enabled(!changes.is_empty(), egui::Button::new("Save"))
            .clicked()
    {
        send(
            commands,
            IncidentCommand::SetFields {
                id: incident.id.clone(),
                changes,
            },
        );
    }
}

#[allow(clippy::cast_possible_truncation, reason = "Unix milliseconds")]
fn snapshot_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
) {
    let tokens = input.tokens;
    let Some(snapshot) = input.snapshot else {
        ui.label(
            RichText::new(
                "No telemetry snapshot on this console: snapshots are kept by the console that saw the alarm.",
            )
            .color(tokens.text_muted),
        );
        return;
    };
    // The channel of the first alarm ("CRITICAL ls.cabin_pressure 88.000 kPa below 92").
    let alarm_channel = detail
        .timeline
        .iter()
        .find(|e| e.entry.kind == "alarm")
        .and_then(|e| e.entry.text.split_whitespace().nth(1))
        .map(str::to_owned);
    let with_data: Vec<&str> = snapshot
        .channels
        .iter()
        .filter(|c| !c.times.is_empty())
        .map(|c| c.channel.as_str())
        .collect();
    let chosen = state
        .channel
        .clone()
        .or(alarm_channel)
        .filter(|c| with_data.contains(&c.as_str()))
        .or_else(|| with_data.first().map(|c| (*c).to_owned()));
    ui.horizontal(|ui| {
        let label = ui.label("Channel");
        egui::ComboBox::from_id_salt("snapshot_channel")
            .selected_text(chosen.as_deref().unwrap_or("none"))
            .show_ui(ui, |ui| {
                for channel in &with_data {
                    if ui
                        .selectable_label(chosen.as_deref() == Some(channel), *channel)
                        .clicked()
                    {
                        state.channel = Some((*channel).to_owned());
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let minutes = (snapshot.to_t - snapshot.from_t) / 120.0;
        ui.label(
            RichText::new(if snapshot.complete {
                format!(
                    "{} points, {minutes:.0} min either side of the alarm",
                    snapshot.points()
                )
            } else {
                format!(
                    "{} points so far; capturing until {}",
                    snapshot.points(),
                    DateTime::from_timestamp_millis((snapshot.to_t * 1000.0).round() as i64)
                        .map_or_else(String::new, |t| t.format("%H:%M:%S").to_string())
                )
            })
            .color(tokens.text_muted),
        );
    });
    let Some(trace) = chosen.as_deref().and_then(|c| snapshot.channel(c)) else {
        ui.label(RichText::new("No channel held data in the window.").color(tokens.text_muted));
        return;
    };
    let middle = f64::midpoint(snapshot.from_t, snapshot.to_t);
    let points: PlotPoints = trace
        .times
        .iter()
        .zip(&trace.values)
        .map(|(t, v)| [t - middle, f64::from(*v)])
        .collect();
    Plot::new("incident_snapshot_plot")
        .height(260.0)
        .x_axis_formatter(|mark, _| format!("{:+.0} s", mark.value))
        .show(ui, |plot| {
            plot.line(Line::new(trace.channel.clone(), points).color(tokens.accent));
            plot.vline(VLine::new("alarm", 0.0).color(tokens.critical));
        });
    ui.label(
        RichText::new("Seconds from the alarm; the red line is the alarm.")
            .small()
            .color(tokens.text_muted),
    );
}

/// The editor of a note, under it, while it is being edited.
fn edit_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    id: &str,
    shown_id: &str,
    commands: &mut Vec<UiCommand>,
) {
    let Some((entry, text)) = &mut state.editing else {
        return;
    };
    if entry != shown_id {
        return;
    }
    ui.add(egui::TextEdit::multiline(text).desired_width(f32::INFINITY));
    let mut done = false;
    ui.horizontal(|ui| {
        if ui.button("Save edit").clicked() {
            send(
                commands,
                IncidentCommand::EditNote {
                    id: id.to_owned(),
                    entry: entry.clone(),
                    text: text.clone(),
                },
            );
            done = true;
        }
        done |= ui.button("Cancel").clicked();
    });
    if done {
        state.editing = None;
    }
}

/// Attached files: name, size, who and when, a copy to save; a path to attach another.
fn files_ui(
    ui: &mut Ui,
    state: &mut IncidentsState,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    if detail.attachments.is_empty() {
        ui.label(RichText::new("No files attached.").color(tokens.text_muted));
    }
    for file in &detail.attachments {
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&file.file_name).strong());
            ui.label(
                RichText::new(format!(
                    "{} KiB · {} · {} {}",
                    (file.size_bytes + 1023) / 1024,
                    file.media_type,
                    file.added_by,
                    clock(&file.added_at)
                ))
                .small()
                .color(tokens.text_muted),
            );
            if ui.small_button("Save a copy").clicked() {
                send(
                    commands,
                    IncidentCommand::SaveAttachment {
                        attachment: file.id.clone(),
                        file_name: file.file_name.clone(),
                    },
                );
            }
        });
    }
    if !input.can_write {
        return;
    }
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("File to attach");
        ui.add(
            egui::TextEdit::singleline(&mut state.attach_path)
                .hint_text("path to a photo, log or document")
                .desired_width(360.0),
        )
        .labelled_by(label.id);
        let ready = !state.attach_path.trim().is_empty();
        if ui.add_enabled(ready, egui::Button::new("Attach")).clicked() {
            send(
                commands,
                IncidentCommand::Attach {
                    id: detail.incident.id.clone(),
                    path: std::mem::take(&mut state.attach_path).trim().to_owned(),
                },
            );
        }
    });
    ui.label(
        RichText::new(format!(
            "Up to {} KiB a file: attachments travel to every console.",
            crate::ops::incidents::MAX_ATTACHMENT_BYTES / 1024
        ))
        .small()
        .color(tokens.text_muted),
    );
}

/// The launch and the passengers the incident concerns.
fn links_ui(
    ui: &mut Ui,
    input: &IncidentsInput<'_>,
    detail: &IncidentDetail,
    commands: &mut Vec<UiCommand>,
) {
    let id = &detail.incident.id;
    ui.separator();
    ui.horizontal_wrapped(|ui| {
        let label = ui.label("Launch");
        let current = detail.incident.launch_id.clone().unwrap_or_default();
        egui::ComboBox::from_id_salt("incident_launch")
            .selected_text(detail.mission.as_deref().unwrap_or("none"))
            .show_ui(ui, |ui| {
                let choices = std::iter::once((String::new(), "none".to_owned()))
                    .chain(input.launches.iter().cloned());
                for (launch, mission) in choices {
                    if ui.selectable_label(current == launch, mission).clicked()
                        && input.can_write
                        && current != launch
                    {
                        send(
                            commands,
                            IncidentCommand::SetFields {
                                id: id.clone(),
                                changes: vec![(Field::Launch, launch)],
                            },
                        );
                    }
                }
            })
            .response
            .labelled_by(label.id);
    });
    ui.horizontal_wrapped(|ui| {
        let passengers_label = ui.label("Passengers");
        for (link, _, name) in &detail.passengers {
            ui.label(RichText::new(name).strong());
            if input.can_write && ui.small_button("Unlink").clicked() {
                send(
                    commands,
                    IncidentCommand::UnlinkPassenger {
                        id: id.clone(),
                        link: link.clone(),
                    },
                );
            }
        }
        if input.can_write {
            egui::ComboBox::from_id_salt("incident_passenger")
                .selected_text("link a passenger…")
                .show_ui(ui, |ui| {
                    for (passenger, name) in input.passengers {
                        let linked = detail.passengers.iter().any(|(_, p, _)| p == passenger);
                        if !linked && ui.selectable_label(false, name).clicked() {
                            send(
                                commands,
                                IncidentCommand::LinkPassenger {
                                    id: id.clone(),
                                    passenger: passenger.clone(),
                                },
                            );
                        }
                    }
                })
                .response
                .labelled_by(passengers_label.id);
        }
    });
}
