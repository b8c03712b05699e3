//! The mission loop in the console: ticked every frame, its events turned into notices and
//! reads, the tone played, the Mission view with the user's layout, the alarm banner shown on
//! every screen, and the Mission view's alarm actions. The loop itself is
//! [`galaxium_ops::mission::MissionLoop`].

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};

use super::UiCommand;
use super::app::{ConsoleApp, Notice};
use crate::ops::mission::{MissionEvent, Said, TelemetryCommand, Wall};
use crate::ops::sync_agent::SyncRequest;
use crate::ops::telemetry::limits::Severity;
use crate::ops::telemetry::tone::TonePattern;
use crate::ops::telemetry::{Freshness, Telemetry};
use crate::tone::{ToneOutput, TonePlayer};
use crate::views::View;
use crate::views::mission::{severity_color, source_line};

impl From<Said> for Notice {
    fn from(said: Said) -> Self {
        match said {
            Said::Info(text) => Notice::info(text),
            Said::Problem(text) => Notice::error(text),
        }
    }
}

impl ConsoleApp {
    /// One turn of the mission loop: what it found shown, incidents it wrote read and synced,
    /// the tone it decided played.
    pub(super) fn tick_mission(&mut self) {
        let operator = self.operator_name();
        self.mission_loop.set_operator(&operator);
        let events = self
            .mission_loop
            .tick(&mut self.replica, &self.orbit_data, Wall::now());
        for event in events {
            match event {
                MissionEvent::IncidentsWritten { opened } => {
                    for (reference, title) in opened {
                        let words = format!("{reference} opened: {title}. See Incidents (Ctrl+8).");
                        // A drill's incident is news, not an emergency.
                        self.set_notice(if title.starts_with(crate::ops::incidents::DRILL_MARK) {
                            Notice::info(words)
                        } else {
                            Notice::error(words)
                        });
                    }
                    // A new snapshot may belong to the incident on screen.
                    self.incident_data.snapshot = None;
                    self.request_sync(SyncRequest::SyncNow);
                    self.refresh();
                }
                MissionEvent::Said(said) => self.set_notice(said.into()),
                MissionEvent::CommandsWritten => {
                    self.request_sync(SyncRequest::SyncNow);
                    self.refresh();
                }
            }
        }
        self.play_tone();
    }

    /// Plays the tone the loop decided, unless this console has no sound; the player starts
    /// with the first tone.
    fn play_tone(&mut self) {
        let wanted = self.mission_loop.tone_wanted();
        if wanted.is_some() && self.tone.sound && self.tone.player.is_none() {
            match TonePlayer::start() {
                Ok(player) => self.tone.player = Some(player),
                Err(err) => {
                    tracing::error!("the alarm tone cannot start: {err}");
                    self.tone.sound = false;
                }
            }
        }
        if let Some(player) = &mut self.tone.player {
            player.set(wanted);
        }
    }

    pub(super) fn mute_tone(&mut self, muted: bool) {
        let user = self.operator_name();
        let now = self.now();
        self.mission_loop.mute(muted, &user, now);
        self.play_tone();
    }

    /// The Mission view, or why there is none.
    pub(super) fn mission_view_ui(&mut self, ui: &mut Ui, now: DateTime<Utc>) {
        let tokens = self.tokens();
        self.load_mission_layout();
        self.screens.mission.clock_rate = self.mission_loop.clock().rate;
        if let Some((telemetry, contacts, scores)) = self.mission_loop.view_parts() {
            crate::views::mission::mission_ui(
                ui,
                &mut self.screens.mission,
                &mut crate::views::mission::MissionInput {
                    telemetry,
                    contacts,
                    tokens,
                    now,
                    scores,
                },
                &mut self.pending,
            );
        } else {
            ui.heading("Mission");
            let why = self
                .mission_loop
                .start_problem()
                .unwrap_or("no reason was given");
            ui.label(format!("Telemetry did not start: {why}."));
        }
        self.save_mission_layout();
    }

    /// The preference key of the signed-in user's Mission layout.
    fn layout_key(&self) -> String {
        format!("mission_layout.{}", self.operator_name())
    }

