//! The Passengers view: every passenger with their readiness items, and an editor that
//! checks each field as it is typed. Personal fields (documents, birth date, contacts) are
//! shown only to roles that need them.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use galaxium_widgets::Tokens;

use crate::UiCommand;
use crate::launches::BookingCommand;
use crate::ops::bookings::Passenger;
use crate::ops::bookings::actions::validate_passenger;
use crate::ops::bookings::data::{BookingsData, ExpiringDocument};
use crate::ops::bookings::documents::{DocumentInfo, DocumentKind, NewDocument};
use crate::ops::bookings::model::MedicalStatus;

/// A form field's size beside its label: a grid cell offers only last frame's column width,
/// so fields are given theirs outright, as wide as the panel leaves room for (up to 280
/// points; the labels take about 210).
fn field_size(ui: &Ui) -> [f32; 2] {
    [(ui.available_width() - 230.0).clamp(120.0, 280.0), 22.0]
}

/// The editor's text fields, so a half-typed number or date is kept as typed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PassengerForm {
    id: String,
    fields: Vec<(&'static str, String)>,
    medical_status: MedicalStatus,
    demo: bool,
}

const TEXT_FIELDS: [(&str, &str, bool); 11] = [
    ("full_name", "Full name", false),
    ("date_of_birth", "Date of birth (YYYY-MM-DD)", true),
    ("nationality", "Nationality", true),
    ("document_number", "Passport or ID number", true),
    ("email", "E-mail", true),
    ("phone", "Phone", true),
    ("emergency_contact", "Emergency contact", true),
    ("body_mass_kg", "Body mass (kg)", false),
    ("medical_expires_on", "Medical clearance valid until", false),
    ("training_completed_on", "Training completed on", false),
    ("waiver_signed_on", "Waiver signed on", false),
];

impl PassengerForm {
    /// A form holding `p`.
    pub fn of(p: &Passenger) -> Self {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let fields = TEXT_FIELDS
            .iter()
            .map(|(key, _, _)| {
                let value = match *key {
                    "full_name" => p.full_name.clone(),
                    "date_of_birth" => text(&p.date_of_birth),
                    "nationality" => text(&p.nationality),
                    "document_number" => text(&p.document_number),
                    "email" => text(&p.email),
                    "phone" => text(&p.phone),
                    "emergency_contact" => text(&p.emergency_contact),
                    "body_mass_kg" => p.body_mass_kg.map(|m| m.to_string()).unwrap_or_default(),
                    "medical_expires_on" => text(&p.medical_expires_on),
                    "training_completed_on" => text(&p.training_completed_on),
                    _ => text(&p.waiver_signed_on),
                };
                (*key, value)
            })
            .collect();
        Self {
            id: p.id.clone(),
            fields,
            medical_status: p.medical_status,
            demo: p.demo,
        }
    }

    fn get(&self, key: &str) -> Option<String> {
        self.fields
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }

