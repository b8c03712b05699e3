//! The Mission view: where the data comes from and how old it is, mission elapsed time, the
//! key values, every alarm with acknowledge (with a comment) and shelve, the channels of each
//! subsystem with their limit state and time to limit, a plot of chosen channels with their
//! limit lines (live-follow, or paused to zoom into history), and the event log.

use chrono::{DateTime, Utc};
use egui::{Color32, RichText, Ui};
use egui_plot::{HLine, Legend, Line, LineStyle, Plot, PlotPoints};
use galaxium_widgets::Tokens;

use crate::UiCommand;
use crate::ops::orbit::StationPasses;
use crate::ops::telemetry::alarms::{Alarm, AlarmState};
use crate::ops::telemetry::dictionary::{Channel, Subsystem};
use crate::ops::telemetry::limits::Severity;
use crate::ops::telemetry::live::{LiveLink, LiveStatus};
use crate::ops::telemetry::{
    Freshness, GAP_AFTER_S, Reading, STALE_AFTER_S, SourceKind, Telemetry, archive, unix_seconds,
};

pub use crate::ops::mission::{DRILLS, TelemetryCommand};

/// The narrowest a key-value card gets: its value and unit stay on one line.
const KEY_CARD_MIN_WIDTH: f32 = 170.0;

/// How much the plot shows while following live data.
const LIVE_WINDOW_S: f64 = 600.0;

/// Archive points by channel, with the time range (Unix seconds) they were read for.
pub type ArchivedPoints = std::collections::HashMap<String, ((f64, f64), Vec<[f64; 2]>)>;

/// What the Mission view remembers between frames.
#[derive(Debug, Clone)]
pub struct MissionState {
    /// The subsystem whose channels are listed; `None` lists them all.
    pub subsystem: Option<Subsystem>,
    /// Text that filters the channel list.
    pub filter: String,
    /// Channels on the plot.
    pub plotted: Vec<String>,
    /// Whether the plot follows the newest data.
    pub follow: bool,
    /// The alarm being acknowledged and the comment typed for it.
    pub acknowledging: Option<(String, String)>,
    /// Text that filters the event log.
    pub log_filter: String,
    /// The recording path being typed, when choosing one.
    pub recording: Option<String>,
    /// Points read from the archive for plots reaching back past what memory holds, by
    /// channel, with the time range they cover.
    pub archived: ArchivedPoints,
    /// How the panels are arranged; `None` until the user's saved layout is read.
    pub layout: Option<egui_tiles::Tree<MissionPane>>,
    /// How fast the mission clock runs (set by the console each frame).
    pub clock_rate: f64,
}

/// One panel of the Mission view; the user arranges them (drag a tab to move it, drag a
/// border to resize) and the arrangement is kept per user.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum MissionPane {
    /// Alarms with acknowledge and shelve.
    Alarms,
    /// The searchable event log.
    EventLog,
    /// Each ground station's link.
    GroundStations,
    /// Key values with limit state and time to limit.
    KeyValues,
    /// Stacked plots.
    Plots,
    /// Every channel by subsystem.
    Channels,
}

impl MissionPane {
    /// Every panel.
    pub const ALL: [Self; 6] = [
        Self::Alarms,
        Self::EventLog,
        Self::GroundStations,
        Self::KeyValues,
        Self::Plots,
        Self::Channels,
    ];

    /// The panel's tab title.
    pub fn title(self) -> &'static str {
        match self {
            Self::Alarms => "Alarms",
            Self::EventLog => "Event log",
            Self::GroundStations => "Ground stations",
            Self::KeyValues => "Key values",
            Self::Plots => "Plots",
            Self::Channels => "Channels",
        }
    }
}

/// The arrangement a new user starts with: alarms, ground stations and the log on the left;
/// key values, plots and channels on the right.
pub fn default_layout() -> egui_tiles::Tree<MissionPane> {
    use egui_tiles::{Container, Tile, Tiles};
    let mut tiles = Tiles::default();
    let column = |tiles: &mut Tiles<MissionPane>, panes: &[(MissionPane, f32)]| {
        let ids: Vec<_> = panes
            .iter()
            .map(|(pane, _)| {
                let pane = tiles.insert_pane(*pane);
                tiles.insert_tab_tile(vec![pane])
            })
            .collect();
        let column = tiles.insert_vertical_tile(ids.clone());
        if let Some(Tile::Container(Container::Linear(linear))) = tiles.get_mut(column) {
            for (id, (_, share)) in ids.iter().zip(panes) {
                linear.shares.set_share(*id, *share);
            }
        }
        column
    };
    let left = column(
        &mut tiles,
        &[
            (MissionPane::Alarms, 1.1),
            (MissionPane::GroundStations, 0.7),
            (MissionPane::EventLog, 1.0),
        ],
    );
    let right = column(
        &mut tiles,
        &[
            // Tall enough for two rows of key values at the default window size (1360 × 860).
            (MissionPane::KeyValues, 1.25),
            (MissionPane::Plots, 1.3),
            (MissionPane::Channels, 0.8),
        ],
    );
    let root = tiles.insert_horizontal_tile(vec![left, right]);
    if let Some(Tile::Container(Container::Linear(linear))) = tiles.get_mut(root) {
        linear.shares.set_share(left, 0.36);
        linear.shares.set_share(right, 0.64);
    }
    egui_tiles::Tree::new(egui::Id::unique("mission_layout"), root, tiles)
}

/// A saved layout, if it reads and holds every panel once (a layout from an older console
/// that lacks a newer panel is not used).
pub fn layout_from_json(json: &str) -> Option<egui_tiles::Tree<MissionPane>> {
    let tree: egui_tiles::Tree<MissionPane> = serde_json::from_str(json).ok()?;
    let mut seen: Vec<MissionPane> = tree
        .tiles
        .tiles()
        .filter_map(|tile| match tile {
            egui_tiles::Tile::Pane(pane) => Some(*pane),
            egui_tiles::Tile::Container(_) => None,
        })
        .collect();
    seen.sort_by_key(|p| MissionPane::ALL.iter().position(|q| q == p));
    (seen == MissionPane::ALL).then_some(tree)
}

impl Default for MissionState {
    fn default() -> Self {
        Self {
            subsystem: Some(Subsystem::LifeSupport),
            filter: String::new(),
            plotted: vec!["ls.ppco2".into(), "ls.cabin_pressure".into()],
            follow: true,
            acknowledging: None,
            log_filter: String::new(),
            recording: None,
            archived: std::collections::HashMap::new(),
            layout: None,
            clock_rate: 1.0,
        }
    }
}

/// The colour of a limit state.
pub fn severity_color(severity: Severity, tokens: Tokens) -> Color32 {
    match severity {
        Severity::Normal => tokens.nominal,
        Severity::Watch => tokens.accent,
        Severity::Warning => tokens.caution,
        Severity::Critical => tokens.critical,
    }
}

