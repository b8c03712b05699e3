//! Telemetry in the console: started with the console, ticked every frame, its environment
//! taken from the crewed vehicle's orbit, the alarm banner shown on every screen, and the
//! Mission view's alarm actions.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use egui::{RichText, Ui};

use super::UiCommand;
use super::app::{ConsoleApp, Notice};
use crate::ops::telemetry::archive::Archive;
use crate::ops::telemetry::dictionary::Dictionary;
use crate::ops::telemetry::limits::Severity;
use crate::ops::telemetry::live::LiveSource;
use crate::ops::telemetry::playback::Playback;
use crate::ops::telemetry::sim::Simulator;
use crate::ops::telemetry::tone::TonePattern;
use crate::ops::telemetry::{self, Telemetry, environment_from_orbit, unix_seconds};
use crate::ops::training::session::HostedSource;
use crate::tone::{ToneOutput, TonePlayer};
use crate::views::View;
use crate::views::mission::{TelemetryCommand, severity_color, source_line};

/// The simulator's seed: the same demo mission on every console.
const SIMULATOR_SEED: u64 = 2026;

/// How often the orbit's sunlight and contacts are predicted again.
const ENVIRONMENT_EVERY: std::time::Duration = std::time::Duration::from_mins(10);

impl ConsoleApp {
    /// Telemetry from the built-in simulator, with crew channels for the crewed vehicle's
    /// seats (or, on a training sandbox prepared with a scenario, the scenario played); the
    /// reason if the dictionary or the scenario cannot be read.
    pub(super) fn start_telemetry(replica: &galaxium_sync::Replica) -> Result<Telemetry, String> {
        let scenario =
            crate::ops::training::prepared_scenario(replica).map_err(|e| e.to_string())?;
        let link = replica.training_link().map_err(|e| e.to_string())?;
        // A kept sign-in that still works (the training commands keep one).
        let token = replica
            .sign_in()
            .map_err(|e| e.to_string())?
            .filter(|s| s.is_valid_at(Utc::now()))
            .map(|s| s.token)
            .unwrap_or_default();
        let (dictionary, source): (Dictionary, Box<dyn telemetry::TelemetrySource>) =
            match (scenario, link) {
                // A trainee's console joined to a session follows the trainer's telemetry
                // (without a sign-in the feed says so, and Follow live starts it again).
                (_, Some(link)) if !link.hosting => {
                    let scenario = crate::ops::training::scenario_by_id(&link.scenario)
                        .map_err(|e| e.to_string())?;
                    let dictionary =
                        Dictionary::shipped(&scenario.seats()).map_err(|e| e.to_string())?;
                    let live =
                        LiveSource::start(&link.server, Some(&link.session), &token, &dictionary)
                            .map_err(|e| format!("the session's feed cannot start: {e}"))?;
                    (dictionary, Box::new(live))
                }
                // A training replica prepared with a scenario plays it, and posts it to its
                // session when it hosts one.
                (Some(scenario), link) => {
                    let dictionary =
                        Dictionary::shipped(&scenario.seats()).map_err(|e| e.to_string())?;
                    let source = crate::ops::training::source::ScenarioSource::new(
                        scenario,
                        dictionary.clone(),
                        Utc::now(),
                    );
                    let source: Box<dyn telemetry::TelemetrySource> = match link {
                        Some(link) => Box::new(
                            HostedSource::start(source, &link.server, &link.session, &token)
                                .map_err(|e| e.to_string())?,
                        ),
                        None => Box::new(source),
                    };
                    (dictionary, source)
                }
                (None, _) => {
                    let seats = telemetry::crewed_seats(replica).map_err(|e| e.to_string())?;
                    let dictionary = Dictionary::shipped(&seats).map_err(|e| e.to_string())?;
                    let simulator = Simulator::new(&dictionary, Utc::now(), SIMULATOR_SEED);
                    (dictionary, Box::new(simulator))
                }
            };
        let names: Vec<String> = dictionary.channels.iter().map(|c| c.id.clone()).collect();
        let mut telemetry = Telemetry::new(dictionary, source);
        // Without an archive the console still shows live data (the last 24 hours stay in
        // memory); the reason is logged.
        match Archive::start(replica.path(), &names) {
            Ok(archive) => telemetry.attach_archive(archive),
            Err(err) => tracing::error!("telemetry archive cannot start: {err}"),
        }
        Ok(telemetry)
    }