    /// The passenger it describes, and the problems field by field (a mass that is not a
    /// number is one of them).
    pub fn passenger(&self, now: DateTime<Utc>) -> (Passenger, Vec<(&'static str, String)>) {
        let mut problems = Vec::new();
        let body_mass_kg = self.get("body_mass_kg").and_then(|m| {
            let parsed = m.parse::<f64>().ok();
            if parsed.is_none() {
                problems.push((
                    "body_mass_kg",
                    format!("{m:?} is not a number of kilograms"),
                ));
            }
            parsed
        });
        let p = Passenger {
            id: self.id.clone(),
            full_name: self.get("full_name").unwrap_or_default(),
            date_of_birth: self.get("date_of_birth"),
            nationality: self.get("nationality"),
            document_number: self.get("document_number"),
            email: self.get("email"),
            phone: self.get("phone"),
            emergency_contact: self.get("emergency_contact"),
            body_mass_kg,
            medical_status: self.medical_status,
            medical_expires_on: self.get("medical_expires_on"),
            training_completed_on: self.get("training_completed_on"),
            waiver_signed_on: self.get("waiver_signed_on"),
            demo: self.demo,
        };
        problems.extend(validate_passenger(&p, now));
        (p, problems)
    }
}

/// What the view remembers between frames.
#[derive(Debug, Default)]
pub struct PassengersState {
    search: String,
    /// The passengers booked under the locator the search spells, read by the console from
    /// the replica's locator index: (the search it answers, passenger ids).
    by_locator: (String, Vec<String>),
    /// The passenger being edited.
    form: Option<PassengerForm>,
    /// The editor as it was opened (or last saved): what its edits are measured against.
    loaded: Option<PassengerForm>,
    /// Another passenger asked for while the editor holds unsaved changes: the question
    /// whether to discard them is open.
    asking: Option<PassengerForm>,
    /// The form that attaches a document to the passenger being edited.
    pub document: DocumentForm,
}

/// The attach-a-document form: kept as typed until the document is attached.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DocumentForm {
    /// What it is.
    pub kind: Option<DocumentKind>,
    /// Its number.
    pub number: String,
    /// Its expiry, as typed.
    pub expires_on: String,
    /// The scan's path.
    pub path: String,
    /// Why the last attach was refused, shown beside the form.
    pub error: Option<String>,
}

impl DocumentForm {
    /// Empties the form once its document is attached.
    pub fn clear_after_attach(&mut self) {
        *self = Self::default();
    }
}

impl PassengersState {
    /// The search as typed.
    pub fn search(&self) -> &str {
        &self.search
    }

    /// Whether the passengers under the search's locator are still to be read.
    pub fn wants_locator_lookup(&self) -> bool {
        self.by_locator.0 != self.search
    }

    /// The passengers booked under the locator `search` spells.
    pub fn set_locator_matches(&mut self, search: String, passengers: Vec<String>) {
        self.by_locator = (search, passengers);
    }

    /// Opens `form` in the editor, as saved.
    pub fn open(&mut self, form: PassengerForm) {
        self.loaded = Some(form.clone());
        self.form = Some(form);
        self.asking = None;
    }

    /// Whether the editor holds changes not saved.
    pub fn has_unsaved_changes(&self) -> bool {
        self.form.is_some() && self.form != self.loaded
    }

    /// Opens `form`, or asks first when that would drop unsaved changes.
    fn switch_to(&mut self, form: PassengerForm) {
        if self.has_unsaved_changes() {
            self.asking = Some(form);
        } else {
            self.open(form);
        }
    }
}

/// Draws the Passengers view. `personal` says whether this console's role may see
/// personal fields.
pub fn passengers_ui(
    ui: &mut Ui,
    state: &mut PassengersState,
    data: &BookingsData,
    personal: bool,
    (tokens, now): (Tokens, DateTime<Utc>),
    commands: &mut Vec<UiCommand>,
) {
    discard_question_ui(ui.ctx(), state);
    egui::Panel::left("passenger_list")
        .resizable(true)
        .default_size(460.0)
        .show(ui, |ui| {
            ui.add_space(tokens.spacing);
            ui.horizontal(|ui| {
                ui.heading("Passengers");
                if ui.button("New passenger").clicked() {
                    state.switch_to(PassengerForm::of(&Passenger::default()));
                }
            });
            ui.horizontal(|ui| {
                let label = ui.label("Search");
                ui.add(egui::TextEdit::singleline(&mut state.search).desired_width(220.0))
                    .labelled_by(label.id);
            });
            expiring_ui(ui, state, data, tokens);
            let shown: Vec<&Passenger> = data.find_passengers(&state.search, &state.by_locator.1);
            if shown.is_empty() && !state.search.trim().is_empty() {
                ui.label(
                    RichText::new(format!(
                        "No passenger matches \u{201c}{}\u{201d} by name, document number, \
                         e-mail or booking locator.",
                        state.search.trim()
                    ))
                    .color(tokens.caution),
                );
            }
            let row_height = tokens.body_size + 10.0;
            TableBuilder::new(ui)
                .id_salt("passenger_table")
                .striped(true)
                .sense(egui::Sense::click())
                .column(Column::remainder().at_least(160.0).clip(true))
                .column(Column::auto().at_least(80.0))
                .column(Column::auto().at_least(70.0))
                .header(row_height, |mut header| {
                    for title in ["Name", "Medical", "Mass"] {
                        header.col(|ui| {
                            ui.strong(title);
                        });
                    }
                })
                .body(|body| {
                    body.rows(row_height, shown.len(), |mut row| {
                        let p = shown[row.index()];
                        row.set_selected(
                            state
                                .form
                                .as_ref()
                                .is_some_and(|f| f.id == p.id && !p.id.is_empty()),
                        );
                        row.col(|ui| {
                            ui.add(egui::Label::new(&p.full_name).truncate().selectable(false));
                        });
                        row.col(|ui| {
                            ui.label(p.medical_status.as_str());
                        });
                        row.col(|ui| {
                            ui.label(
                                p.body_mass_kg
                                    .map_or_else(|| "?".to_owned(), |m| format!("{m:.1} kg")),
                            );
                        });
                        if row.response().clicked() {
                            state.switch_to(PassengerForm::of(p));
                        }
                    });
                });
        });
    egui::CentralPanel::default().show(ui, |ui| {
        editor_panel_ui(ui, state, data, personal, (tokens, now), commands);
    });
}