/// `SIMULATED · 0.4 s ago`, or `STALE` with the age, for every screen that shows telemetry.
pub fn source_line(telemetry: &Telemetry, now: DateTime<Utc>) -> (String, bool) {
    let kind = telemetry.source_kind().label();
    let (line, stale) = match telemetry.age_s(now) {
        Some(age) if age > STALE_AFTER_S => {
            (format!("{kind} · STALE, last data {age:.0} s ago"), true)
        }
        Some(age) => (format!("{kind} · data {age:.1} s old"), false),
        None => (format!("{kind} · no data yet"), true),
    };
    match telemetry.live_status().map(|s| s.link) {
        None | Some(LiveLink::Connected { .. }) => (line, stale),
        Some(LiveLink::Connecting) => (format!("{line} · connecting"), true),
        Some(LiveLink::Retrying { .. }) => (format!("{line} · link down, reconnecting"), true),
        Some(LiveLink::Refused { .. }) => (format!("{line} · refused by the server"), true),
    }
}

/// The live link in words, for the source row.
fn live_link_text(status: &LiveStatus, now: DateTime<Utc>) -> (String, bool) {
    let mut text = match &status.link {
        LiveLink::Connecting => format!("connecting to {}", status.server),
        LiveLink::Connected { since } => format!(
            "connected to {} since {} · {} points",
            status.server,
            since.format("%H:%M:%S"),
            status.points
        ),
        LiveLink::Retrying {
            attempt,
            next_at,
            reason,
        } => format!(
            "{reason} · try {} in {} s",
            attempt + 1,
            (*next_at - now).num_seconds().max(0)
        ),
        LiveLink::Refused { reason } => format!("{reason} · choose Live feed again once signed in"),
    };
    if let Some(session) = &status.session {
        let short: String = session.chars().take(8).collect();
        let rate = status.clock.map_or(1.0, |c| c.rate);
        text = format!("training session {short} · mission clock x{rate} · {text}");
    }
    if !status.unknown_channels.is_empty() {
        let names: Vec<&str> = status.unknown_channels.iter().map(String::as_str).collect();
        text = format!(
            "{text} · not in the dictionary, dropped: {}",
            names.join(", ")
        );
    }
    let trouble = !matches!(status.link, LiveLink::Connected { .. });
    (text, trouble)
}

/// A hosted training session's posting in words, and whether it needs a look.
fn hosted_text(status: &crate::ops::training::session::HostStatus) -> (String, bool) {
    let short: String = status.session.chars().take(8).collect();
    let mut parts = vec![format!(
        "hosting training session {short} · {} points sent to the trainees",
        status.posted
    )];
    if status.held > 0 {
        parts.push(format!("{} waiting for the server", status.held));
    }
    if status.dropped > 0 {
        parts.push(format!(
            "{} dropped (the server was away too long)",
            status.dropped
        ));
    }
    if let Some(problem) = &status.problem {
        parts.push(problem.clone());
    }
    (
        parts.join(" · "),
        status.problem.is_some() || status.dropped > 0,
    )
}

/// "T+01:02:03", or "T-00:05:00" before the start.
fn met(seconds: f64) -> String {
    let sign = if seconds < -0.5 { '-' } else { '+' };
    #[allow(clippy::cast_possible_truncation, reason = "mission seconds")]
    let s = seconds.abs().round() as i64;
    let (d, h, m, sec) = (s / 86_400, (s / 3600) % 24, (s / 60) % 60, s % 60);
    if d > 0 {
        format!("T{sign}{d}d {h:02}:{m:02}:{sec:02}")
    } else {
        format!("T{sign}{h:02}:{m:02}:{sec:02}")
    }
}

/// A duration as "01:02:03".
fn hms(seconds: f64) -> String {
    met(seconds).trim_start_matches("T+").to_owned()
}

/// How a channel's reading looks wherever a value is shown: the value, the words beside it,
/// and their colour. Only a live value takes its limit state's colour; no data, a stale value
/// and a value nobody expects (loss of signal) are grey with their word, and a stale value
/// still says what state it was in; a drill's value is in the exercise colour and says DRILL.
pub fn reading_look(reading: Reading, unit: &str, tokens: Tokens) -> (String, String, Color32) {
    let value = reading
        .value
        .map_or_else(|| "—".to_owned(), |v| value_text(v, unit));
    let (words, color) = match reading.freshness.label() {
        None => (
            reading.severity.label().to_owned(),
            severity_color(reading.severity, tokens),
        ),
        Some(words) if matches!(reading.freshness, Freshness::Stale { .. }) => (
            format!("{words} · was {}", reading.severity.label()),
            tokens.inactive,
        ),
        Some(words) => (words, tokens.inactive),
    };
    if reading.drill {
        return (value, format!("DRILL · {words}"), tokens.training);
    }
    (value, words, color)
}

/// How far back the trend for time-to-limit looks.
const TREND_WINDOW_S: f64 = 900.0;
/// Time-to-limit is shown when the limit is nearer than this.
const TREND_HORIZON_S: f64 = 2.0 * 3600.0;

fn value_text(value: f64, unit: &str) -> String {
    let digits = if value.abs() >= 100.0 {
        1
    } else if value.abs() >= 1.0 {
        2
    } else {
        3
    };
    format!("{value:.digits$} {unit}")
}

/// What the Mission view draws from.
pub struct MissionInput<'a> {
    /// The telemetry (mutable for a recording's controls).
    pub telemetry: &'a mut Telemetry,
    /// Each ground station's predicted contacts with the crewed vehicle.
    pub contacts: &'a [StationPasses],
    /// Colours and sizes.
    pub tokens: Tokens,
    /// This frame's time.
    pub now: DateTime<Utc>,
    /// A training scenario's expected responses, scored so far (empty outside training).
    pub scores: &'a [crate::ops::training::score::Scored],
}

/// Draws the Mission view.
pub fn mission_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    input: &mut MissionInput<'_>,
    commands: &mut Vec<UiCommand>,
) {
    let (tokens, now, contacts) = (input.tokens, input.now, input.contacts);
    let telemetry = &mut *input.telemetry;
    ui.add_space(tokens.spacing);
    // Wrapped: on a narrow window the facts take two lines rather than push the panels below
    // them past the window's edge.
    ui.horizontal_wrapped(|ui| {
        header_ui(ui, telemetry, tokens, now);
        ui.add_space(tokens.gap);
        if ui
            .button("Reset layout")
            .on_hover_text(
                "Put the panels back where they start. Drag a panel's tab to move it, its border to resize it; the arrangement is kept for you.",
            )
            .clicked()
        {
            state.layout = Some(default_layout());
        }
    });
    source_ui(ui, state, telemetry, tokens, now, commands);
    if telemetry.training().is_some() {
        scores_ui(ui, input.scores, tokens);
    }
    ui.add_space(tokens.spacing);
    let telemetry: &Telemetry = telemetry;

    let mut layout = state.layout.take().unwrap_or_else(default_layout);
    let mut panels = Panels {
        state,
        telemetry,
        contacts,
        tokens,
        now,
        commands,
    };
    layout.ui(&mut panels, ui);
    panels.state.layout = Some(layout);
}