    /// Takes in what the source has, after predicting the environment again when due.
    pub(super) fn tick_telemetry(&mut self, now: DateTime<Utc>) {
        let due = self
            .environment_at
            .is_none_or(|at| at.elapsed() >= ENVIRONMENT_EVERY);
        if due {
            self.environment_at = Some(Instant::now());
            let crewed = self
                .orbit_data()
                .objects
                .iter()
                .find(|o| o.vehicle.is_some())
                .and_then(|o| o.satellite.as_ref().ok())
                .cloned();
            let stations = self.orbit_data().stations.clone();
            if let (Some(satellite), Some(tm)) = (crewed, self.telemetry.as_mut()) {
                match environment_from_orbit(&satellite, &stations, now) {
                    Ok(environment) => tm.set_environment(&environment),
                    Err(err) => tracing::warn!("orbit environment for telemetry: {err:#}"),
                }
                // Each station's contacts, for the comms panel.
                self.station_contacts = crate::ops::orbit::station_passes(
                    &satellite,
                    &stations,
                    now - Duration::minutes(15),
                    24,
                )
                .unwrap_or_else(|err| {
                    tracing::warn!("ground-station contacts: {err:#}");
                    Vec::new()
                });
            }
        }
        if let Some(tm) = self.telemetry.as_mut() {
            tm.tick(now);
        }
        self.take_acknowledgements_from_elsewhere();
        self.detect_incidents(now);
        self.score_training(now);
        self.sound_tone(now);
    }

    /// Scores the trainees' responses, once a second while a scenario plays.
    fn score_training(&mut self, now: DateTime<Utc>) {
        if self
            .scored_at
            .is_some_and(|at| at.elapsed() < std::time::Duration::from_secs(1))
        {
            return;
        }
        self.scored_at = Some(Instant::now());
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        let Some(fired) = tm.training().map(|t| t.fired().to_vec()) else {
            return;
        };
        // A scrub in the scenario is played on the sandbox's own launches.
        for (event, _) in fired.iter().skip(self.training_seen) {
            if let crate::ops::training::scenario::Action::Scrub { reason } = &event.action {
                match crate::ops::training::play_scrub(&mut self.replica, now) {
                    Ok(Some(scrub)) => {
                        tm.board_mut().note(
                            now,
                            format!("scenario: {} scrubbed: {reason}", scrub.mission),
                        );
                        self.notice = Some(Notice::error(format!(
                            "{} is scrubbed: {reason}. {} passengers need another launch.",
                            scrub.mission,
                            scrub.passengers.len()
                        )));
                        self.training_scrub = Some(scrub);
                    }
                    Ok(None) => tracing::warn!("the scenario's scrub found no launch to scrub"),
                    Err(err) => tracing::error!("the scenario's scrub failed: {err}"),
                }
            }
        }
        self.training_seen = fired.len();
        let rebooked_at = self.training_scrub.as_ref().and_then(|scrub| {
            crate::ops::training::rebooked_at(&self.replica, scrub)
                .ok()
                .flatten()
        });
        let details: Vec<_> = self
            .incident_list
            .iter()
            .filter_map(|i| {
                crate::ops::incidents::detail(&self.replica, &i.id)
                    .ok()
                    .flatten()
            })
            .collect();
        let acknowledged: Vec<(String, f64)> =
            crate::ops::telemetry::acks::every(&self.replica, "")
                .unwrap_or_else(|err| {
                    tracing::warn!("alarm acknowledgements for scoring: {err}");
                    Vec::new()
                })
                .into_iter()
                .filter_map(|a| {
                    chrono::DateTime::parse_from_rfc3339(&a.at)
                        .ok()
                        .map(|t| (a.channel, unix_seconds(t.into())))
                })
                .collect();
        self.training_scores = crate::ops::training::score::score(
            &fired,
            &crate::ops::training::score::Actions {
                log: tm.board().log(),
                incidents: &details,
                acknowledged: &acknowledged,
                rebooked_at,
            },
            unix_seconds(now),
        );
    }