    /// Reads the user's Mission layout when the view first shows for them (a sign-in as
    /// someone else brings theirs). A layout that cannot be read gives way to the default.
    fn load_mission_layout(&mut self) {
        let key = self.layout_key();
        if self.screens.layout_loaded_for.as_deref() == Some(key.as_str()) {
            return;
        }
        let saved = self.replica.preference(&key).unwrap_or_else(|err| {
            tracing::warn!("the Mission layout cannot be read: {err}");
            None
        });
        let layout = saved.as_deref().and_then(|json| {
            let layout = crate::views::mission::layout_from_json(json);
            if layout.is_none() {
                tracing::warn!(
                    "the saved Mission layout for {key} is not usable; using the default"
                );
            }
            layout
        });
        self.screens.layout_saved = saved.filter(|_| layout.is_some());
        self.screens.mission.layout =
            Some(layout.unwrap_or_else(crate::views::mission::default_layout));
        self.screens.layout_loaded_for = Some(key);
    }

    /// Keeps the user's Mission layout whenever they changed it.
    fn save_mission_layout(&mut self) {
        let Some(layout) = &self.screens.mission.layout else {
            return;
        };
        let Ok(json) = serde_json::to_string(layout) else {
            return;
        };
        if self.screens.layout_saved.as_deref() == Some(json.as_str()) {
            return;
        }
        let key = self.layout_key();
        match self.replica.set_preference(&key, &json) {
            Ok(()) => self.screens.layout_saved = Some(json),
            Err(err) => {
                tracing::warn!("the Mission layout was not kept: {err}");
                // Not again every frame: the next change tries again.
                self.screens.layout_saved = Some(json);
            }
        }
    }

    pub(super) fn telemetry_command(&mut self, command: TelemetryCommand) {
        let user = self.operator_name();
        let exports = self.data_dir().exports();
        if let Some(said) =
            self.mission_loop
                .command(&self.replica, command, (&user, &exports), Wall::now())
        {
            self.set_notice(said.into());
        }
    }

    /// The trainees' expected responses as last scored (on the console playing a scenario).
    pub fn training_scores(&self) -> &[crate::ops::training::score::Scored] {
        self.mission_loop.scores()
    }

    /// The telemetry, when it started.
    pub fn telemetry(&self) -> Option<&Telemetry> {
        self.mission_loop.telemetry()
    }

    /// The telemetry, to feed or steer it (tests and drills inject values through it).
    pub fn telemetry_mut(&mut self) -> Option<&mut Telemetry> {
        self.mission_loop.telemetry_mut()
    }

    pub(super) fn acknowledge_alarm(&mut self, channel: &str, comment: &str) {
        let user = self.operator_name();
        let now = self.now();
        let (said, sync_now) =
            self.mission_loop
                .acknowledge(&mut self.replica, channel, comment, &user, now);
        if sync_now {
            // Other positions see it at the next sync; ask for that now.
            self.to_sync(SyncRequest::SyncNow);
        }
        self.set_notice(said.into());
    }

    pub(super) fn shelve_alarm(&mut self, channel: &str, minutes: i64) {
        let user = self.operator_name();
        let now = self.now();
        let said = self.mission_loop.shelve(channel, minutes, &user, now);
        self.set_notice(said.into());
    }

    /// The alarm strip under the top bar, on every screen: the worst alarm wanting
    /// acknowledgement and how many there are, or that all is quiet, and where the data
    /// comes from.
    pub(super) fn alarm_banner_ui(&mut self, ui: &mut Ui, now: DateTime<Utc>) {
        let tokens = self.tokens();
        let Some(tm) = self.mission_loop.telemetry() else {
            return;
        };
        let waiting: Vec<_> = tm
            .board()
            .alarms()
            .into_iter()
            .filter(|a| a.in_banner(now))
            .collect();
        let unacknowledged = waiting
            .iter()
            .filter(|a| a.state != crate::ops::telemetry::alarms::AlarmState::AckActive)
            .count();
        let worst = waiting.first().map_or(Severity::Normal, |a| a.severity);
        let drill_first = waiting.first().is_some_and(|a| a.drill);
        let feed = tm.feed_freshness(now);
        let fill = if waiting.is_empty() {
            tokens.panel
        } else if drill_first {
            tokens.training
        } else {
            severity_color(worst, tokens)
        };
        let text_color = match (waiting.is_empty(), feed) {
            (true, Freshness::Live) => tokens.text_muted,
            // Quiet only because nothing arrives is not quiet: said in the caution colour.
            (true, _) => tokens.caution,
            (false, _) => tokens.on_banner,
        };
        let (source, _) = source_line(tm, now);
        let headline = banner_headline(tm, &waiting, unacknowledged, feed);
        let mut open = false;
        let mut mute = None;
        let muted = self.mission_loop.tone_muted();
        let sounding = self.mission_loop.tone_wanted();
        let no_sound: Option<String> = match self.tone.player.as_ref().map(TonePlayer::output) {
            Some(ToneOutput::Unavailable(reason)) => Some(reason),
            _ if !self.tone.sound => Some("sound is off for this console".to_owned()),
            _ => None,
        };
        egui::Panel::top("alarm_banner")
            .frame(
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(egui::Margin::symmetric(10, 4)),
            )
            .show(ui, |ui| {
                // The controls and the source on the right keep their width; the alarm on the
                // left gives way, cut at its end (severity, channel and value come first) and
                // whole on hover, so the two never overlap on a narrow window.
                egui::Sides::new().shrink_left().truncate().show(
                    ui,
                    |ui| {
                        ui.label(RichText::new(&headline).strong().color(text_color))
                            .on_hover_text(&headline);
                    },
                    |ui| {
                        if !waiting.is_empty() {
                            open = ui.button("Open alarms").clicked();
                        }
                        mute = tone_controls_ui(
                            ui,
                            tokens,
                            text_color,
                            muted,
                            sounding,
                            no_sound.as_deref(),
                        );
                        ui.label(RichText::new(source).small().monospace().color(text_color));
                    },
                );
            });
        if open {
            self.send(UiCommand::ShowView(View::Mission));
        }
        if let Some(muted) = mute {
            self.send(UiCommand::MuteTone(muted));
        }
    }
}