/// Draws the Mission panels inside the user's arrangement.
struct Panels<'a> {
    state: &'a mut MissionState,
    telemetry: &'a Telemetry,
    contacts: &'a [StationPasses],
    tokens: Tokens,
    now: DateTime<Utc>,
    commands: &'a mut Vec<UiCommand>,
}

impl egui_tiles::Behavior<MissionPane> for Panels<'_> {
    fn pane_ui(
        &mut self,
        ui: &mut Ui,
        _tile_id: egui_tiles::TileId,
        pane: &mut MissionPane,
    ) -> egui_tiles::UiResponse {
        let (state, telemetry, tokens, now) =
            (&mut *self.state, self.telemetry, self.tokens, self.now);
        // The plots share the pane's height; the other panels scroll.
        let pane_height = ui.available_height() - 12.0;
        egui::Frame::new()
            .inner_margin(egui::Margin::same(6))
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt(pane.title())
                    .auto_shrink([false, false])
                    .show(ui, |ui| match pane {
                        MissionPane::Alarms => {
                            alarms_ui(ui, state, telemetry, tokens, now, self.commands);
                        }
                        MissionPane::EventLog => log_ui(ui, state, telemetry, tokens, now),
                        MissionPane::GroundStations => stations_ui(ui, self.contacts, tokens, now),
                        MissionPane::KeyValues => key_values_ui(ui, telemetry, tokens, now),
                        MissionPane::Plots => {
                            plot_ui(ui, state, telemetry, tokens, now, pane_height);
                        }
                        MissionPane::Channels => channels_ui(ui, state, telemetry, tokens, now),
                    });
            });
        egui_tiles::UiResponse::None
    }

    fn tab_title_for_pane(&mut self, pane: &MissionPane) -> egui::WidgetText {
        pane.title().into()
    }

    fn simplification_options(&self) -> egui_tiles::SimplificationOptions {
        // Every panel keeps a tab: its title, and the handle to drag it by.
        egui_tiles::SimplificationOptions {
            all_panes_must_have_tabs: true,
            ..egui_tiles::SimplificationOptions::default()
        }
    }

    fn tab_bar_color(&self, _visuals: &egui::Visuals) -> Color32 {
        self.tokens.panel
    }
}

fn header_ui(ui: &mut Ui, telemetry: &Telemetry, tokens: Tokens, now: DateTime<Utc>) {
    {
        ui.heading("Mission");
        ui.add_space(tokens.gap);
        let (source, stale) = source_line(telemetry, now);
        ui.label(RichText::new(source).monospace().color(if stale {
            tokens.caution
        } else {
            tokens.text_muted
        }));
        if let Some(start) = telemetry.mission_start() {
            ui.add_space(tokens.gap);
            ui.label(
                RichText::new(format!("MET {}", met(unix_seconds(now) - start)))
                    .monospace()
                    .strong(),
            );
        }
        // The simulator models the on-orbit phase; recorded and live data do not say theirs.
        if telemetry.source_kind() == SourceKind::Simulated {
            ui.add_space(tokens.gap);
            ui.label("Phase: on orbit");
        }
        if let Some(archive) = telemetry.archive() {
            let status = archive.status();
            let written = status.written.load(std::sync::atomic::Ordering::Relaxed);
            let error = status.error.lock().ok().and_then(|e| e.clone());
            ui.add_space(tokens.gap);
            match error {
                Some(error) => ui.label(
                    RichText::new(format!("Archive: not writing ({error})")).color(tokens.caution),
                ),
                None => ui.label(
                    RichText::new(format!("Archive: {written} samples")).color(tokens.text_muted),
                ),
            }
            .on_hover_text("Samples are kept in the replica file for history (the last 24 hours)");
        }
        let (count, worst) = telemetry.board().unacknowledged();
        ui.add_space(tokens.gap);
        let active = telemetry.board().alarms().len();
        ui.label(
            RichText::new(format!(
                "{active} alarm{}, {count} unacknowledged",
                if active == 1 { "" } else { "s" }
            ))
            .color(if count > 0 {
                severity_color(worst, tokens)
            } else {
                tokens.text_muted
            }),
        );
    }
}