    /// Acknowledges here the alarms acknowledged at other consoles (synced rows), once a
    /// second at most.
    fn take_acknowledgements_from_elsewhere(&mut self) {
        if self
            .acks_checked_at
            .is_some_and(|at| at.elapsed() < std::time::Duration::from_secs(1))
        {
            return;
        }
        self.acks_checked_at = Some(Instant::now());
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        let acks = match crate::ops::telemetry::acks::from_elsewhere(&self.replica, &self.acks_seen)
        {
            Ok(acks) => acks,
            Err(err) => {
                tracing::warn!("alarm acknowledgements from other consoles: {err}");
                return;
            }
        };
        for ack in acks {
            if let Ok(at) = chrono::DateTime::parse_from_rfc3339(&ack.at) {
                tm.board_mut().acknowledge_from_elsewhere(
                    &ack.channel,
                    &ack.by,
                    &ack.comment,
                    at.into(),
                );
            }
            self.acks_seen = ack.at;
        }
    }

    /// Sounds what the alarms call for, unless muted; the player starts with the first tone.
    fn sound_tone(&mut self, now: DateTime<Utc>) {
        let Some(tm) = self.telemetry.as_ref() else {
            return;
        };
        let wanted = self.tone.decide(tm.board(), now);
        if wanted.is_some() && self.sound && self.tone_player.is_none() {
            match TonePlayer::start() {
                Ok(player) => self.tone_player = Some(player),
                Err(err) => {
                    tracing::error!("the alarm tone cannot start: {err}");
                    self.sound = false;
                }
            }
        }
        if let Some(player) = &mut self.tone_player {
            player.set(wanted);
        }
        self.tone_sounding = wanted;
    }

    pub(super) fn mute_tone(&mut self, muted: bool) {
        let user = self.operator_name();
        let now = self.now();
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        self.tone.set_muted(muted, tm.board());
        let what = if muted {
            format!("alarm tone muted by {user}")
        } else {
            format!("alarm tone unmuted by {user}")
        };
        tm.board_mut().note(now, what);
        self.sound_tone(now);
    }

