//! The Commanding view: build a command from the dictionary (or type it, with completion),
//! checked as it is typed; confirm a hazardous one; the queue with priority, order, approval
//! and cancel; what is on its way and the history of every command with each stage.

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};
use galaxium_widgets::Tokens;

use crate::UiCommand;
use crate::format;
use crate::ops::commanding::{Command, PRIORITIES, queue_order};
use crate::ops::telemetry::{Telemetry, unix_seconds};
use galaxium_sync::commanding::{ArgumentKind, CommandDictionary, CommandSpec};
use galaxium_sync::schema::registry::Role;

/// What the user asks of the queue.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandingCommand {
    /// Queue the command typed (its text form).
    Queue {
        /// As typed: `LS.SCRUBBER_MODE mode=boost`.
        text: String,
        /// urgent, normal or routine.
        priority: String,
        /// The sender confirmed the hazard.
        hazard_confirmed: bool,
    },
    /// Approve a two-person command (its id).
    Approve(String),
    /// Cancel a waiting command.
    Cancel {
        /// The command.
        id: String,
        /// Why.
        why: String,
    },
    /// Move a waiting command one place earlier (`up`) or later.
    Move {
        /// The command.
        id: String,
        /// Earlier.
        up: bool,
    },
    /// Give a waiting command another priority.
    Priority {
        /// The command.
        id: String,
        /// The priority.
        priority: String,
    },
}

impl CommandingCommand {
    /// What it does, in words.
    pub fn label(&self) -> String {
        match self {
            Self::Queue { text, .. } => format!("Queue {text}"),
            Self::Approve(_) => "Approve a command".to_owned(),
            Self::Cancel { .. } => "Cancel a command".to_owned(),
            Self::Move { up: true, .. } => "Move a command earlier".to_owned(),
            Self::Move { up: false, .. } => "Move a command later".to_owned(),
            Self::Priority { priority, .. } => format!("Make a command {priority}"),
        }
    }
}

/// What the Commanding view remembers between frames.
#[derive(Debug, Clone)]
pub struct CommandingState {
    /// The command as typed.
    pub text: String,
    /// The priority it is queued at.
    pub priority: String,
    /// The hazard confirmation is open.
    pub confirming: bool,
    /// Why the last queueing was refused (shown beside the builder; the text stays).
    pub error: Option<String>,
    /// Why the last action on a queued command was refused, with the command's id.
    pub row_error: Option<(String, String)>,
    /// The reason typed for cancelling a command, with its id.
    pub cancelling: Option<(String, String)>,
}

impl Default for CommandingState {
    fn default() -> Self {
        Self {
            text: String::new(),
            priority: "normal".to_owned(),
            confirming: false,
            error: None,
            row_error: None,
            cancelling: None,
        }
    }
}

/// What the Commanding view draws from.
pub struct CommandingInput<'a> {
    /// The command dictionary, or why it cannot be read.
    pub dictionary: Result<&'a CommandDictionary, &'a str>,
    /// The queue and the history.
    pub commands: &'a [Command],
    /// The telemetry, for contacts and units (`None` when it did not start).
    pub telemetry: Option<&'a Telemetry>,
    /// Who is at the console and the role the dictionary judges.
    pub user: &'a str,
    /// That role.
    pub role: Role,
    /// This console's device id (it uplinks its own commands).
    pub device_id: &'a str,
    /// Colours and sizes.
    pub tokens: Tokens,
    /// Now on the mission clock.
    pub now: DateTime<Utc>,
}