/// The source row: switch between the simulator and a recording; a recording's controls.
#[allow(
    clippy::too_many_lines,
    reason = "one row of controls per kind of source, read top to bottom"
)]
fn source_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    telemetry: &mut Telemetry,
    tokens: Tokens,
    now: DateTime<Utc>,
    commands: &mut Vec<UiCommand>,
) {
    let send = |commands: &mut Vec<UiCommand>, c| commands.push(UiCommand::Telemetry(c));
    let kind = telemetry.source_kind();
    let origin = telemetry.mission_start().unwrap_or(0.0);
    ui.horizontal(|ui| {
        ui.label(RichText::new("Source").color(tokens.text_muted));
        if ui
            .selectable_label(kind == SourceKind::Simulated, "Simulator")
            .on_hover_text(
                "The built-in simulator: the demo mission, driven by the crewed vehicle's orbit",
            )
            .clicked()
            && kind != SourceKind::Simulated
        {
            send(commands, TelemetryCommand::UseSimulator);
        }
        if ui
            .selectable_label(kind == SourceKind::Live, "Live feed")
            .on_hover_text(
                "Follow the central server's live telemetry with this console's sign-in (Sync screen)",
            )
            .clicked()
        {
            send(commands, TelemetryCommand::FollowLive);
        }
        if ui
            .selectable_label(kind == SourceKind::Playback, "Recording…")
            .on_hover_text("Play back a recorded CSV file (time,channel,value)")
            .clicked()
        {
            state.recording.get_or_insert_with(String::new);
        }
        if let Some(path) = &mut state.recording {
            let label = ui.label("File");
            ui.add(
                egui::TextEdit::singleline(path)
                    .hint_text("path to a recording (.csv)")
                    .desired_width(320.0),
            )
            .labelled_by(label.id);
            let ready = !path.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new("Play")).clicked() {
                send(
                    commands,
                    TelemetryCommand::PlayRecording(path.trim().to_owned()),
                );
                state.recording = None;
            } else if ui.button("Cancel").clicked() {
                state.recording = None;
            }
        }
        if kind == SourceKind::Simulated {
            ui.separator();
            drill_ui(ui, telemetry.drilling(), commands);
        }

        let wall = unix_seconds(now);
        if let Some(status) = telemetry.live_status() {
            ui.separator();
            let (text, trouble) = live_link_text(&status, now);
            let color = if trouble { tokens.caution } else { tokens.text_muted };
            ui.add(egui::Label::new(RichText::new(text).color(color)).wrap());
        }
        if let Some(playback) = telemetry.playback() {
            ui.separator();
            let paused = playback.paused();
            if ui.button(if paused { "Resume" } else { "Pause" }).clicked() {
                send(commands, TelemetryCommand::Pause(!paused));
            }
            let speed = playback.speed();
            let label = ui.label("Speed");
            egui::ComboBox::from_id_salt("playback_speed")
                .selected_text(format!("{speed}×"))
                .show_ui(ui, |ui| {
                    for choice in [0.5, 1.0, 2.0, 5.0, 10.0, 60.0] {
                        if ui
                            .selectable_label((speed - choice).abs() < 1e-9, format!("{choice}×"))
                            .clicked()
                        {
                            send(commands, TelemetryCommand::Speed(choice));
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            let (start, end) = playback.span();
            let mut at = playback.position(wall).min(end);
            let seek = ui
                .add(
                    egui::Slider::new(&mut at, start..=end)
                        .custom_formatter(move |v, _| met(v - origin))
                        .text("position"),
                )
                .on_hover_text(playback.name().to_owned());
            if seek.drag_stopped() || (seek.changed() && !seek.dragged()) {
                send(commands, TelemetryCommand::Seek(at));
            }
            if playback.finished() {
                ui.label(RichText::new("end of the recording").color(tokens.caution));
            }
        }
    });
    // The trainer's controls get a row of their own, and a hosted session a line.
    if let Some(status) = telemetry.hosted_status() {
        let (text, trouble) = hosted_text(&status);
        ui.label(RichText::new(text).color(if trouble {
            tokens.caution
        } else {
            tokens.text_muted
        }));
    }
    if let Some(training) = telemetry.training() {
        ui.horizontal_wrapped(|ui| {
            trainer_ui(
                ui,
                training,
                tokens,
                (unix_seconds(now), state.clock_rate),
                commands,
            );
        });
    }
}

/// The trainer's controls: the scenario, its clock, pause and resume, the next event, the
/// mission clock's rate. The buttons come first so they stay put as the texts change.
fn trainer_ui(
    ui: &mut Ui,
    training: &crate::ops::training::source::ScenarioSource,
    tokens: Tokens,
    (wall, rate): (f64, f64),
    commands: &mut Vec<UiCommand>,
) {
    let elapsed = training.elapsed_s(wall);
    ui.label(
        RichText::new(format!(
            "Scenario: {} · {}",
            training.scenario().title,
            met(elapsed)
        ))
        .strong()
        .color(tokens.training),
    );
    let paused = training.paused();
    if ui
        .button(if paused {
            "Resume scenario"
        } else {
            "Pause scenario"
        })
        .clicked()
    {
        commands.push(UiCommand::Telemetry(TelemetryCommand::TrainingPause(
            !paused,
        )));
    }
    let next = training.next_event(wall);
    if ui
        .add_enabled(next.is_some(), egui::Button::new("Next event now"))
        .clicked()
    {
        commands.push(UiCommand::Telemetry(TelemetryCommand::TrainingNext));
    }
    jump_ui(ui, training, wall, commands);
    clock_ui(ui, rate, commands);
    if ui
        .button("Export debrief")
        .on_hover_text(
            "One HTML page: the events injected, the trainees' responses and times, and plots",
        )
        .clicked()
    {
        commands.push(UiCommand::Telemetry(TelemetryCommand::TrainingDebrief));
    }
    let upcoming = match next {
        Some(event) => format!("next {}: {}", met(event.at_s), event.note),
        None if training.finished(wall) => "scenario over".to_owned(),
        None => "no more events".to_owned(),
    };
    ui.label(RichText::new(upcoming).color(tokens.text_muted));
}

/// The trainer's jump to any event still to come (those before it fire with it).
fn jump_ui(
    ui: &mut Ui,
    training: &crate::ops::training::source::ScenarioSource,
    wall: f64,
    commands: &mut Vec<UiCommand>,
) {
    let elapsed = training.elapsed_s(wall);
    let upcoming: Vec<(usize, String)> = training
        .scenario()
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.at_s > elapsed)
        .map(|(i, e)| (i, format!("{}: {}", met(e.at_s), e.note)))
        .collect();
    ui.add_enabled_ui(!upcoming.is_empty(), |ui| {
        egui::ComboBox::from_id_salt("scenario_jump")
            .selected_text("Jump to…")
            .width(90.0)
            .show_ui(ui, |ui| {
                for (index, text) in upcoming {
                    if ui.selectable_label(false, text).clicked() {
                        commands.push(UiCommand::Telemetry(TelemetryCommand::TrainingJump(index)));
                    }
                }
            })
            .response
            .on_hover_text("Move the scenario on to an event; the events before it fire with it");
    });
}

/// The rates a trainer may run the mission clock at.
const CLOCK_RATES: [f64; 6] = [1.0, 2.0, 5.0, 10.0, 30.0, 60.0];

/// The trainer's mission-clock speed.
fn clock_ui(ui: &mut Ui, rate: f64, commands: &mut Vec<UiCommand>) {
    let label = ui.label("Mission clock");
    egui::ComboBox::from_id_salt("mission_clock_rate")
        .selected_text(format!("x{rate}"))
        .show_ui(ui, |ui| {
            for choice in CLOCK_RATES {
                if ui
                    .selectable_label((choice - rate).abs() < f64::EPSILON, format!("x{choice}"))
                    .clicked()
                {
                    commands.push(UiCommand::Telemetry(TelemetryCommand::TrainingSpeed(
                        choice,
                    )));
                }
            }
        })
        .response
        .on_hover_text("Telemetry, alarms, plots, the scenario and its scoring all run on this clock; trainees joined to the session follow it")
        .labelled_by(label.id);
}

/// The trainees' expected responses so far: a line each, met, late, missed or pending.
fn scores_ui(ui: &mut Ui, scores: &[crate::ops::training::score::Scored], tokens: Tokens) {
    use crate::ops::training::score::Outcome;
    if scores.is_empty() {
        return;
    }
    let points: f64 = scores.iter().map(|s| s.outcome.points()).sum();
    egui::CollapsingHeader::new(format!("Responses: {points:.1} of {} points", scores.len()))
        .id_salt("training_scores")
        .show(ui, |ui| {
            for scored in scores {
                let (word, color) = match scored.outcome {
                    Outcome::Met(s) => (format!("met in {s:.0} s"), tokens.nominal),
                    Outcome::Late(s) => (format!("late, {s:.0} s"), tokens.caution),
                    Outcome::Missed => ("missed".to_owned(), tokens.critical),
                    Outcome::Pending(left) => (format!("{left:.0} s left"), tokens.text_muted),
                };
                ui.horizontal_wrapped(|ui| {
                    ui.label(RichText::new(word).strong().color(color));
                    ui.label(scored.describe());
                    ui.label(
                        RichText::new(format!("({})", scored.event))
                            .small()
                            .color(tokens.text_muted),
                    );
                });
            }
        });
}

/// The simulator's drill menu: start one of [`DRILLS`], or end them.
fn drill_ui(ui: &mut Ui, drilling: bool, commands: &mut Vec<UiCommand>) {
    let label = ui.label("Drill");
    egui::ComboBox::from_id_salt("drill_fault")
        .selected_text(if drilling {
            "DRILL RUNNING"
        } else {
            "start a drill…"
        })
        .show_ui(ui, |ui| {
            for (i, drill) in DRILLS.iter().enumerate() {
                let moves: Vec<String> = drill
                    .moves
                    .iter()
                    .map(|(channel, to, per_s)| format!("{channel} toward {to} at {per_s}/s"))
                    .collect();
                if ui
                    .selectable_label(false, drill.name)
                    .on_hover_text(format!(
                        "Moves {} in the simulator. Everything it causes is marked DRILL and \
                         stays on this console.",
                        moves.join(", ")
                    ))
                    .clicked()
                {
                    commands.push(UiCommand::Telemetry(TelemetryCommand::Drill(Some(i))));
                }
            }
            if ui.selectable_label(false, "End the drills").clicked() {
                commands.push(UiCommand::Telemetry(TelemetryCommand::Drill(None)));
            }
        })
        .response
        .labelled_by(label.id);
}

fn key_values_ui(ui: &mut Ui, telemetry: &Telemetry, tokens: Tokens, now: DateTime<Utc>) {
    let keys: Vec<(usize, &Channel)> = telemetry
        .dictionary
        .channels
        .iter()
        .enumerate()
        .filter(|(_, c)| c.key)
        .collect();
    // As many cards to a row as fit at a width that holds the value on one line.
    let per_row = crate::cards_per_row(ui, KEY_CARD_MIN_WIDTH, 4);
    for row in keys.chunks(per_row) {
        ui.columns(per_row, |columns| {
            for (ui, (index, channel)) in columns.iter_mut().zip(row) {
                let look = reading_look(telemetry.reading(*index, now), &channel.unit, tokens);
                tokens.card_frame().show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    // Not justified: a justified column would spread a wrapped value's
                    // letters across the card ("8 8 . 0 0").
                    ui.with_layout(egui::Layout::top_down(egui::Align::Min), |ui| {
                        key_value_card_ui(ui, telemetry, *index, channel, look, tokens);
                    });
                });
            }
        });
    }
}