/// The editor of the picked passenger, with their documents under it.
fn editor_panel_ui(
    ui: &mut Ui,
    state: &mut PassengersState,
    data: &BookingsData,
    personal: bool,
    (tokens, now): (Tokens, DateTime<Utc>),
    commands: &mut Vec<UiCommand>,
) {
    let Some(form) = &mut state.form else {
        ui.add_space(tokens.gap);
        ui.label(
            RichText::new("Pick a passenger to edit, or add a new one.").color(tokens.text_muted),
        );
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            editor_ui(ui, form, personal, (tokens, now), commands);
            if !form.id.is_empty() {
                let documents = data.documents.get(&form.id).map_or(&[][..], Vec::as_slice);
                let expiring: Vec<&ExpiringDocument> = data
                    .expiring
                    .iter()
                    .filter(|e| e.passenger_id == form.id)
                    .collect();
                documents_ui(
                    ui,
                    &form.id,
                    (documents, &expiring),
                    &mut state.document,
                    personal,
                    tokens,
                    commands,
                );
            }
        });
}

/// The documents that run out before their passenger's next launch: what the desk chases.
fn expiring_ui(ui: &mut Ui, state: &mut PassengersState, data: &BookingsData, tokens: Tokens) {
    if data.expiring.is_empty() {
        return;
    }
    let count = data.expiring.len();
    let title = RichText::new(if count == 1 {
        "1 document runs out before its passenger's launch".to_owned()
    } else {
        format!("{count} documents run out before their passengers' launches")
    })
    .strong()
    .color(tokens.caution);
    egui::CollapsingHeader::new(title)
        .id_salt("expiring_documents")
        .default_open(true)
        .show(ui, |ui| {
            for item in &data.expiring {
                let text = format!(
                    "{}: {} expires {}, before {} on {}",
                    item.passenger_name,
                    item.document.title(),
                    item.document.expires_on,
                    item.mission,
                    item.launch_day
                );
                let clicked = ui
                    .add(
                        egui::Label::new(RichText::new(text).color(tokens.caution))
                            .sense(egui::Sense::click())
                            .wrap(),
                    )
                    .on_hover_text("Open this passenger")
                    .clicked();
                if clicked
                    && let Some(p) = data.passengers.iter().find(|p| p.id == item.passenger_id)
                {
                    state.switch_to(PassengerForm::of(p));
                }
            }
        });
}