/// Draws the Commanding view.
pub fn commanding_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    input: &CommandingInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.add_space(tokens.spacing);
    ui.horizontal_wrapped(|ui| {
        ui.heading("Commanding");
        ui.add_space(tokens.gap);
        let (words, color) = uplink_line(input);
        ui.label(RichText::new(words).color(color));
    });
    ui.add_space(tokens.spacing / 2.0);
    let dictionary = match input.dictionary {
        Ok(dictionary) => dictionary,
        Err(why) => {
            ui.label(
                RichText::new(format!(
                    "The command dictionary cannot be read, so no command can be built: {why}"
                ))
                .color(tokens.critical),
            );
            return;
        }
    };
    if ui.available_width() >= 980.0 {
        // Columns justify their widgets; buttons keep their own width here.
        let unjustified = egui::Layout::top_down(egui::Align::Min);
        ui.columns(2, |columns| {
            egui::ScrollArea::vertical()
                .id_salt("command_builder")
                .auto_shrink([false, false])
                .show(&mut columns[0], |ui| {
                    ui.with_layout(unjustified, |ui| {
                        builder_ui(ui, state, input, dictionary, commands);
                    });
                });
            egui::ScrollArea::vertical()
                .id_salt("command_queue")
                .auto_shrink([false, false])
                .show(&mut columns[1], |ui| {
                    ui.with_layout(unjustified, |ui| {
                        queue_ui(ui, state, input, dictionary, commands);
                        history_ui(ui, input);
                    });
                });
        });
    } else {
        egui::ScrollArea::vertical()
            .id_salt("commanding")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                builder_ui(ui, state, input, dictionary, commands);
                ui.separator();
                queue_ui(ui, state, input, dictionary, commands);
                history_ui(ui, input);
            });
    }
    confirmation_ui(ui, state, dictionary, tokens, commands);
}

/// Where the uplink stands: in contact (until LOS), waiting for AOS, or unable to send.
fn uplink_line(input: &CommandingInput<'_>) -> (String, Color32) {
    let tokens = input.tokens;
    let Some(tm) = input.telemetry else {
        return (
            "Telemetry did not start: commands cannot reach the vehicle".to_owned(),
            tokens.critical,
        );
    };
    if let Some(why) = tm.uplink_refusal() {
        return (format!("Commands cannot be sent: {why}"), tokens.caution);
    }
    let t = unix_seconds(input.now);
    let at = |t: f64| {
        #[allow(clippy::cast_possible_truncation, reason = "Unix seconds")]
        DateTime::from_timestamp(t as i64, 0).unwrap_or(input.now)
    };
    if tm.in_contact(t) {
        let los = tm
            .next_contact(t)
            .filter(|(aos, _)| *aos <= t)
            .map(|(_, los)| {
                format!(
                    " · LOS at {} (in {})",
                    format::utc_time(at(los)),
                    format::clock(at(los), input.now)
                )
            })
            .unwrap_or_default();
        (
            format!(
                "Uplink: in contact{los} · {} vehicle",
                tm.source_kind().label().to_lowercase()
            ),
            tokens.nominal,
        )
    } else {
        match tm.next_contact(t) {
            Some((aos, _)) => (
                format!(
                    "No contact: commands wait for AOS at {} (in {})",
                    format::utc_time(at(aos)),
                    format::clock(at(aos), input.now)
                ),
                tokens.caution,
            ),
            None => (
                "No contact, and no pass is predicted: commands wait in the queue".to_owned(),
                tokens.caution,
            ),
        }
    }
}

/// The arguments as typed after the command's name: by name (`mode=boost`) or by position.
fn typed_arguments(spec: &CommandSpec, text: &str) -> Vec<(String, String)> {
    let mut typed: Vec<(String, String)> = Vec::new();
    for (position, word) in text.split_whitespace().skip(1).enumerate() {
        let (name, value) = match word.split_once('=') {
            Some((name, value)) => (name.to_owned(), value.to_owned()),
            None => match spec.arguments.get(position) {
                Some(argument) => (argument.name.clone(), word.to_owned()),
                None => continue,
            },
        };
        typed.retain(|(n, _)| *n != name);
        typed.push((name, value));
    }
    typed
}

/// The text form with one argument's typed value replaced.
fn with_argument(spec: &CommandSpec, text: &str, name: &str, value: &str) -> String {
    let mut typed = typed_arguments(spec, text);
    typed.retain(|(n, _)| n != name);
    typed.push((name.to_owned(), value.to_owned()));
    let mut out = spec.name.clone();
    for argument in &spec.arguments {
        if let Some((_, value)) = typed.iter().find(|(n, _)| *n == argument.name)
            && !value.is_empty()
        {
            let _ = write!(out, " {}={value}", argument.name);
        }
    }
    out
}