/// One key value: what it is, its value, and its state (with the time to its limit when the
/// trend reaches one soon).
fn key_value_card_ui(
    ui: &mut Ui,
    telemetry: &Telemetry,
    index: usize,
    channel: &Channel,
    (value, state, color): (String, String, Color32),
    tokens: Tokens,
) {
    ui.add(
        egui::Label::new(RichText::new(&channel.description).color(tokens.text_muted)).truncate(),
    );
    ui.label(
        RichText::new(value)
            .size(tokens.heading_size * 0.9)
            .monospace()
            .color(color),
    );
    let mut note = state;
    if let Some((seconds, limit)) = telemetry.time_to_limit(index, TREND_WINDOW_S)
        && seconds < TREND_HORIZON_S
    {
        note = format!("{note} · {limit} {} in {}", channel.unit, hms(seconds));
    }
    ui.label(RichText::new(note).small().color(color));
}

/// The width a ground station's line needs: name, link state, next contact.
const STATION_ROW_WIDTH: f32 = 560.0;

/// Each ground station's link with the crewed vehicle: in contact (with the time to LOS and
/// the elevation now) or the next contact.
fn stations_ui(ui: &mut Ui, contacts: &[StationPasses], tokens: Tokens, now: DateTime<Utc>) {
    if contacts.is_empty() {
        ui.label(
            RichText::new("No predictions: no crewed vehicle's element set or no ground stations.")
                .color(tokens.text_muted),
        );
        return;
    }
    // A station to a line where the panel is wide enough, its contact under its name where
    // it is not: the times must never be cut off at the panel's edge.
    let wide = ui.available_width() >= STATION_ROW_WIDTH;
    for station in contacts {
        let (status, detail) = match (station.current(now), station.next(now)) {
            (Some(pass), _) => (
                RichText::new("LINK UP").strong().color(tokens.nominal),
                RichText::new(format!(
                    "LOS in {}, max {:.1}°",
                    hms((pass.los - now).num_milliseconds() as f64 / 1000.0),
                    pass.max_elevation_deg
                )),
            ),
            (None, Some(pass)) => (
                RichText::new("no link").color(tokens.text_muted),
                RichText::new(format!(
                    "next AOS {} (in {}), max {:.1}°",
                    pass.aos.format("%H:%M:%S UTC"),
                    hms((pass.aos - now).num_milliseconds() as f64 / 1000.0),
                    pass.max_elevation_deg
                )),
            ),
            (None, None) => (
                RichText::new("no link").color(tokens.text_muted),
                RichText::new("no contact in 24 h").color(tokens.text_muted),
            ),
        };
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(&station.station.name).strong());
            ui.label(status);
            if wide {
                ui.label(detail.clone());
            }
        });
        if !wide {
            ui.add(egui::Label::new(detail).wrap());
        }
        ui.add_space(tokens.spacing / 2.0);
    }
}

fn alarm_line(alarm: &Alarm, telemetry: &Telemetry) -> String {
    let unit = telemetry
        .dictionary
        .get(&alarm.channel)
        .map_or("", |c| c.unit.as_str());
    if let Some(what) = &alarm.what {
        return format!("{} {}: {what}", alarm.severity.label(), alarm.channel);
    }
    let breach = alarm.breach.map(|b| format!(", {b}")).unwrap_or_default();
    format!(
        "{} {} {}{breach}",
        alarm.severity.label(),
        alarm.channel,
        value_text(alarm.value, unit)
    )
}