/// A passenger's documents, each with its expiry, and the form to attach another.
fn documents_ui(
    ui: &mut Ui,
    passenger_id: &str,
    (documents, expiring): (&[DocumentInfo], &[&ExpiringDocument]),
    form: &mut DocumentForm,
    personal: bool,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let send = |commands: &mut Vec<UiCommand>, c| commands.push(UiCommand::Bookings(c));
    ui.add_space(tokens.gap);
    ui.separator();
    ui.heading("Documents");
    if !personal {
        ui.label(
            RichText::new(
                "Document numbers and scans are personal data: your role sees only what each                  document is and when it expires.",
            )
            .color(tokens.text_muted),
        );
    }
    if documents.is_empty() {
        ui.label(RichText::new("No document on file.").color(tokens.text_muted));
    }
    for document in documents {
        // What it is and when it runs out on one line (wrapped, so it is never cut off), what
        // the scan is and what can be done with it on the next.
        let line = match expiring.iter().find(|e| e.document.id == document.id) {
            Some(e) => RichText::new(format!(
                "{}: expires {}, before {} on {}",
                document.title(),
                document.expires_on,
                e.mission,
                e.launch_day
            ))
            .color(tokens.caution),
            None => RichText::new(format!(
                "{}: expires {}",
                document.title(),
                document.expires_on
            )),
        };
        ui.add(egui::Label::new(line.strong()).wrap());
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(format!(
                    "{} · {} KiB · added by {}",
                    document.media_type,
                    (document.size_bytes + 1023) / 1024,
                    document.added_by
                ))
                .small()
                .color(tokens.text_muted),
            );
            if personal && document.has_scan && ui.small_button("Save a copy").clicked() {
                send(commands, BookingCommand::SaveDocument(document.id.clone()));
            }
            if personal && ui.small_button("Remove").clicked() {
                send(
                    commands,
                    BookingCommand::RemoveDocument(document.id.clone()),
                );
            }
        });
    }
    if personal {
        attach_form_ui(ui, passenger_id, form, tokens, commands);
    }
}

/// The form that attaches a scanned document, keeping its input and its refusal beside it.
fn attach_form_ui(
    ui: &mut Ui,
    passenger_id: &str,
    form: &mut DocumentForm,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    let send = |commands: &mut Vec<UiCommand>, c| commands.push(UiCommand::Bookings(c));
    ui.add_space(tokens.spacing);
    let field = field_size(ui);
    egui::Grid::new("attach_document")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            let kind_label = ui.label("Document");
            egui::ComboBox::from_id_salt("document_kind")
                .selected_text(form.kind.map_or("choose", DocumentKind::label))
                .show_ui(ui, |ui| {
                    for kind in DocumentKind::ALL {
                        ui.selectable_value(&mut form.kind, Some(kind), kind.label());
                    }
                })
                .response
                .labelled_by(kind_label.id);
            ui.end_row();
            let label = ui.label("Number");
            ui.add_sized(field, egui::TextEdit::singleline(&mut form.number))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Expires on (YYYY-MM-DD)");
            ui.add_sized(field, egui::TextEdit::singleline(&mut form.expires_on))
                .labelled_by(label.id);
            ui.end_row();
            let label = ui.label("Scan (PDF, PNG or JPEG)");
            ui.add_sized(
                field,
                egui::TextEdit::singleline(&mut form.path)
                    .hint_text("path to the file, or drop it here"),
            )
            .labelled_by(label.id);
            ui.end_row();
        });
    let dropped = ui.input(|i| i.raw.dropped_files.first().map(|f| f.path().to_path_buf()));
    if let Some(path) = dropped {
        form.path = path.display().to_string();
    }
    ui.horizontal_wrapped(|ui| {
        let ready = form.kind.is_some()
            && !form.number.trim().is_empty()
            && !form.expires_on.trim().is_empty()
            && !form.path.trim().is_empty();
        if ui
            .add_enabled(ready, egui::Button::new("Attach document"))
            .clicked()
            && let Some(kind) = form.kind
        {
            form.error = None;
            let path = std::path::PathBuf::from(form.path.trim());
            let file_name = path.file_name().map_or_else(
                || form.path.trim().to_owned(),
                |n| n.to_string_lossy().into_owned(),
            );
            send(
                commands,
                BookingCommand::AttachDocument {
                    document: NewDocument {
                        passenger_id: passenger_id.to_owned(),
                        kind,
                        number: form.number.clone(),
                        expires_on: form.expires_on.clone(),
                        file_name,
                    },
                    path,
                },
            );
        }
        ui.label(
            RichText::new(format!(
                "Up to {} KiB a scan.",
                crate::ops::bookings::documents::MAX_SCAN_KIB
            ))
            .small()
            .color(tokens.text_muted),
        );
    });
    if let Some(error) = &form.error {
        ui.label(RichText::new(error).color(tokens.critical));
    }
}