fn builder_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    input: &CommandingInput<'_>,
    dictionary: &CommandDictionary,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    ui.label(RichText::new("New command").strong());
    let label = ui.label("Command");
    let edit = ui
        .add(
            egui::TextEdit::singleline(&mut state.text)
                .hint_text("PWR.BUS_B_ENABLE, or part of a name or what it does")
                .desired_width(f32::INFINITY)
                .font(egui::TextStyle::Monospace),
        )
        .labelled_by(label.id);
    if edit.changed() {
        state.error = None;
    }
    let first = state
        .text
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    let spec = dictionary.get(&first.to_uppercase());
    if spec.is_none() && !first.is_empty() {
        completion_ui(ui, state, dictionary, (&first, edit.has_focus()), tokens);
    }
    if state.text.trim().is_empty() {
        ui.label(
            RichText::new("Type a command's name, or pick one by subsystem below.")
                .color(tokens.text_muted),
        );
        pick_ui(ui, state, dictionary);
        return;
    }
    let Some(spec) = spec else {
        return;
    };
    spec_ui(ui, spec, input);
    let argument_problem = arguments_ui(ui, state, spec, tokens);
    let read = dictionary.read_text(&state.text);
    match &read {
        Ok(typed) => {
            ui.label(
                RichText::new(format!("Ready: {}", typed.spec.text_form(&typed.arguments)))
                    .monospace()
                    .color(tokens.nominal),
            );
        }
        // A problem with one argument is said beside its field already.
        Err(_) if argument_problem => {}
        Err(problem) => {
            ui.label(RichText::new(problem).color(tokens.caution));
        }
    }
    ui.horizontal_wrapped(|ui| {
        ui.label("Priority");
        for priority in PRIORITIES {
            ui.selectable_value(&mut state.priority, (*priority).to_owned(), *priority);
        }
    });
    let allowed = spec.allows(input.role);
    if !allowed {
        ui.label(
            RichText::new(format!(
                "You are signed in as {}: only {} may send {}.",
                input.role.as_str(),
                spec.roles_in_words(),
                spec.name
            ))
            .color(tokens.caution),
        );
    }
    let queue = ui
        .add_enabled(read.is_ok() && allowed, egui::Button::new("Queue command"))
        .on_hover_text(
            "Put the command in the queue; it goes to the vehicle in queue order while in contact",
        );
    if queue.clicked() {
        if spec.is_hazardous() {
            state.confirming = true;
        } else {
            commands.push(UiCommand::Commanding(CommandingCommand::Queue {
                text: state.text.clone(),
                priority: state.priority.clone(),
                hazard_confirmed: false,
            }));
        }
    }
    if let Some(error) = &state.error {
        ui.label(RichText::new(error).color(tokens.critical));
    }
}

/// The commands like what was typed, to take one; Tab takes the first.
fn completion_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    dictionary: &CommandDictionary,
    (first, focused): (&str, bool),
    tokens: Tokens,
) {
    let offers = dictionary.complete(first);
    if focused
        && ui.input_mut(|i| i.consume_key(egui::Modifiers::NONE, egui::Key::Tab))
        && let Some(offer) = offers.first()
    {
        state.text = format!("{} ", offer.name);
    }
    for offer in offers.iter().take(6) {
        let shown = format!("{} — {}", offer.name, offer.description);
        if ui
            .add(egui::Button::new(RichText::new(shown).monospace()).wrap())
            .on_hover_text("Take this command (Tab takes the first)")
            .clicked()
        {
            state.text = format!("{} ", offer.name);
            state.error = None;
        }
    }
    if offers.is_empty() {
        ui.label(
            RichText::new(format!("There is no command like {first:?}.")).color(tokens.critical),
        );
    }
}

/// Every command, by subsystem, to pick one without typing.
fn pick_ui(ui: &mut Ui, state: &mut CommandingState, dictionary: &CommandDictionary) {
    let mut subsystems: Vec<&str> = dictionary
        .commands
        .iter()
        .map(|c| c.subsystem.as_str())
        .collect();
    subsystems.dedup();
    for subsystem in subsystems {
        ui.label(RichText::new(subsystem.replace('_', " ")).small().strong());
        ui.horizontal_wrapped(|ui| {
            for spec in dictionary
                .commands
                .iter()
                .filter(|c| c.subsystem == subsystem)
            {
                if ui
                    .button(RichText::new(&spec.name).monospace())
                    .on_hover_text(&spec.description)
                    .clicked()
                {
                    state.text = format!("{} ", spec.name);
                }
            }
        });
    }
}