fn alarms_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    telemetry: &Telemetry,
    tokens: Tokens,
    now: DateTime<Utc>,
    commands: &mut Vec<UiCommand>,
) {
    let alarms = telemetry.board().alarms();
    if alarms.is_empty() {
        ui.label(RichText::new("No alarms.").color(tokens.text_muted));
    }
    for alarm in alarms {
        let color = if alarm.drill {
            tokens.training
        } else {
            severity_color(alarm.severity, tokens)
        };
        // Wanting acknowledgement is loud (a filled card, a heavy edge, a badge); acknowledged
        // and still out of limits is quiet but there (a thin edge); cleared and latched is
        // grey until someone acknowledges it.
        let (fill, stroke, badge) = match alarm.state {
            AlarmState::UnackActive => (color.gamma_multiply(0.22), 2.5, "UNACKNOWLEDGED"),
            AlarmState::AckActive => (
                Color32::TRANSPARENT,
                1.0,
                "ACKNOWLEDGED · still out of limits",
            ),
            AlarmState::UnackCleared => (
                Color32::TRANSPARENT,
                1.5,
                "CLEARED · back in limits, acknowledge to remove",
            ),
        };
        tokens
            .card_frame()
            .fill(fill)
            .stroke(egui::Stroke::new(stroke, color))
            .show(ui, |ui| {
                ui.set_width(ui.available_width());
                ui.horizontal_wrapped(|ui| {
                    if alarm.drill {
                        ui.label(
                            RichText::new(" DRILL ")
                                .strong()
                                .color(tokens.on_banner)
                                .background_color(tokens.training),
                        );
                    }
                    let badge = RichText::new(badge).small().strong();
                    ui.label(if alarm.state == AlarmState::UnackActive {
                        badge.color(tokens.on_banner).background_color(color)
                    } else {
                        badge.color(tokens.text_muted)
                    });
                });
                ui.label(
                    RichText::new(alarm_line(alarm, telemetry))
                        .color(if alarm.state == AlarmState::UnackCleared {
                            tokens.text_muted
                        } else {
                            color
                        })
                        .strong(),
                );
                let mut status = format!("raised {}", alarm.raised_at.format("%H:%M:%S UTC"));
                if let Some(until) = alarm.shelved_until.filter(|u| *u > now) {
                    status = format!("{status} · shelved until {}", until.format("%H:%M UTC"));
                }
                if let Some((who, comment)) = &alarm.acknowledged {
                    status = format!("{status} · acknowledged by {who}: {comment}");
                }
                ui.label(RichText::new(status).small().color(tokens.text_muted));
                let acknowledging = state
                    .acknowledging
                    .as_ref()
                    .is_some_and(|(channel, _)| channel == &alarm.channel);
                if acknowledging {
                    acknowledge_form_ui(ui, state, &alarm.channel, commands);
                } else {
                    // Wrapped: on a narrow panel the buttons go to a second line, never cut.
                    ui.horizontal_wrapped(|ui| {
                        if alarm.state != AlarmState::AckActive
                            && ui
                                .button(format!("Acknowledge {}", alarm.channel))
                                .clicked()
                        {
                            state.acknowledging = Some((alarm.channel.clone(), String::new()));
                        }
                        if ui
                            .button("Shelve 30 min")
                            .on_hover_text(
                                "Out of the banner for 30 minutes; it comes back by itself",
                            )
                            .clicked()
                        {
                            commands.push(UiCommand::ShelveAlarm {
                                channel: alarm.channel.clone(),
                                minutes: 30,
                            });
                        }
                        if ui.button("Plot").clicked() && !state.plotted.contains(&alarm.channel) {
                            state.plotted.push(alarm.channel.clone());
                        }
                    });
                }
            });
        ui.add_space(tokens.spacing / 2.0);
    }
}

/// The comment field and the button that acknowledges `channel`'s alarm with it.
fn acknowledge_form_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    channel: &str,
    commands: &mut Vec<UiCommand>,
) {
    let mut send = false;
    let mut cancel = false;
    if let Some((_, comment)) = &mut state.acknowledging {
        let label = ui.label("Comment (logged with the acknowledgement)");
        let field = ui
            .add(
                egui::TextEdit::singleline(comment)
                    .hint_text("what was done or why")
                    .desired_width(f32::INFINITY),
            )
            .labelled_by(label.id);
        let entered = (field.has_focus() || field.lost_focus())
            && ui.input(|i| i.key_pressed(egui::Key::Enter));
        ui.horizontal(|ui| {
            let ready = !comment.trim().is_empty();
            send = ui
                .add_enabled(ready, egui::Button::new("Acknowledge with comment"))
                .clicked()
                || (entered && ready);
            cancel = ui.button("Cancel").clicked();
        });
        if send {
            commands.push(UiCommand::AcknowledgeAlarm {
                channel: channel.to_owned(),
                comment: comment.trim().to_owned(),
            });
        }
    }
    if send || cancel {
        state.acknowledging = None;
    }
}

fn log_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    telemetry: &Telemetry,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    let label = ui.label("Search the log");
    ui.add(
        egui::TextEdit::singleline(&mut state.log_filter)
            .hint_text("channel, word or operator")
            .desired_width(f32::INFINITY),
    )
    .labelled_by(label.id);
    let filter = state.log_filter.to_lowercase();
    let mut shown = 0;
    for event in telemetry.board().log().iter().rev() {
        // An event of an earlier day (kept from an earlier run) says which day.
        let at = if event.at.date_naive() == now.date_naive() {
            event.at.format("%H:%M:%S").to_string()
        } else {
            event.at.format("%Y-%m-%d %H:%M:%S").to_string()
        };
        let line = [
            at.as_str(),
            if event.drill { "DRILL" } else { "" },
            event.channel.as_str(),
            event.what.as_str(),
        ]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
        if !filter.is_empty() && !line.to_lowercase().contains(&filter) {
            continue;
        }
        ui.label(
            RichText::new(line)
                .small()
                .monospace()
                .color(if event.drill {
                    tokens.training
                } else {
                    severity_color(event.severity, tokens)
                }),
        );
        shown += 1;
        if shown >= 200 {
            ui.label(RichText::new("Older events: narrow the search.").small());
            break;
        }
    }
    if shown == 0 {
        ui.label(RichText::new("Nothing logged yet.").color(tokens.text_muted));
    }
}

fn plot_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    telemetry: &Telemetry,
    tokens: Tokens,
    now: DateTime<Utc>,
    pane_height: f32,
) {
    let top = ui.cursor().top();
    ui.horizontal(|ui| {
        ui.label(RichText::new("Plot").strong());
        ui.checkbox(&mut state.follow, "Follow live")
            .on_hover_text("Off: drag and scroll the plot to look back over the history");
        let mut remove = None;
        for (i, id) in state.plotted.iter().enumerate() {
            if ui
                .small_button(format!("{id} ×"))
                .on_hover_text("Take it off the plot")
                .clicked()
            {
                remove = Some(i);
            }
        }
        if let Some(i) = remove {
            state.plotted.remove(i);
        }
    });
    let origin = telemetry
        .mission_start()
        .unwrap_or_else(|| unix_seconds(now));
    let now_x = unix_seconds(now) - origin;
    let follow = state.follow;
    let plotted: Vec<(usize, &Channel)> = state
        .plotted
        .iter()
        .filter_map(|id| {
            telemetry
                .index_of(id)
                .map(|i| (i, &telemetry.dictionary.channels[i]))
        })
        .collect();
    let colors = [
        tokens.accent,
        tokens.caution,
        tokens.training,
        tokens.nominal,
    ];
    #[allow(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "pixels"
    )]
    let buckets = (ui.available_width() as usize).max(100);
    // The plots fill what the pane has left under the controls (and above the note), each at
    // least tall enough to read.
    let used = ui.cursor().top() - top;
    #[allow(clippy::cast_precision_loss, reason = "a handful of plots")]
    let plot_height = ((pane_height - used - 24.0) / plotted.len().max(1) as f32).max(90.0);
    // One plot per channel, each with its own scale, all on one linked time axis.
    let group = egui::Id::unique("mission_plots");
    for (n, (index, channel)) in plotted.iter().enumerate() {
        let view = PlotView {
            origin,
            now_x,
            follow,
            buckets,
            group,
            color: colors[n % colors.len()],
            time_axis: n + 1 == plotted.len(),
            height: plot_height,
        };
        channel_plot_ui(
            ui,
            telemetry,
            *index,
            channel,
            &view,
            &mut state.archived,
            tokens,
        );
    }
    if plotted.is_empty() {
        ui.label("Nothing plotted: pick channels with \"plot\" in the list below.");
    }
    ui.label(
        RichText::new(
            "Time is mission elapsed time, shared by the plots. Dashed lines are the warning \
             (amber) and critical (red) limits.",
        )
        .small()
        .color(tokens.text_muted),
    );
}