/// Asks before unsaved edits are dropped for another passenger.
fn discard_question_ui(ctx: &egui::Context, state: &mut PassengersState) {
    let Some(next) = &state.asking else {
        return;
    };
    let name = state
        .form
        .as_ref()
        .and_then(|f| f.get("full_name"))
        .unwrap_or_else(|| "this passenger".to_owned());
    let mut answer = None;
    let modal = egui::Modal::new(egui::Id::unique("discard_passenger_edits")).show(ctx, |ui| {
        ui.set_width(420.0);
        ui.heading("Unsaved changes");
        ui.label(format!(
            "Your changes to {name} are not saved. Discard them and open the other passenger?"
        ));
        ui.add_space(8.0);
        ui.horizontal(|ui| {
            if ui.button("Keep editing").clicked() {
                answer = Some(false);
            }
            if ui.button("Discard changes").clicked() {
                answer = Some(true);
            }
        });
    });
    if modal.should_close() && answer.is_none() {
        answer = Some(false);
    }
    match answer {
        Some(true) => {
            let next = next.clone();
            state.open(next);
        }
        Some(false) => state.asking = None,
        None => {}
    }
}

fn editor_ui(
    ui: &mut Ui,
    form: &mut PassengerForm,
    personal: bool,
    (tokens, now): (Tokens, DateTime<Utc>),
    commands: &mut Vec<UiCommand>,
) {
    ui.add_space(tokens.spacing);
    ui.heading(if form.id.is_empty() {
        "New passenger"
    } else {
        "Edit passenger"
    });
    if !personal {
        ui.label(
            RichText::new(
                "Personal fields are not shown to your role; they stay as they are when you save.",
            )
            .color(tokens.text_muted),
        );
    }
    let (_, problems) = form.passenger(now);
    let problem = |key: &str| {
        problems
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, m)| m.clone())
    };
    let field = field_size(ui);
    egui::Grid::new("passenger_fields")
        .num_columns(3)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            for (key, title, is_personal) in TEXT_FIELDS {
                if is_personal && !personal {
                    continue;
                }
                let label = ui.label(title);
                if let Some((_, value)) = form.fields.iter_mut().find(|(k, _)| *k == key) {
                    ui.add_sized(field, egui::TextEdit::singleline(value))
                        .labelled_by(label.id);
                }
                match problem(key) {
                    Some(message) => ui.label(RichText::new(message).color(tokens.critical)),
                    None => ui.label(""),
                };
                ui.end_row();
            }
            let combo_label = ui.label("Medical clearance");
            egui::ComboBox::from_id_salt("medical_status")
                .selected_text(form.medical_status.as_str())
                .show_ui(ui, |ui| {
                    for status in MedicalStatus::ALL {
                        ui.selectable_value(&mut form.medical_status, status, status.as_str());
                    }
                })
                .response
                .labelled_by(combo_label.id);
            ui.end_row();
        });
    ui.add_space(tokens.spacing);
    ui.horizontal(|ui| {
        let (passenger, problems) = form.passenger(now);
        if ui
            .add_enabled(problems.is_empty(), egui::Button::new("Save passenger"))
            .clicked()
        {
            commands.push(UiCommand::SavePassenger(Box::new(passenger)));
        }
        if !problems.is_empty() {
            ui.label(
                RichText::new(format!("{} field(s) to fix", problems.len())).color(tokens.critical),
            );
        }
    });
}