/// What the command does, who may send it, its hazard, approval and verifiers.
fn spec_ui(ui: &mut Ui, spec: &CommandSpec, input: &CommandingInput<'_>) {
    let tokens = input.tokens;
    egui::Frame::new()
        .fill(tokens.card)
        .corner_radius(tokens.corner_radius)
        .inner_margin(egui::Margin::same(8))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new(&spec.name).monospace().strong());
            ui.add(egui::Label::new(&spec.description).wrap());
            ui.label(
                RichText::new(format!("Sent by {}", spec.roles_in_words()))
                    .color(tokens.text_muted),
            );
            if let Some(hazard) = &spec.hazard {
                ui.add(
                    egui::Label::new(
                        RichText::new(format!("HAZARDOUS: {hazard}")).color(tokens.caution),
                    )
                    .wrap(),
                );
            }
            if spec.two_person {
                ui.label(
                    RichText::new("Two-person: another user must approve it before it is sent")
                        .color(tokens.caution),
                );
            }
            for verifier in &spec.verifiers {
                let unit = input
                    .telemetry
                    .and_then(|tm| tm.dictionary.get(&verifier.channel))
                    .map_or("", |c| c.unit.as_str());
                let when = verifier
                    .when
                    .as_ref()
                    .map(|(a, v)| format!(" (when {a} is {v})"))
                    .unwrap_or_default();
                ui.label(
                    RichText::new(format!(
                        "Verified by {} {} within {} s{when}",
                        verifier.channel,
                        verifier.condition.describe(unit),
                        verifier.within_s
                    ))
                    .small()
                    .color(tokens.text_muted),
                );
            }
        });
}

/// A field per argument, checked as it is typed; edits write the text form. Whether a
/// problem with an argument was shown beside it.
fn arguments_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    spec: &CommandSpec,
    tokens: Tokens,
) -> bool {
    let typed = typed_arguments(spec, &state.text);
    let mut shown = false;
    for argument in &spec.arguments {
        let current = typed
            .iter()
            .find(|(n, _)| *n == argument.name)
            .map_or(String::new(), |(_, v)| v.clone());
        let mut changed = None;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label(format!("{} ({})", argument.name, argument.description));
            match &argument.kind {
                ArgumentKind::Enum(values) => {
                    for value in values {
                        if ui.selectable_label(current == *value, value).clicked() {
                            changed = Some(value.clone());
                        }
                    }
                }
                ArgumentKind::Integer { .. } | ArgumentKind::Real { .. } => {
                    let mut text = current.clone();
                    if ui
                        .add(egui::TextEdit::singleline(&mut text).desired_width(80.0))
                        .labelled_by(label.id)
                        .changed()
                    {
                        changed = Some(text.trim().to_owned());
                    }
                    ui.label(
                        RichText::new(argument.expects())
                            .small()
                            .color(tokens.text_muted),
                    );
                }
            }
        });
        if !current.is_empty()
            && let Err(problem) = argument.read(&current)
        {
            ui.label(RichText::new(problem).color(tokens.caution));
            shown = true;
        }
        if let Some(value) = changed {
            state.text = with_argument(spec, &state.text, &argument.name, &value);
            state.error = None;
        }
    }
    shown
}

/// The confirmation a hazardous command needs: it states the hazard.
fn confirmation_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    dictionary: &CommandDictionary,
    tokens: Tokens,
    commands: &mut Vec<UiCommand>,
) {
    if !state.confirming {
        return;
    }
    let Ok(typed) = dictionary.read_text(&state.text) else {
        state.confirming = false;
        return;
    };
    let (spec, text) = (typed.spec, typed.spec.text_form(&typed.arguments));
    let modal =
        egui::Modal::new(egui::Id::unique("confirm_hazardous_command")).show(ui.ctx(), |ui| {
            ui.set_max_width(460.0);
            ui.heading("Confirm a hazardous command");
            ui.label(RichText::new(&text).monospace().strong());
            ui.add(
                egui::Label::new(
                    RichText::new(spec.hazard.as_deref().unwrap_or_default()).color(tokens.caution),
                )
                .wrap(),
            );
            if spec.two_person {
                ui.label("Once queued, it waits for another user's approval.");
            }
            ui.add_space(tokens.gap);
            ui.horizontal(|ui| {
                if ui.button("I understand the hazard: queue it").clicked() {
                    commands.push(UiCommand::Commanding(CommandingCommand::Queue {
                        text: state.text.clone(),
                        priority: state.priority.clone(),
                        hazard_confirmed: true,
                    }));
                    state.confirming = false;
                }
                if ui.button("Back").clicked() {
                    state.confirming = false;
                }
            });
        });
    if modal.should_close() {
        state.confirming = false;
    }
}