/// `points` (in time order) cut where two neighbours stand more than `gap` apart in time.
pub fn split_at_gaps(points: &[[f64; 2]], gap: f64) -> Vec<&[[f64; 2]]> {
    let mut segments = Vec::new();
    let mut start = 0;
    for i in 1..points.len() {
        if points[i][0] - points[i - 1][0] > gap {
            segments.push(&points[start..i]);
            start = i;
        }
    }
    if start < points.len() {
        segments.push(&points[start..]);
    }
    segments
}

/// How the stacked plots look at time.
struct PlotView {
    origin: f64,
    now_x: f64,
    follow: bool,
    buckets: usize,
    group: egui::Id,
    color: Color32,
    /// Only the bottom plot labels the time axis.
    time_axis: bool,
    /// Each plot's height.
    height: f32,
}

/// One channel's plot, with its limit lines, on the shared time axis.
fn channel_plot_ui(
    ui: &mut Ui,
    telemetry: &Telemetry,
    index: usize,
    channel: &Channel,
    view: &PlotView,
    archived: &mut ArchivedPoints,
    tokens: Tokens,
) {
    let PlotView {
        origin,
        now_x,
        follow,
        buckets,
        group,
        color,
        time_axis,
        height,
    } = *view;
    Plot::new(("mission_plot", channel.id.as_str()))
        .height(height)
        .link_axis(group, [true, false])
        .link_cursor(group, [true, false])
        .legend(Legend::default())
        .allow_drag([!follow, false])
        .allow_zoom([!follow, false])
        .allow_scroll([!follow, false])
        .x_axis_formatter(move |mark, _| {
            if time_axis {
                met(mark.value)
            } else {
                String::new()
            }
        })
        .y_axis_min_width(64.0)
        .show(ui, |plot| {
            let (x0, x1) = if follow {
                // A young mission fills the plot instead of sitting at its right edge.
                ((now_x - LIVE_WINDOW_S).max(-5.0).min(now_x - 30.0), now_x)
            } else {
                let b = plot.plot_bounds();
                (b.min()[0], b.max()[0])
            };
            let series = telemetry.series(index);
            let mut points: Vec<[f64; 2]> = Vec::new();
            // Before what memory holds, the archive has it (read once per range shown).
            let held_from = series.first_time().unwrap_or(f64::INFINITY);
            if let Some(archive) = telemetry.archive().filter(|_| x0 + origin < held_from) {
                let want = (x0 + origin, (x1 + origin).min(held_from));
                let fresh = archived.get(&channel.id).is_some_and(|(range, _)| {
                    let tolerance = (want.1 - want.0).abs() * 0.01;
                    (range.0 - want.0).abs() <= tolerance && (range.1 - want.1).abs() <= tolerance
                });
                if !fresh {
                    let read =
                        archive::history(archive.path(), &channel.id, want.0, want.1, buckets)
                            .unwrap_or_else(|err| {
                                tracing::warn!("archive history of {}: {err}", channel.id);
                                Vec::new()
                            });
                    archived.insert(channel.id.clone(), (want, read));
                }
                if let Some((_, read)) = archived.get(&channel.id) {
                    points.extend(
                        read.iter()
                            .filter(|p| p[0] < held_from)
                            .map(|[t, v]| [t - origin, *v]),
                    );
                }
            }
            points.extend(
                series
                    .decimated(x0 + origin, x1 + origin, buckets)
                    .into_iter()
                    .map(|[t, v]| [t - origin, v]),
            );
            // A gap in the data stays a gap: no line is drawn across it. A decimated range's
            // points may stand up to two buckets apart without a gap between them.
            #[allow(clippy::cast_precision_loss, reason = "a bucket count")]
            let bucket_s = (x1 - x0) / buckets.max(1) as f64;
            let name = format!("{} ({})", channel.id, channel.unit);
            for segment in split_at_gaps(&points, GAP_AFTER_S.max(2.5 * bucket_s)) {
                plot.line(
                    Line::new(name.as_str(), PlotPoints::from(segment.to_vec()))
                        .color(color)
                        .width(1.5),
                );
            }
            let l = &channel.limits;
            for (limit, severity) in [
                (l.warning.low, Severity::Warning),
                (l.warning.high, Severity::Warning),
                (l.critical.low, Severity::Critical),
                (l.critical.high, Severity::Critical),
            ] {
                if let Some(y) = limit {
                    plot.hline(
                        HLine::new("", y)
                            .color(severity_color(severity, tokens).gamma_multiply(0.8))
                            .style(LineStyle::dashed_loose()),
                    );
                }
            }
            if follow {
                plot.set_plot_bounds_x(x0..=x1);
                plot.set_auto_bounds([false, true]);
            }
        });
}

