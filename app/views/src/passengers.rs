//! The Passengers view: every passenger with their readiness items, and an editor that
//! checks each field as it is typed. Personal fields (documents, birth date, contacts) are
//! shown only to roles that need them.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use egui_extras::{Column, TableBuilder};
use galaxium_widgets::Tokens;

use crate::UiCommand;
use crate::ops::bookings::Passenger;
use crate::ops::bookings::actions::validate_passenger;
use crate::ops::bookings::data::BookingsData;
use crate::ops::bookings::model::MedicalStatus;

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
        let Some(form) = &mut state.form else {
            ui.add_space(tokens.gap);
            ui.label(
                RichText::new("Pick a passenger to edit, or add a new one.")
                    .color(tokens.text_muted),
            );
            return;
        };
        editor_ui(ui, form, personal, (tokens, now), commands);
    });
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
                    ui.add(egui::TextEdit::singleline(value).desired_width(280.0))
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