/// The banner's words: the alarm to look at first and how many want acknowledging; with no
/// alarm, whether that is because all is well or because nothing arrives; a drill says so.
fn banner_headline(
    tm: &Telemetry,
    waiting: &[&crate::ops::telemetry::alarms::Alarm],
    unacknowledged: usize,
    feed: Freshness,
) -> String {
    let drill = if tm.drilling() {
        "DRILL RUNNING · "
    } else {
        ""
    };
    match waiting.first() {
        None => match feed.label() {
            None => format!("{drill}No alarms"),
            Some(words) => {
                format!("{drill}No alarms known · {words}: the values on screen are not current")
            }
        },
        Some(alarm) if alarm.what.is_some() => format!(
            "{}{} {}: {} · {} · {} alarm{}, {unacknowledged} unacknowledged",
            drill,
            alarm.severity.label(),
            alarm.channel,
            alarm.what.as_deref().unwrap_or_default(),
            // Nothing to clear: it waits only for its acknowledgement.
            "unacknowledged",
            waiting.len(),
            if waiting.len() == 1 { "" } else { "s" },
        ),
        Some(alarm) => {
            let unit = tm
                .dictionary
                .get(&alarm.channel)
                .map_or("", |c| c.unit.as_str());
            let breach = alarm.breach.map(|b| format!(" {b}")).unwrap_or_default();
            format!(
                "{}{} {} {:.3} {unit}{breach} · {} · {} alarm{}, {unacknowledged} unacknowledged",
                if alarm.drill { "DRILL · " } else { drill },
                alarm.severity.label(),
                alarm.channel,
                alarm.value,
                alarm.state.label(),
                waiting.len(),
                if waiting.len() == 1 { "" } else { "s" },
            )
        }
    }
}

/// The banner's tone controls: the mute badge while muted, otherwise *Mute tone* while a tone
/// sounds, and *no sound* when this console cannot make one. Returns a mute or unmute asked for.
fn tone_controls_ui(
    ui: &mut Ui,
    tokens: galaxium_widgets::Tokens,
    text_color: egui::Color32,
    muted: bool,
    sounding: Option<TonePattern>,
    no_sound: Option<&str>,
) -> Option<bool> {
    let mut mute = None;
    if muted {
        let badge = egui::Button::new(RichText::new("TONE MUTED").strong().color(tokens.on_banner))
            .fill(tokens.caution)
            .stroke(egui::Stroke::new(1.5, tokens.on_banner));
        if ui
            .add(badge)
            .on_hover_text(
                "The alarm tone is muted on this console; click to unmute. A new critical alarm sounds anyway.",
            )
            .clicked()
        {
            mute = Some(false);
        }
    } else if let Some(pattern) = sounding {
        if ui
            .button("Mute tone")
            .on_hover_text(format!(
                "The {} is sounding (Ctrl+Shift+M mutes)",
                pattern.label()
            ))
            .clicked()
        {
            mute = Some(true);
        }
        ui.label(RichText::new(pattern.label()).small().color(text_color));
    }
    if let (Some(reason), Some(_)) = (no_sound, sounding) {
        ui.label(RichText::new("no sound").small().color(text_color))
            .on_hover_text(reason);
    }
    mute
}