fn channels_ui(
    ui: &mut Ui,
    state: &mut MissionState,
    telemetry: &Telemetry,
    tokens: Tokens,
    now: DateTime<Utc>,
) {
    ui.horizontal_wrapped(|ui| {
        if ui
            .selectable_label(state.subsystem.is_none(), "All")
            .clicked()
        {
            state.subsystem = None;
        }
        for subsystem in Subsystem::ALL {
            if ui
                .selectable_label(state.subsystem == Some(subsystem), subsystem.title())
                .clicked()
            {
                state.subsystem = Some(subsystem);
            }
        }
        let label = ui.label("Filter");
        ui.add(egui::TextEdit::singleline(&mut state.filter).desired_width(140.0))
            .labelled_by(label.id);
    });
    let filter = state.filter.to_lowercase();
    // The plot toggle first, so it is never the column cut off; on a narrow panel the limits
    // and the trend move into the value's hover text.
    let wide = ui.available_width() >= CHANNELS_WIDE_WIDTH;
    let headings: &[&str] = if wide {
        &["", "Channel", "Value", "State", "Warning limits", "Trend"]
    } else {
        &["", "Channel", "Value", "State"]
    };
    egui::Grid::new("channels")
        .striped(true)
        .num_columns(headings.len())
        .spacing([tokens.gap, tokens.spacing / 2.0])
        .show(ui, |ui| {
            for heading in headings {
                ui.label(RichText::new(*heading).color(tokens.text_muted));
            }
            ui.end_row();
            for (index, channel) in telemetry.dictionary.channels.iter().enumerate() {
                if state.subsystem.is_some_and(|s| s != channel.subsystem) {
                    continue;
                }
                if !filter.is_empty()
                    && !format!("{} {}", channel.id, channel.description)
                        .to_lowercase()
                        .contains(&filter)
                {
                    continue;
                }
                let plotted = state.plotted.contains(&channel.id);
                if ui.selectable_label(plotted, "plot").clicked() {
                    if plotted {
                        state.plotted.retain(|id| id != &channel.id);
                    } else {
                        state.plotted.push(channel.id.clone());
                    }
                }
                let (value, state_words, color) =
                    reading_look(telemetry.reading(index, now), &channel.unit, tokens);
                ui.label(&channel.id).on_hover_text(&channel.description);
                let band = channel.limits.warning;
                let limits = format!(
                    "{} … {}",
                    band.low.map_or("—".to_owned(), |v| v.to_string()),
                    band.high.map_or("—".to_owned(), |v| v.to_string())
                );
                let trend = telemetry
                    .time_to_limit(index, TREND_WINDOW_S)
                    .filter(|(s, _)| *s < TREND_HORIZON_S)
                    .map(|(s, limit)| format!("{limit} in {}", hms(s)))
                    .unwrap_or_default();
                let value = ui.label(RichText::new(value).monospace().color(color));
                if !wide {
                    value.on_hover_text(format!(
                        "Warning limits {limits} {}. {trend}",
                        channel.unit
                    ));
                }
                ui.label(RichText::new(state_words).color(color));
                if wide {
                    ui.label(RichText::new(limits).monospace().small());
                    ui.label(RichText::new(trend).small());
                }
                ui.end_row();
            }
        });
}

/// The width the channel table needs for its limits and trend columns.
const CHANNELS_WIDE_WIDTH: f32 = 640.0;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gap_in_the_data_is_not_joined() {
        let points = [[0.0, 1.0], [1.0, 1.0], [2.0, 1.0], [40.0, 5.0], [41.0, 5.0]];
        let segments = split_at_gaps(&points, 5.0);
        assert_eq!(segments, vec![&points[..3], &points[3..]]);
        assert!(split_at_gaps(&[], 5.0).is_empty());
    }

    #[test]
    fn no_data_and_stale_values_never_look_normal_and_a_drill_says_so() {
        let tokens = Tokens::of(galaxium_widgets::tokens::Theme::Dark);
        let no_data = Reading {
            value: None,
            freshness: Freshness::NoData,
            severity: Severity::Normal,
            drill: false,
        };
        let (value, words, color) = reading_look(no_data, "kPa", tokens);
        assert_eq!((value.as_str(), words.as_str()), ("—", "NO DATA"));
        assert_eq!(color, tokens.inactive);
        let stale = Reading {
            value: Some(101.3),
            freshness: Freshness::Stale { age_s: 40.0 },
            severity: Severity::Critical,
            drill: false,
        };
        let (_, words, color) = reading_look(stale, "kPa", tokens);
        assert_eq!(words, "STALE 40 s · was CRITICAL");
        assert_eq!(color, tokens.inactive);
        let live = Reading {
            freshness: Freshness::Live,
            ..stale
        };
        assert_eq!(reading_look(live, "kPa", tokens).2, tokens.critical);
        let drill = Reading {
            drill: true,
            ..live
        };
        let (_, words, color) = reading_look(drill, "kPa", tokens);
        assert_eq!(words, "DRILL · CRITICAL");
        assert_eq!(color, tokens.training);
    }

    #[test]
    fn mission_time_reads_as_days_hours_minutes_seconds() {
        assert_eq!(met(3723.4), "T+01:02:03");
        assert_eq!(met(2.0 * 86_400.0 + 5.0), "T+2d 00:00:05");
        assert_eq!(met(-5.0), "T-00:00:05");
    }

    #[test]
    fn a_paused_plot_reaching_back_past_memory_reads_the_archive() {
        use crate::ops::telemetry::archive::Archive;
        use crate::ops::telemetry::dictionary::Dictionary;
        use crate::ops::telemetry::playback::Playback;
        use crate::ops::telemetry::{Sample, Telemetry};

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("replica.sqlite");
        galaxium_sync::Replica::open(&path, &galaxium_sync::OpenOptions::default()).unwrap();
        let dictionary = Dictionary::shipped(&[]).unwrap();
        let names: Vec<String> = dictionary.channels.iter().map(|c| c.id.clone()).collect();
        let index = dictionary
            .channels
            .iter()
            .position(|c| c.id == "ls.ppco2")
            .unwrap();
        // 100 samples recorded; memory keeps only the last 10.
        let samples: Vec<Sample> = (0..100)
            .map(|k| Sample {
                channel: index,
                t: 1000.0 + f64::from(k),
                value: 0.3,
            })
            .collect();
        let mut tm =
            Telemetry::with_history(dictionary, Box::new(Playback::new("rec", samples)), 10);
        tm.attach_archive(Archive::start(&path, &names).unwrap());
        let later = DateTime::<Utc>::from_timestamp(10_000_000, 0).unwrap();
        tm.tick(later);
        tm.playback().unwrap().seek(1000.0, 0.0);
        tm.tick(DateTime::<Utc>::from_timestamp(20_000_000, 0).unwrap());
        tm.archive().unwrap().flush();
        assert_eq!(tm.series(index).len(), 10);

        let mut state = MissionState {
            plotted: vec!["ls.ppco2".into()],
            follow: false,
            ..MissionState::default()
        };
        let ctx = egui::Context::default();
        let mut commands = Vec::new();
        for _ in 0..3 {
            let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
                mission_ui(
                    ui,
                    &mut state,
                    &mut MissionInput {
                        telemetry: &mut tm,
                        contacts: &[],
                        tokens: Tokens::of(galaxium_widgets::Theme::Dark),
                        now: later,
                        scores: &[],
                    },
                    &mut commands,
                );
            });
            // Headless: nobody uploads the font textures.
            output.textures_delta.clear();
        }
        let (range, points) = state.archived.get("ls.ppco2").unwrap();
        assert!(range.1 <= 1090.0 + 1e-9, "{range:?}");
        assert!(points.len() >= 2, "{points:?}");
        assert!(points.iter().all(|p| p[0] < 1090.0));
    }

    #[test]
    fn values_keep_three_significant_places_or_so() {
        assert_eq!(value_text(101.3456, "kPa"), "101.3 kPa");
        assert_eq!(value_text(21.345, "kPa"), "21.34 kPa");
        assert_eq!(value_text(0.3217, "kPa"), "0.322 kPa");
    }
}