/// A waiting command's status in words, and whether it is ready to go.
fn waiting_words(
    command: &Command,
    spec: Option<&CommandSpec>,
    input: &CommandingInput<'_>,
) -> String {
    let two_person = spec.is_some_and(|s| s.two_person);
    if two_person && command.status == "queued" {
        return "waits for another user's approval".to_owned();
    }
    let approved = command
        .approved_by()
        .map(|by| format!("approved by {by}; "))
        .unwrap_or_default();
    if command.device_id != input.device_id {
        return format!("{approved}its own console uplinks it");
    }
    let Some(tm) = input.telemetry else {
        return format!("{approved}waits: telemetry did not start");
    };
    let t = unix_seconds(input.now);
    if tm.in_contact(t) {
        return format!("{approved}goes now");
    }
    match tm.next_contact(t) {
        Some((aos, _)) => {
            #[allow(clippy::cast_possible_truncation, reason = "Unix seconds")]
            let aos = DateTime::from_timestamp(aos as i64, 0).unwrap_or(input.now);
            format!(
                "{approved}waits for AOS at {} (in {})",
                format::utc_time(aos),
                format::clock(aos, input.now)
            )
        }
        None => format!("{approved}waits for contact (no pass predicted)"),
    }
}

fn queue_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    input: &CommandingInput<'_>,
    dictionary: &CommandDictionary,
    commands: &mut Vec<UiCommand>,
) {
    let tokens = input.tokens;
    let order = queue_order(input.commands);
    ui.label(RichText::new(format!("Queue ({})", order.len())).strong());
    if order.is_empty() {
        ui.label(RichText::new("No command waits.").color(tokens.text_muted));
    }
    for (place, command) in order.iter().enumerate() {
        let spec = dictionary.get(&command.name);
        egui::Frame::new()
            .fill(tokens.card)
            .corner_radius(tokens.corner_radius)
            .inner_margin(egui::Margin::same(6))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(format!("{}.", place + 1)).strong());
                    ui.label(RichText::new(command.text_form()).monospace().strong());
                    ui.label(RichText::new(command.priority.to_uppercase()).small());
                    if spec.is_some_and(CommandSpec::is_hazardous) {
                        ui.label(RichText::new("HAZARD").small().color(tokens.caution));
                    }
                    if spec.is_some_and(|s| s.two_person) {
                        ui.label(RichText::new("TWO-PERSON").small().color(tokens.caution));
                    }
                });
                ui.label(
                    RichText::new(format!(
                        "{} · queued by {} at {}",
                        waiting_words(command, spec, input),
                        command.queued_by,
                        format::parse_utc(&command.queued_at)
                            .map_or_else(String::new, format::utc_time)
                    ))
                    .color(tokens.text_muted),
                );
                row_actions_ui(ui, state, command, spec, input, commands);
                if let Some((id, error)) = &state.row_error
                    && *id == command.id
                {
                    ui.label(RichText::new(error).color(tokens.critical));
                }
            });
    }
}

