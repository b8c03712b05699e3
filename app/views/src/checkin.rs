//! The check-in desk: a large locator search, one action to check everyone in, boarding,
//! and refusal reasons that cannot be missed.

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use galaxium_widgets::{StatusLevel, StatusLight, Tokens};

use super::format;
use super::launches::BookingCommand;
use crate::UiCommand;
use crate::ops::bookings::data::BookingsData;
use crate::ops::bookings::{Booking, BookingStatus, CheckInOutcome, LaunchDetail, MassLimits};

/// What the desk remembers between frames.
#[derive(Debug, Default)]
pub struct CheckInState {
    /// What is typed in the locator field.
    pub locator: String,
    /// The locator last looked up.
    pub looked_up: Option<String>,
    /// The outcome of the last check-in or boarding at this desk.
    pub outcome: Option<Result<CheckInOutcome, String>>,
}

/// Draws the check-in desk.
pub fn checkin_ui(
    ui: &mut Ui,
    state: &mut CheckInState,
    data: &BookingsData,
    tokens: Tokens,
    now: DateTime<Utc>,
    commands: &mut Vec<UiCommand>,
) {
    let send = |commands: &mut Vec<UiCommand>, c| commands.push(UiCommand::Bookings(c));
    ui.add_space(tokens.spacing);
    ui.heading("Check-in desk");
    ui.add_space(tokens.gap);
    let big = egui::FontId::proportional(tokens.heading_size * 1.6);
    ui.horizontal(|ui| {
        let label = ui.label(RichText::new("Locator").size(tokens.heading_size));
        let field = ui
            .add(
                egui::TextEdit::singleline(&mut state.locator)
                    .font(big.clone())
                    .char_limit(6)
                    .desired_width(260.0)
                    .hint_text("6 characters"),
            )
            .labelled_by(label.id);
        let entered = (field.has_focus() || field.lost_focus())
            && ui.input(|i| i.key_pressed(egui::Key::Enter));
        // The desk is for typing locators: the field is ready whenever nothing else has focus.
        if !entered && ui.memory(|m| m.focused().is_none()) {
            field.request_focus();
        }
        if (ui
            .add(egui::Button::new(
                RichText::new("Find").size(tokens.heading_size),
            ))
            .clicked()
            || entered)
            && !state.locator.trim().is_empty()
        {
            state.locator = state.locator.trim().to_uppercase();
            state.outcome = None;
            send(commands, BookingCommand::LookUp(state.locator.clone()));
        }
    });
    ui.add_space(tokens.gap);
    let Some(looked_up) = state.looked_up.clone() else {
        ui.label(
            RichText::new(
                "Type the six-character locator from the passenger's booking and press Enter.",
            )
            .color(tokens.text_muted),
        );
        return;
    };
    let Some((bookings, launch)) = &data.desk else {
        return;
    };
    if bookings.is_empty() {
        ui.add(StatusLight::new(
            StatusLevel::Critical,
            &format!("No booking has the locator {looked_up}. Check the letters and digits."),
            tokens,
        ));
        return;
    }
    if let Some(launch) = launch {
        launch_desk_ui(ui, bookings, launch, &looked_up, tokens, now, commands);
    }
    outcome_ui(ui, state, tokens);
}

/// What the last check-in or boarding at this desk did, in large type.
fn outcome_ui(ui: &mut Ui, state: &CheckInState, tokens: Tokens) {
    ui.add_space(tokens.gap);
    match &state.outcome {
        Some(Ok(outcome)) => {
            for name in &outcome.checked_in {
                ui.add(StatusLight::new(
                    StatusLevel::Nominal,
                    &format!("{name}: checked in"),
                    tokens,
                ));
            }
            for name in &outcome.already {
                ui.add(StatusLight::new(
                    StatusLevel::Inactive,
                    &format!("{name}: already checked in"),
                    tokens,
                ));
            }
            for (name, reasons) in &outcome.refused {
                ui.label(
                    RichText::new(format!("REFUSED {name}: {}", reasons.join("; ")))
                        .size(tokens.heading_size)
                        .color(tokens.critical),
                );
            }
        }
        Some(Err(reason)) => {
            ui.label(
                RichText::new(format!("REFUSED: {reason}"))
                    .size(tokens.heading_size)
                    .color(tokens.critical),
            );
        }
        None => {}
    }
}

/// The booking's launch, its check-in window, its passengers with their readiness, and the
/// two actions.
fn launch_desk_ui(
    ui: &mut Ui,
    bookings: &[Booking],
    launch: &LaunchDetail,
    looked_up: &str,
    tokens: Tokens,
    now: DateTime<Utc>,
    commands: &mut Vec<UiCommand>,
) {
    let send = |commands: &mut Vec<UiCommand>, c| commands.push(UiCommand::Bookings(c));
    let (opens, closes) = launch.checkin_window();
    let window = if now < opens {
        (
            StatusLevel::Caution,
            format!(
                "Check-in opens at {} ({})",
                format::utc_minutes(opens),
                format::countdown(opens, now)
            ),
        )
    } else if now > closes {
        (
            StatusLevel::Critical,
            format!("Check-in closed at {}", format::utc_minutes(closes)),
        )
    } else {
        (
            StatusLevel::Nominal,
            format!("Check-in open until {}", format::utc_minutes(closes)),
        )
    };
    ui.label(
        RichText::new(format!(
            "{} · {} {} · {} · {}",
            launch.mission,
            launch.spaceport,
            launch.pad,
            format::utc_minutes(launch.scheduled_at),
            launch.status
        ))
        .size(tokens.heading_size),
    );
    ui.add(StatusLight::new(window.0, &window.1, tokens));
    ui.add_space(tokens.spacing);
    egui::Grid::new("desk_passengers")
        .num_columns(4)
        .spacing([tokens.gap, tokens.spacing])
        .striped(true)
        .show(ui, |ui| {
            for title in ["Passenger", "Seat", "Status", "Readiness"] {
                ui.strong(title);
            }
            ui.end_row();
            for booking in bookings {
                ui.label(RichText::new(&booking.passenger_name).size(tokens.heading_size));
                ui.label(
                    RichText::new(booking.seat_id.as_deref().unwrap_or("-"))
                        .size(tokens.heading_size),
                );
                ui.label(booking.status.label());
                let readiness = launch.readiness_of(booking, MassLimits::default());
                let colour = if readiness.is_go() {
                    tokens.nominal
                } else {
                    tokens.critical
                };
                ui.label(RichText::new(readiness.summary()).color(colour));
                ui.end_row();
            }
        });
    ui.add_space(tokens.gap);
    ui.horizontal(|ui| {
        let can_check_in = bookings
            .iter()
            .any(|b| b.status == BookingStatus::Confirmed);
        if ui
            .add_enabled(
                can_check_in,
                egui::Button::new(RichText::new("Check in").size(tokens.heading_size * 1.3)),
            )
            .clicked()
        {
            send(commands, BookingCommand::CheckIn(looked_up.to_owned()));
        }
        let can_board = launch.status == crate::ops::bookings::LaunchStatus::Boarding
            && bookings
                .iter()
                .any(|b| b.status == BookingStatus::CheckedIn);
        if ui
            .add_enabled(
                can_board,
                egui::Button::new(RichText::new("Board").size(tokens.heading_size * 1.3)),
            )
            .on_disabled_hover_text("Boarding opens when the launch is set to boarding")
            .clicked()
        {
            send(commands, BookingCommand::Board(looked_up.to_owned()));
        }
    });
}