    /// The Mission view, or why there is none.
    pub(super) fn mission_view_ui(&mut self, ui: &mut Ui, now: DateTime<Utc>) {
        let tokens = self.tokens();
        self.load_mission_layout();
        self.mission.clock_rate = self.clock.rate;
        if let Some(telemetry) = &mut self.telemetry {
            crate::views::mission::mission_ui(
                ui,
                &mut self.mission,
                &mut crate::views::mission::MissionInput {
                    telemetry,
                    contacts: &self.station_contacts,
                    tokens,
                    now,
                    scores: &self.training_scores,
                },
                &mut self.pending,
            );
        } else {
            ui.heading("Mission");
            ui.label("Telemetry did not start; the status bar and the log say why.");
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
        if self.layout_key_loaded.as_deref() == Some(key.as_str()) {
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
        self.layout_saved = saved.filter(|_| layout.is_some());
        self.mission.layout = Some(layout.unwrap_or_else(crate::views::mission::default_layout));
        self.layout_key_loaded = Some(key);
    }

    /// Keeps the user's Mission layout whenever they changed it.
    fn save_mission_layout(&mut self) {
        let Some(layout) = &self.mission.layout else {
            return;
        };
        let Ok(json) = serde_json::to_string(layout) else {
            return;
        };
        if self.layout_saved.as_deref() == Some(json.as_str()) {
            return;
        }
        let key = self.layout_key();
        match self.replica.set_preference(&key, &json) {
            Ok(()) => self.layout_saved = Some(json),
            Err(err) => {
                tracing::warn!("the Mission layout was not kept: {err}");
                // Not again every frame: the next change tries again.
                self.layout_saved = Some(json);
            }
        }
    }

    pub(super) fn telemetry_command(&mut self, command: TelemetryCommand) {
        let now = self.now();
        let wall = unix_seconds(now);
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        let notice = match command {
            TelemetryCommand::UseSimulator => {
                let simulator = Simulator::new(&tm.dictionary, now, SIMULATOR_SEED);
                tm.switch_source(Box::new(simulator), now);
                // The simulator models the orbit: predict it again at once.
                self.environment_at = None;
                Some(Notice::info("Telemetry: the built-in simulator."))
            }
            TelemetryCommand::PlayRecording(path) => {
                match Playback::open(std::path::Path::new(&path), &tm.dictionary) {
                    Ok(playback) => {
                        tm.switch_source(Box::new(playback), now);
                        Some(Notice::info(format!("Telemetry: playing {path}.")))
                    }
                    Err(err) => Some(Notice::error(format!("{err}"))),
                }
            }
            TelemetryCommand::FollowLive => match self.replica.sign_in() {
                Ok(Some(sign_in)) if sign_in.is_valid_at(Utc::now()) => {
                    // A sandbox joined to a session follows the session, never operations.
                    let session = self.replica.training_link().ok().flatten();
                    let (server, session) = session.map_or((sign_in.server.clone(), None), |l| {
                        (l.server, Some(l.session))
                    });
                    match LiveSource::start(
                        &server,
                        session.as_deref(),
                        &sign_in.token,
                        &tm.dictionary,
                    ) {
                        Ok(live) => {
                            tm.switch_source(Box::new(live), now);
                            Some(Notice::info(format!(
                                "Telemetry: following the live feed of {}.",
                                sign_in.server
                            )))
                        }
                        Err(err) => Some(Notice::error(format!(
                            "The live feed cannot start: {err}. Telemetry stays as it was."
                        ))),
                    }
                }
                Ok(_) => Some(Notice::error(
                    "Sign in to the server on the Sync screen (Ctrl+8) first: the live feed needs your sign-in.",
                )),
                Err(err) => Some(Notice::error(format!(
                    "The sign-in cannot be read from the replica: {err}"
                ))),
            },
            TelemetryCommand::Drill(drill) => self.drill(drill),
            TelemetryCommand::TrainingPause(paused) => self.training_pause(paused),
            TelemetryCommand::TrainingNext => self.training_next(),
            TelemetryCommand::TrainingSpeed(rate) => self.training_speed(rate),
            TelemetryCommand::TrainingJump(index) => self.training_jump(index),
            TelemetryCommand::TrainingDebrief => Some(self.training_debrief()),
            TelemetryCommand::Pause(paused) => {
                if let Some(p) = tm.playback() {
                    p.set_paused(paused, wall);
                }
                None
            }
            TelemetryCommand::Speed(speed) => {
                if let Some(p) = tm.playback() {
                    p.set_speed(speed, wall);
                }
                None
            }
            TelemetryCommand::Seek(t) => {
                tm.seek(t, now);
                None
            }
        };
        if let Some(notice) = notice {
            self.set_notice(notice);
        }
    }

    /// Pauses or resumes the training scenario; logged.
    fn training_pause(&mut self, paused: bool) -> Option<Notice> {
        let user = self.operator_name();
        let now = self.now();
        let tm = self.telemetry.as_mut()?;
        tm.training()?.set_paused(paused, unix_seconds(now));
        let what = if paused { "paused" } else { "resumed" };
        tm.board_mut()
            .note(now, format!("training scenario {what} by {user}"));
        Some(Notice::info(format!("Scenario {what}.")))
    }

    /// Writes the debrief page into the data folder's exports.
    fn training_debrief(&mut self) -> Notice {
        use crate::ops::training::debrief::{self, DebriefInput, Trace};
        let now = self.now();
        let path_folder = self.data_dir().exports();
        let scores = self.training_scores.clone();
        let Some(tm) = self.telemetry.as_mut() else {
            return Notice::error("Telemetry is not running: there is nothing to debrief.");
        };
        let Some(training) = tm.training() else {
            return Notice::error("No scenario is playing.");
        };
        let scenario = training.scenario().clone();
        let fired = training.fired().to_vec();
        let started =
            crate::ops::telemetry::TelemetrySource::mission_start(&*training).unwrap_or_default();
        let channels = debrief::touched_channels(&scenario);
        let traces: Vec<(usize, String)> = channels
            .iter()
            .filter_map(|c| tm.index_of(c).map(|i| (i, c.clone())))
            .collect();
        let traces: Vec<Trace<'_>> = traces
            .iter()
            .map(|(index, _)| Trace {
                channel: tm.dictionary.channels[*index].id.as_str(),
                unit: tm.dictionary.channels[*index].unit.as_str(),
                points: tm.series(*index).recent(started).collect(),
            })
            .collect();
        let html = debrief::to_html(&DebriefInput {
            scenario: &scenario,
            started,
            fired: &fired,
            scores: &scores,
            traces: &traces,
            generated_at: now,
        });
        let path = path_folder.join(format!(
            "debrief-{}-{}.html",
            scenario.id,
            now.format("%Y%m%d-%H%M%S")
        ));
        match html.and_then(|h| super::incidents::write_whole(&path, h.as_bytes())) {
            Ok(()) => Notice::info(format!("Debrief written to {}", path.display())),
            Err(err) => Notice::error(format!("The debrief was not written: {err}")),
        }
    }

    /// Runs the mission clock `rate` times as fast (×1 to ×60) from now, for the scenario,
    /// telemetry, alarms, plots and scoring alike; a hosted session's trainees follow. Logged.
    fn training_speed(&mut self, rate: f64) -> Option<Notice> {
        let user = self.operator_name();
        let rate = rate.clamp(1.0, galaxium_sync::protocol::MAX_CLOCK_RATE);
        let now = self.now();
        self.clock = self.clock.with_rate(rate, unix_seconds(Utc::now()));
        let tm = self.telemetry.as_mut()?;
        tm.training()?;
        if let Some(hosted) = tm.source_mut().hosted() {
            hosted.publish_clock(self.clock);
        }
        tm.board_mut()
            .note(now, format!("mission clock set to x{rate} by {user}"));
        Some(Notice::info(format!("Mission clock: x{rate}.")))
    }

    /// On a console joined to a training session: follows the session's mission clock, and
    /// hands a newer sign-in to the session's feed or poster.
    pub(super) fn follow_session_clock(&mut self) {
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        if let Some(clock) = tm.live_status().and_then(|s| s.session.and(s.clock)) {
            self.clock = clock;
        }
        let due = self
            .session_token_checked
            .is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(5));
        if let Some(hosted) = tm.source_mut().hosted()
            && due
        {
            self.session_token_checked = Some(Instant::now());
            if let Ok(Some(sign_in)) = self.replica.sign_in()
                && sign_in.is_valid_at(Utc::now())
            {
                hosted.use_token(&sign_in.token);
            }
        }
    }

    /// Moves the scenario on to event `index`; logged.
    fn training_jump(&mut self, index: usize) -> Option<Notice> {
        let user = self.operator_name();
        let now = self.now();
        let tm = self.telemetry.as_mut()?;
        let training = tm.training()?;
        let note = training.scenario().events.get(index)?.note.clone();
        if !training.jump_to(index, unix_seconds(now)) {
            return Some(Notice::error("That event has been reached already."));
        }
        tm.board_mut()
            .note(now, format!("scenario moved on to \"{note}\" by {user}"));
        None
    }

    /// Brings the scenario's next event forward to now; logged.
    fn training_next(&mut self) -> Option<Notice> {
        let user = self.operator_name();
        let now = self.now();
        let tm = self.telemetry.as_mut()?;
        tm.training()?.jump_to_next(unix_seconds(now));
        tm.board_mut().note(
            now,
            format!("next scenario event brought forward by {user}"),
        );
        None
    }

    /// Injects a drill fault into the simulator, or clears them; logged in the event log.
    fn drill(&mut self, drill: Option<usize>) -> Option<Notice> {
        let user = self.operator_name();
        let now = self.now();
        let tm = self.telemetry.as_mut()?;
        if let Some((name, channel, value)) =
            drill.and_then(|i| crate::views::mission::DRILLS.get(i))
        {
            tm.inject(channel, Some(*value));
            tm.board_mut()
                .note(now, format!("drill fault injected by {user}: {name}"));
            return Some(Notice::info(format!(
                "Drill: {name} ({channel} held at {value}). Clear it from the same menu."
            )));
        }
        for (_, channel, _) in crate::views::mission::DRILLS {
            tm.inject(channel, None);
        }
        tm.board_mut()
            .note(now, format!("drill faults cleared by {user}"));
        Some(Notice::info("Drill faults cleared."))
    }

    /// The trainees' expected responses as last scored (on the console playing a scenario).
    pub fn training_scores(&self) -> &[crate::ops::training::score::Scored] {
        &self.training_scores
    }

    /// The telemetry, when it started.
    pub fn telemetry(&self) -> Option<&Telemetry> {
        self.telemetry.as_ref()
    }

    /// The telemetry, to feed or steer it (tests and drills inject values through it).
    pub fn telemetry_mut(&mut self) -> Option<&mut Telemetry> {
        self.telemetry.as_mut()
    }

    pub(super) fn acknowledge_alarm(&mut self, channel: &str, comment: &str) {
        let user = self.operator_name();
        let now = self.now();
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        let severity = tm.board().get(channel).map(|a| a.severity);
        let outcome = tm.board_mut().acknowledge(channel, &user, comment, now);
        // Kept in the replica, so every console with the alarm sees it acknowledged.
        let kept = match (&outcome, severity) {
            (Ok(()), Some(severity)) => crate::ops::telemetry::acks::record(
                &mut self.replica,
                channel,
                severity,
                &user,
                comment.trim(),
                now,
            )
            .err(),
            _ => None,
        };
        if outcome.is_ok() && kept.is_none() {
            // Other positions see it at the next sync; ask for that now.
            self.to_sync(crate::ops::sync_agent::SyncRequest::SyncNow);
        }
        self.set_notice(match (outcome, kept) {
            (Ok(()), None) => Notice::info(format!("Acknowledged {channel}: {comment}")),
            (Ok(()), Some(err)) => Notice::error(format!(
                "Acknowledged {channel} here, but other consoles will not see it: {err}"
            )),
            (Err(err), _) => Notice::error(format!("{channel} was not acknowledged: {err}")),
        });
    }

    pub(super) fn shelve_alarm(&mut self, channel: &str, minutes: i64) {
        let user = self.operator_name();
        let now = self.now();
        let Some(tm) = self.telemetry.as_mut() else {
            return;
        };
        let outcome = tm
            .board_mut()
            .shelve(channel, &user, now + Duration::minutes(minutes), now);
        self.set_notice(match outcome {
            Ok(()) => Notice::info(format!("Shelved {channel} for {minutes} minutes.")),
            Err(err) => Notice::error(format!("{channel} was not shelved: {err}")),
        });
    }

    /// The alarm strip under the top bar, on every screen: the worst alarm wanting
    /// acknowledgement and how many there are, or that all is quiet, and where the data
    /// comes from.
    pub(super) fn alarm_banner_ui(&mut self, ui: &mut Ui, now: DateTime<Utc>) {
        let tokens = self.tokens();
        let Some(tm) = self.telemetry.as_ref() else {
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
        let fill = if waiting.is_empty() {
            tokens.panel
        } else {
            severity_color(worst, tokens)
        };
        let text_color = if waiting.is_empty() {
            tokens.text_muted
        } else {
            tokens.on_banner
        };
        let (source, _) = source_line(tm, now);
        let headline = match waiting.first() {
            None => "No alarms".to_owned(),
            Some(alarm) => {
                let unit = tm
                    .dictionary
                    .get(&alarm.channel)
                    .map_or("", |c| c.unit.as_str());
                let breach = alarm.breach.map(|b| format!(" {b}")).unwrap_or_default();
                format!(
                    "{} {} {:.3} {unit}{breach} · {} · {} alarm{}, {unacknowledged} unacknowledged",
                    alarm.severity.label(),
                    alarm.channel,
                    alarm.value,
                    alarm.state.label(),
                    waiting.len(),
                    if waiting.len() == 1 { "" } else { "s" },
                )
            }
        };
        let mut open = false;
        let mut mute = None;
        let muted = self.tone.muted();
        let sounding = self.tone_sounding;
        let no_sound: Option<String> = match self.tone_player.as_ref().map(TonePlayer::output) {
            Some(ToneOutput::Unavailable(reason)) => Some(reason),
            _ if !self.sound => Some("sound is off for this console".to_owned()),
            _ => None,
        };
        egui::Panel::top("alarm_banner")
            .frame(
                egui::Frame::new()
                    .fill(fill)
                    .inner_margin(egui::Margin::symmetric(10, 4)),
            )
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label(RichText::new(&headline).strong().color(text_color));
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
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
                    });
                });
            });
        if open {
            self.send(UiCommand::ShowView(View::Mission));
        }
        if let Some(muted) = mute {
            self.send(UiCommand::MuteTone(muted));
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