fn row_actions_ui(
    ui: &mut Ui,
    state: &mut CommandingState,
    command: &Command,
    spec: Option<&CommandSpec>,
    input: &CommandingInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let allowed = spec.is_some_and(|s| s.allows(input.role));
    let id = command.id.clone();
    ui.horizontal_wrapped(|ui| {
        ui.add_enabled_ui(allowed, |ui| {
            if ui
                .small_button("Earlier")
                .on_hover_text("One place earlier among its priority's commands")
                .clicked()
            {
                commands.push(UiCommand::Commanding(CommandingCommand::Move {
                    id: id.clone(),
                    up: true,
                }));
            }
            if ui
                .small_button("Later")
                .on_hover_text("One place later among its priority's commands")
                .clicked()
            {
                commands.push(UiCommand::Commanding(CommandingCommand::Move {
                    id: id.clone(),
                    up: false,
                }));
            }
            let priority_label = ui.label("Priority");
            egui::ComboBox::from_id_salt(("priority", &id))
                .selected_text(&command.priority)
                .width(90.0)
                .show_ui(ui, |ui| {
                    for priority in PRIORITIES {
                        if ui
                            .selectable_label(command.priority == *priority, *priority)
                            .clicked()
                            && command.priority != *priority
                        {
                            commands.push(UiCommand::Commanding(CommandingCommand::Priority {
                                id: id.clone(),
                                priority: (*priority).to_owned(),
                            }));
                        }
                    }
                })
                .response
                .labelled_by(priority_label.id);
            let needs_approval = spec.is_some_and(|s| s.two_person) && command.status == "queued";
            if needs_approval {
                let own = command.queued_by == input.user;
                let approve = ui
                    .add_enabled(!own, egui::Button::new("Approve"))
                    .on_hover_text("Approve the command as the second person")
                    .on_disabled_hover_text("You queued it: another user must approve it");
                if approve.clicked() {
                    commands.push(UiCommand::Commanding(CommandingCommand::Approve(
                        id.clone(),
                    )));
                }
            }
            let cancelling = state.cancelling.as_ref().is_some_and(|(c, _)| *c == id);
            if !cancelling && ui.button("Cancel command").clicked() {
                state.cancelling = Some((id.clone(), String::new()));
            }
        });
    });
    if let Some((cancel_id, why)) = &mut state.cancelling
        && *cancel_id == id
    {
        let mut done = None;
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Why cancel");
            ui.add(egui::TextEdit::singleline(why).desired_width(200.0))
                .labelled_by(label.id);
            if ui.button("Cancel it").clicked() {
                done = Some(true);
            }
            if ui.button("Keep it").clicked() {
                done = Some(false);
            }
        });
        match done {
            Some(true) => {
                commands.push(UiCommand::Commanding(CommandingCommand::Cancel {
                    id: id.clone(),
                    why: why.clone(),
                }));
                state.cancelling = None;
            }
            Some(false) => state.cancelling = None,
            None => {}
        }
    }
}

fn stage_color(stage: &str, tokens: Tokens) -> Color32 {
    match stage {
        "verified" => tokens.nominal,
        "failed" => tokens.critical,
        "cancelled" => tokens.inactive,
        "released" | "sent" => tokens.accent,
        _ => tokens.text,
    }
}

/// Commands on their way and finished, newest first, each with every stage.
fn history_ui(ui: &mut Ui, input: &CommandingInput<'_>) {
    let tokens = input.tokens;
    ui.add_space(tokens.spacing);
    let done: Vec<&Command> = input.commands.iter().filter(|c| !c.waiting()).collect();
    ui.label(RichText::new(format!("History ({})", done.len())).strong());
    if done.is_empty() {
        ui.label(RichText::new("No command has been sent yet.").color(tokens.text_muted));
    }
    for command in done {
        let when = command
            .stages
            .last()
            .and_then(|s| format::parse_utc(&s.at))
            .map_or_else(String::new, format::utc_time);
        let header = RichText::new(format!(
            "{} · {} · {when}",
            command.status.to_uppercase(),
            command.text_form()
        ))
        .color(stage_color(&command.status, tokens));
        egui::CollapsingHeader::new(header)
            .id_salt(("history", &command.id))
            .default_open(command.in_progress() || command.status == "failed")
            .show(ui, |ui| {
                for stage in &command.stages {
                    let at =
                        format::parse_utc(&stage.at).map_or_else(String::new, format::utc_time);
                    let by = if stage.by.is_empty() {
                        String::new()
                    } else {
                        format!(" by {}", stage.by)
                    };
                    let detail = if stage.detail.is_empty() {
                        String::new()
                    } else {
                        format!(": {}", stage.detail)
                    };
                    ui.add(
                        egui::Label::new(
                            RichText::new(format!("{at} {}{by}{detail}", stage.stage))
                                .color(stage_color(&stage.stage, tokens)),
                        )
                        .wrap(),
                    );
                }
            });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_argument_edit_rewrites_the_text_form_by_name() {
        let dictionary = CommandDictionary::shipped().unwrap();
        let spec = dictionary.get("LS.SCRUBBER_MODE").unwrap();
        assert_eq!(
            with_argument(spec, "LS.SCRUBBER_MODE", "mode", "boost"),
            "LS.SCRUBBER_MODE mode=boost"
        );
        assert_eq!(
            with_argument(spec, "ls.scrubber_mode normal", "mode", "boost"),
            "LS.SCRUBBER_MODE mode=boost"
        );
        assert_eq!(
            typed_arguments(spec, "LS.SCRUBBER_MODE boost"),
            vec![("mode".to_owned(), "boost".to_owned())]
        );
    }
}
