use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use egui::{RichText, Ui};
use galaxium_sync::{Replica, ReplicaKind};
use galaxium_widgets::{Banner, StatusLevel, StatusLight, Theme, Tokens, tokens};
use serde::{Deserialize, Serialize};

use super::{CommandPalette, UiCommand};
use crate::ops::bookings::data::BookingsData;
use crate::ops::demo::DemoDataset;
use crate::ops::mission::MissionLoop;
use crate::ops::orbit::OrbitData;
use crate::ops::overview::OverviewSnapshot;
use crate::ops::screen_read::{ReadRequest, ScreenData, ScreenReader, read_screens};
use crate::ops::sync_agent::{SyncAgent, SyncRequest, SyncStatus};
use crate::paths::DataDir;
use crate::views::View;
use crate::views::checkin::{CheckInState, DeskInput, checkin_ui};
use crate::views::format;
use crate::views::launches::LaunchesState;
use crate::views::mission::MissionState;
use crate::views::orbit::OrbitState;
use crate::views::overview::{OverviewInput, overview_ui};
use crate::views::passengers::{PassengersState, passengers_ui};
use crate::views::settings::settings_ui;
use crate::views::sync::{link_summary, sync_ui};

/// How often the console asks SQLite whether another connection (the sync task, another
/// process such as `galaxium import`) changed the replica; it re-reads only then.
const CHANGE_CHECK_EVERY: Duration = Duration::from_secs(1);
/// Re-read anyway this often (file size, backups made from the command line).
const REFRESH_EVERY: Duration = Duration::from_mins(1);
const ZOOM_STEP: f32 = 0.1;
const ZOOM_RANGE: (f32, f32) = (0.7, 2.0);

/// What the console remembers between runs (window geometry is eframe's own).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ConsoleSettings {
    /// The view last shown.
    pub view: View,
    /// Dark or light.
    pub theme: Theme,
    /// Text and control scale, 1.0 is normal.
    pub zoom: f32,
}

impl Default for ConsoleSettings {
    fn default() -> Self {
        Self {
            view: View::Overview,
            theme: Theme::Dark,
            zoom: 1.0,
        }
    }
}

/// A message about the last thing the console did, shown in the status bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// How it reads.
    pub level: StatusLevel,
    /// The sentence.
    pub text: String,
}

impl Notice {
    /// Something went as asked.
    pub fn info(text: impl Into<String>) -> Self {
        Self {
            level: StatusLevel::Nominal,
            text: text.into(),
        }
    }

    /// Something failed; the text says what and what to do.
    pub fn error(text: impl Into<String>) -> Self {
        Self {
            level: StatusLevel::Critical,
            text: text.into(),
        }
    }
}

/// The sign-in dialog's fields while it is open. The password lives here only while the
/// dialog is open (kept after a refusal, so a mistyped user name costs nothing) and is never
/// written anywhere.
#[derive(Debug, Default)]
struct SignInForm {
    server: String,
    user: String,
    password: String,
    /// Sent, waiting for the answer: the count of finished sign-ins when it was sent.
    sent_at: Option<u64>,
    /// Why the server or the network refused it: shown in the dialog, which keeps its input.
    refused: Option<String>,
}

impl ConsoleApp {
    /// Reads the passengers booked under the locator the Passengers search spells, once per
    /// search (an indexed lookup: locators are not loaded with the passengers).
    fn look_up_searched_locator(&mut self) {
        let state = &mut self.screens.passengers;
        if !state.wants_locator_lookup() {
            return;
        }
        let search = state.search().to_owned();
        let found = crate::ops::bookings::data::passengers_under_locator(&self.replica, &search)
            .unwrap_or_else(|err| {
                tracing::warn!("looking up locator {search}: {err}");
                Vec::new()
            });
        self.screens.passengers.set_locator_matches(search, found);
    }
}

impl SignInForm {
    /// Takes the answer to the sign-in sent, once it came: `true` when accepted (the dialog
    /// closes); refused, it keeps why to show in the dialog.
    fn take_answer(&mut self, status: &SyncStatus) -> bool {
        let Some(sent) = self.sent_at else {
            return false;
        };
        if status.sign_ins_finished <= sent {
            return false;
        }
        self.sent_at = None;
        if status.last_error.is_none() && status.signed_in.is_some() {
            return true;
        }
        self.refused = Some(
            status
                .last_error
                .clone()
                .unwrap_or_else(|| "the server did not sign you in".to_owned()),
        );
        false
    }
}

/// Where the sign-in dialog points when nothing was signed in before.
const DEFAULT_SERVER: &str = "http://127.0.0.1:8780";

/// The console: top bar, navigation, the current view, the status bar, and the command palette.
/// It keeps the infrastructure (replica, sync link, the mission loop, background jobs) and
/// routes commands; the domain work is in `galaxium_ops`, the screens in `galaxium_views`.
pub struct ConsoleApp {
    link: SyncLink,
    settings: ConsoleSettings,
    pub(super) replica: Replica,
    data: DataDir,
    reads: Reads,
    pub(super) bookings: BookingsData,
    pub(super) orbit_data: OrbitData,
    /// Telemetry, alarms, detection, scoring, the mission clock and the tone decision.
    pub(super) mission_loop: MissionLoop,
    pub(super) screens: Screens,
    pub(super) incident_data: IncidentData,
    /// The command queue and history as last read.
    pub(super) command_data: Vec<crate::ops::commanding::Command>,
    /// How often the sync task was last asked to sync.
    pub(super) sync_pace: std::time::Duration,
    /// The go/no-go poll's list and its first-contact prediction.
    pub(super) poll: super::poll::PollSupport,
    pub(super) jobs: Jobs,
    palette: CommandPalette,
    pub(super) pending: Vec<UiCommand>,
    pub(super) notice: Option<Notice>,
    confirm_remove_demo: bool,
    applied_style: Option<(Theme, f32)>,
    pub(super) tone: ToneOut,
}

/// The link to the central server: the sync task, what it last said, and the sign-in dialog.
#[derive(Default)]
struct SyncLink {
    agent: Option<SyncAgent>,
    status: SyncStatus,
    /// The sync generation whose changes the screens have read.
    seen_generation: u64,
    sign_in_form: Option<SignInForm>,
}

/// When and how the replica was last read for the screens.
#[derive(Default)]
struct Reads {
    snapshot: Option<OverviewSnapshot>,
    /// Why the last read failed, if it did.
    error: Option<String>,
    last_read: Option<Instant>,
    last_change_check: Option<Instant>,
    /// SQLite's data version at the last check: another connection's write changes it.
    data_version: Option<i64>,
    /// Reads off the UI thread (none if its thread could not start: then they run here).
    reader: Option<ScreenReader>,
    /// The number given to the latest read asked for, and to the read shown.
    asked: u64,
    shown: u64,
    /// The replica's change mark when the data version last moved (see
    /// `Replica::change_mark`).
    change_mark: Option<String>,
}

impl Reads {
    fn next_number(&mut self) -> u64 {
        self.asked += 1;
        self.asked
    }
}

/// Each screen's own state (selections, filters, forms), and which user's Mission layout is
/// loaded.
#[derive(Default)]
pub(super) struct Screens {
    pub(super) mission: MissionState,
    pub(super) launches: LaunchesState,
    pub(super) checkin: CheckInState,
    pub(super) passengers: PassengersState,
    pub(super) orbit: OrbitState,
    pub(super) incidents: crate::views::incidents::IncidentsState,
    pub(super) commanding: crate::views::commanding::CommandingState,
    /// The preference key of the Mission layout loaded, and the layout as last kept.
    pub(super) layout_loaded_for: Option<String>,
    pub(super) layout_saved: Option<String>,
}

/// The incidents as last read for the Incidents screen.
pub(super) struct IncidentData {
    pub(super) list: Vec<crate::ops::incidents::Incident>,
    pub(super) detail: Option<crate::ops::incidents::IncidentDetail>,
    /// The selected incident's snapshot, by incident id (read when the selection changes).
    pub(super) snapshot: Option<(String, Option<crate::ops::incidents::snapshot::Snapshot>)>,
    pub(super) severities: Vec<crate::ops::incidents::SeverityLevel>,
}

/// Work running off the UI thread; each screen shows its progress.
#[derive(Default)]
pub(super) struct Jobs {
    pub(super) import: Option<crate::ops::jobs::Job<Vec<String>>>,
    /// An incident report being exported; its label is the incident's reference.
    pub(super) report: Option<crate::ops::jobs::Job<std::path::PathBuf>>,
    /// The check of the whole replica file, archive included, that opening leaves for later.
    pub(super) whole_check: Option<crate::ops::jobs::Job<String>>,
    /// Where that check stands, for the Overview's health line.
    pub(super) whole_file: crate::views::overview::WholeFileCheck,
}

/// Where the alarm tone goes: the player, started with the first tone, and whether this
/// console makes sound at all.
pub(super) struct ToneOut {
    pub(super) player: Option<crate::tone::TonePlayer>,
    pub(super) sound: bool,
}

impl ConsoleApp {
    /// A console on `replica`, restoring settings from `storage` when there are any.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        replica: Replica,
        data: DataDir,
    ) -> Self {
        let settings: ConsoleSettings = storage
            .and_then(|s| eframe::get_value(s, eframe::APP_KEY))
            .unwrap_or_default();
        // Our own commands own the zoom keys, so egui must not handle them a second time.
        ctx.options_mut(|o| o.zoom_with_keyboard = false);
        let repaint_ctx = ctx.clone();
        let (sync, sync_error) = match SyncAgent::start(replica.path(), move || {
            repaint_ctx.request_repaint();
        }) {
            Ok(agent) => (Some(agent), None),
            Err(err) => (
                None,
                Some(Notice::error(format!(
                    "Sync cannot start: {err:#}. The console works offline."
                ))),
            ),
        };
        let wake_ctx = ctx.clone();
        let reader = ScreenReader::start(replica.path(), move || wake_ctx.request_repaint())
            .inspect_err(|err| {
                tracing::warn!(
                    "the screens' reader cannot start, reads run on the UI thread: {err}"
                );
            })
            .ok();
        let checked_path = replica.path().to_path_buf();
        let whole_check = crate::ops::jobs::Job::start("checking the replica file", move |_| {
            galaxium_sync::replica::check_whole_file(&checked_path).map_err(|err| match err {
                galaxium_sync::ReplicaError::Corrupt { report, .. } => report,
                other => other.to_string(),
            })
        })
        .inspect_err(|err| tracing::warn!("the replica file's check cannot start: {err}"));
        let whole_file = match &whole_check {
            Ok(_) => crate::views::overview::WholeFileCheck::Running,
            Err(err) => crate::views::overview::WholeFileCheck::NotRun(err.to_string()),
        };
        let whole_check = whole_check.ok();
        let mission_loop = MissionLoop::start(&replica);
        let start_problem = mission_loop
            .start_problem()
            .map(|err| Notice::error(format!("Telemetry cannot start: {err}")));
        let mut app = Self {
            link: SyncLink {
                agent: sync,
                ..SyncLink::default()
            },
            settings,
            replica,
            data,
            reads: Reads {
                reader,
                ..Reads::default()
            },
            bookings: BookingsData::default(),
            orbit_data: OrbitData::default(),
            mission_loop,
            screens: Screens::default(),
            incident_data: IncidentData {
                list: Vec::new(),
                detail: None,
                snapshot: None,
                severities: crate::ops::incidents::default_severities(),
            },
            command_data: Vec::new(),
            sync_pace: crate::ops::sync_agent::SYNC_EVERY,
            poll: super::poll::PollSupport::default(),
            jobs: Jobs {
                whole_check,
                whole_file,
                ..Jobs::default()
            },
            palette: CommandPalette::default(),
            pending: Vec::new(),
            notice: start_problem.or(sync_error),
            confirm_remove_demo: false,
            applied_style: None,
            tone: ToneOut {
                player: None,
                sound: true,
            },
        };
        app.refresh();
        app
    }

    /// The same console without a sound device: the tone is decided and shown, not played
    /// (headless tests).
    #[must_use]
    pub fn without_sound(mut self) -> Self {
        self.tone.sound = false;
        self
    }

    /// Stops the console's background threads and waits for them: the sync task and the
    /// telemetry archive's writer. The console goes on working offline, showing the telemetry
    /// in memory. Benchmarks use it so that nothing of one run disturbs the next.
    pub fn stop_background_work(&mut self) {
        if let Some(agent) = self.link.agent.take() {
            agent.stop();
        }
        self.mission_loop.stop_archive();
        if let Some(check) = self.jobs.whole_check.take() {
            while check.take_result().is_none() {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
        if let Some(reader) = &mut self.reads.reader {
            reader.stop();
        }
        self.reads.reader = None;
    }

    /// Whether a read of the replica for the screens is running off the UI thread (the
    /// screens show the previous read until it is done).
    pub fn reading(&self) -> bool {
        self.reads.reader.as_ref().is_some_and(ScreenReader::busy)
    }

    /// The Mission view's state (its panel layout among it).
    pub fn mission_state_mut(&mut self) -> &mut MissionState {
        &mut self.screens.mission
    }

    /// Whether a report is being exported.
    pub fn exporting_report(&self) -> bool {
        self.jobs.report.is_some()
    }

    /// Every incident, as last read.
    pub fn incident_list(&self) -> &[crate::ops::incidents::Incident] {
        &self.incident_data.list
    }

    /// The alarm tone that should be sounding now, if any.
    pub fn tone_sounding(&self) -> Option<crate::ops::telemetry::tone::TonePattern> {
        self.mission_loop.tone_wanted()
    }

    /// The tracked objects and ground stations as last read.
    pub fn orbit_data(&self) -> &OrbitData {
        &self.orbit_data
    }

    /// Where sync stands, as of this frame.
    pub fn sync_status(&self) -> &SyncStatus {
        &self.link.status
    }

    /// Asks the sync task for something (a sync soon after a local change).
    pub(super) fn request_sync(&self, request: SyncRequest) {
        self.to_sync(request);
    }

    /// Switches to the Launches view.
    pub(super) fn show_launches(&mut self) {
        self.settings.view = View::Launches;
    }

    /// The data folder.
    pub(super) fn data_dir(&self) -> &DataDir {
        &self.data
    }

    /// What the bookings screens show, as last read.
    pub fn bookings(&self) -> &BookingsData {
        &self.bookings
    }

    pub(super) fn to_sync(&self, request: SyncRequest) {
        if let Some(agent) = &self.link.agent {
            agent.send(request);
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &ConsoleSettings {
        &self.settings
    }

    /// The status-bar message, if any.
    pub fn notice(&self) -> Option<&Notice> {
        self.notice.as_ref()
    }

    /// Replaces the status-bar message.
    pub fn set_notice(&mut self, notice: Notice) {
        self.notice = Some(notice);
    }

    /// The last read of the replica.
    pub fn snapshot(&self) -> Option<&OverviewSnapshot> {
        self.reads.snapshot.as_ref()
    }

    /// Queues a command, applied at the end of the frame.
    pub fn send(&mut self, command: UiCommand) {
        self.pending.push(command);
    }

    pub(super) fn tokens(&self) -> Tokens {
        Tokens::of(self.settings.theme)
    }

    /// Whether the replica is a training sandbox.
    pub fn is_training(&self) -> bool {
        self.reads
            .snapshot
            .as_ref()
            .is_some_and(|s| s.status.kind == ReplicaKind::Training)
    }

    /// The mission clock the console runs on.
    pub fn mission_clock(&self) -> galaxium_sync::protocol::MissionClock {
        self.mission_loop.clock()
    }

    /// Now on the mission clock (the wall clock unless a trainer runs the clock faster).
    pub fn now(&self) -> chrono::DateTime<Utc> {
        self.mission_loop.now_at(Utc::now())
    }

    /// Reads the replica for the screens now, on this thread: after this console's own
    /// write, so the person who made it sees it in the same frame.
    pub(super) fn refresh(&mut self) {
        let number = self.reads.next_number();
        let request = self.read_request();
        let read = read_screens(&self.replica, &request).map_err(|e| format!("{e:#}"));
        self.show_read(number, &request, read);
    }

    /// Asks the reader to read the replica for the screens off this thread (a change from
    /// elsewhere: a sync, another process); the screens keep what they show until it is done.
    fn refresh_in_background(&mut self) {
        let request = self.read_request();
        let number = self.reads.next_number();
        self.reads.last_read = Some(Instant::now());
        if let Some(reader) = &mut self.reads.reader {
            reader.ask(number, request);
        } else {
            let read = read_screens(&self.replica, &request).map_err(|e| format!("{e:#}"));
            self.show_read(number, &request, read);
        }
    }

    /// Shows the reader's finished read, unless something newer is shown already or the
    /// selections changed while it ran (then it is asked again).
    fn poll_reads(&mut self) {
        let Some((number, asked, read)) = self.reads.reader.as_mut().and_then(ScreenReader::take)
        else {
            return;
        };
        if number <= self.reads.shown {
            return;
        }
        if !asked.same_selection(&self.read_request()) {
            self.refresh_in_background();
            return;
        }
        self.show_read(number, &asked, read);
    }

    /// Says so when the check of the whole file, which opening left for later, finds damage.
    fn poll_whole_check(&mut self) {
        let Some(result) = self
            .jobs
            .whole_check
            .as_ref()
            .and_then(crate::ops::jobs::Job::take_result)
        else {
            return;
        };
        self.jobs.whole_check = None;
        match result {
            Ok(_) => {
                tracing::info!("the whole replica file checked: ok");
                self.jobs.whole_file = crate::views::overview::WholeFileCheck::Passed(Utc::now());
            }
            Err(reason) => {
                tracing::error!("the replica file failed its check: {reason}");
                self.jobs.whole_file =
                    crate::views::overview::WholeFileCheck::Failed(reason.clone());
                self.set_notice(Notice::error(format!(
                    "The replica file is damaged ({reason}): what is shown or saved may be \
                     incomplete. Close the console and restore a backup with `galaxium db restore`."
                )));
            }
        }
    }

    /// Whether the check of the whole replica file is still running.
    pub fn checking_whole_file(&self) -> bool {
        self.jobs.whole_check.is_some()
    }

    fn read_request(&self) -> ReadRequest {
        let incident = self.screens.incidents.selected.clone();
        let incident_snapshot = incident.as_ref().is_some_and(|id| {
            self.incident_data
                .snapshot
                .as_ref()
                .is_none_or(|(of, _)| of != id)
        });
        ReadRequest {
            now: self.now(),
            launch: self.screens.launches.selected.clone(),
            locator: self.screens.checkin.looked_up.clone(),
            desk_search: self.screens.checkin.searched.clone(),
            gate_launch: self.screens.checkin.gate_launch.clone(),
            incident,
            incident_snapshot,
        }
    }

    fn show_read(&mut self, number: u64, request: &ReadRequest, read: Result<ScreenData, String>) {
        self.reads.shown = number;
        self.mission_loop.replica_changed();
        match read {
            Ok(data) => {
                self.reads.snapshot = Some(data.overview);
                self.bookings = data.bookings;
                self.orbit_data = data.orbit;
                self.screens.launches.invalidate();
                self.incident_data.list = data.incidents;
                self.incident_data.severities = data.severities;
                if let Some(detector) = self.mission_loop.detector_mut() {
                    detector.set_vehicle(data.crewed_vehicle);
                }
                self.incident_data.detail = data.incident_detail;
                self.command_data = data.commands;
                self.pace_sync();
                match (&request.incident, data.incident_snapshot) {
                    (Some(id), Some(snapshot)) => {
                        self.incident_data.snapshot = Some((id.clone(), snapshot));
                    }
                    (None, _) => self.incident_data.snapshot = None,
                    (Some(_), None) => {}
                }
                self.reads.error = None;
            }
            Err(err) => {
                tracing::error!("reading the replica failed: {err}");
                self.reads.error = Some(err);
            }
        }
        self.reads.last_read = Some(Instant::now());
    }

    fn apply(&mut self, ctx: &egui::Context, command: UiCommand) {
        match command {
            UiCommand::ShowView(view) => self.settings.view = view,
            UiCommand::OpenCommandPalette => self.palette.open(),
            UiCommand::BackUpReplica => self.back_up(),
            UiCommand::RemoveDemoData => self.confirm_remove_demo = true,
            UiCommand::RemoveDemoDataConfirmed => {
                self.confirm_remove_demo = false;
                self.notice = Some(match self.replica.remove_demo_rows() {
                    Ok(removed) => Notice::info(format!("Removed {removed} demo rows.")),
                    Err(err) => Notice::error(format!("The demo data could not be removed: {err}")),
                });
                self.to_sync(SyncRequest::SyncNow);
                self.refresh();
            }
            UiCommand::LoadDemoData => {
                let seeded = DemoDataset::shipped()
                    .and_then(|dataset| dataset.seed(&mut self.replica, Utc::now()));
                self.notice = Some(match seeded {
                    Ok(summary) => Notice::info(format!("Loaded the demo dataset: {summary}.")),
                    Err(err) => {
                        Notice::error(format!("The demo data could not be loaded: {err:#}"))
                    }
                });
                self.to_sync(SyncRequest::SyncNow);
                self.refresh();
            }
            UiCommand::SyncNow => self.to_sync(SyncRequest::SyncNow),
            UiCommand::OpenSignIn => {
                let (server, user) = self.link.status.signed_in.as_ref().map_or_else(
                    || (DEFAULT_SERVER.to_owned(), String::new()),
                    |(server, user, _)| (server.clone(), user.clone()),
                );
                self.link.sign_in_form = Some(SignInForm {
                    server,
                    user,
                    ..SignInForm::default()
                });
            }
            UiCommand::SignOut => self.to_sync(SyncRequest::SignOut),
            UiCommand::SendAgainUnder { conflict_id, key } => {
                self.notice = Some(match self.replica.send_again_under(&conflict_id, &key) {
                    Ok(()) => Notice::info(format!(
                        "Conflict settled: made again as {:?}; it goes to the server with the next sync.",
                        key.trim()
                    )),
                    Err(err) => Notice::error(format!("Not sent again: {err}")),
                });
                self.refresh();
            }
            UiCommand::KeepServerVersion(id) => {
                self.notice = Some(match self.replica.keep_server_version(&id) {
                    Ok(()) => Notice::info("Conflict settled: the server's version stays."),
                    Err(err) => Notice::error(format!("The conflict could not be settled: {err}")),
                });
                self.refresh();
            }
            UiCommand::ToggleTheme => self.settings.theme = self.settings.theme.toggled(),
            UiCommand::ZoomIn => self.set_zoom(self.settings.zoom + ZOOM_STEP),
            UiCommand::ZoomOut => self.set_zoom(self.settings.zoom - ZOOM_STEP),
            UiCommand::ZoomReset => self.set_zoom(1.0),
            UiCommand::Bookings(command) => self.apply_booking(command),
            UiCommand::SavePassenger(passenger) => self.save_passenger(&passenger),
            UiCommand::ImportElementSets(form) => self.import_element_sets(&form),
            UiCommand::SaveStation(form) => self.save_station(&form),
            UiCommand::RemoveStation(id) => self.remove_station(&id),
            UiCommand::AcknowledgeAlarm { channel, comment } => {
                self.acknowledge_alarm(&channel, &comment);
            }
            UiCommand::ShelveAlarm { channel, minutes } => self.shelve_alarm(&channel, minutes),
            UiCommand::Telemetry(command) => self.telemetry_command(command),
            UiCommand::MuteTone(muted) => self.mute_tone(muted),
            UiCommand::Incident(command) => self.apply_incident(command),
            UiCommand::Commanding(command) => self.apply_commanding(command),
            UiCommand::Quit => ctx.send_viewport_cmd(egui::ViewportCommand::Close),
        }
    }

    fn set_zoom(&mut self, zoom: f32) {
        // Whole percent steps, so repeated steps never drift to 0.99999.
        self.settings.zoom = ((zoom.clamp(ZOOM_RANGE.0, ZOOM_RANGE.1)) * 100.0).round() / 100.0;
    }

    fn back_up(&mut self) {
        let stamp = Utc::now().format("%Y%m%d-%H%M%S");
        let dest = self.data.backups().join(format!("replica-{stamp}.sqlite"));
        self.notice = Some(match self.replica.backup_to(&dest) {
            Ok(record) => Notice::info(format!(
                "Backed up to {} ({}).",
                record.path.display(),
                format::bytes(record.size_bytes)
            )),
            Err(err) => Notice::error(format!("Backup failed: {err}")),
        });
        self.refresh();
    }

    fn apply_style_if_changed(&mut self, ctx: &egui::Context) {
        let wanted = (self.settings.theme, self.settings.zoom);
        if self.applied_style != Some(wanted) {
            tokens::apply(ctx, self.settings.theme);
            ctx.set_zoom_factor(self.settings.zoom);
            self.applied_style = Some(wanted);
        }
    }

    fn top_bar_ui(&mut self, ui: &mut Ui, now: DateTime<Utc>) {
        let tokens = self.tokens();
        egui::Panel::top("top_bar").show(ui, |ui| {
            ui.add_space(tokens.spacing * 0.5);
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new("GALAXIUM")
                        .strong()
                        .size(tokens.body_size + 2.0)
                        .color(tokens.accent),
                );
                ui.separator();
                let clock = self.mission_loop.clock();
                if clock == galaxium_sync::protocol::MissionClock::WALL {
                    ui.label(RichText::new(format::utc_seconds(now)).monospace().strong())
                        .on_hover_text(
                            "Coordinated Universal Time: every time in the console is UTC",
                        );
                } else {
                    ui.label(
                        RichText::new(format!(
                            "MISSION {} x{}",
                            format::utc_seconds(now),
                            clock.rate
                        ))
                        .monospace()
                        .strong()
                        .color(tokens.training),
                    )
                    .on_hover_text(format!(
                        "The training mission clock, x{} the wall clock ({}): telemetry, alarms, plots and the scenario run on it",
                        clock.rate,
                        format::utc_seconds(Utc::now())
                    ));
                }
                ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                    if ui
                        .button("Commands")
                        .on_hover_text(format!(
                            "{} ({})",
                            UiCommand::OpenCommandPalette.tooltip(),
                            shortcut_text(ui.ctx(), &UiCommand::OpenCommandPalette)
                        ))
                        .clicked()
                    {
                        self.pending.push(UiCommand::OpenCommandPalette);
                    }
                    ui.separator();
                    // Syncs happen on the wall clock, whatever the mission clock says.
                    let (level, words) = link_summary(&self.link.status, Utc::now());
                    if ui
                        .add(StatusLight::new(level, &words, tokens).sense_click())
                        .on_hover_text("The link to the central server; click for the Sync view")
                        .clicked()
                    {
                        self.pending.push(UiCommand::ShowView(View::Sync));
                    }
                    ui.separator();
                    match &self.link.status.signed_in {
                        Some((_, user, role)) => ui.label(format!("{user} · {role}")),
                        None => ui.label("operator · local operator").on_hover_text(
                            "Not signed in to the server: working as the local operator",
                        ),
                    };
                });
            });
            ui.add_space(tokens.spacing * 0.5);
        });
        if self.is_training() {
            egui::Panel::top("training_banner")
                .frame(egui::Frame::NONE)
                .show(ui, |ui| {
                    ui.add(Banner::new(
                        "TRAINING · sandbox replica · nothing here is operational data",
                        tokens.training,
                        tokens,
                    ));
                });
        }
    }

    fn navigation_ui(&mut self, ui: &mut Ui) {
        let tokens = self.tokens();
        egui::Panel::left("navigation")
            .resizable(true)
            .default_size(200.0)
            .show(ui, |ui| {
                ui.add_space(tokens.gap);
                for view in View::ALL {
                    let selected = self.settings.view == view;
                    let response = ui
                        .add_sized(
                            [ui.available_width(), tokens.body_size + 14.0],
                            egui::Button::selectable(selected, view.title()),
                        )
                        .on_hover_text(format!(
                            "{} ({})",
                            view.description(),
                            shortcut_text(ui.ctx(), &UiCommand::ShowView(view))
                        ));
                    if response.clicked() {
                        self.pending.push(UiCommand::ShowView(view));
                    }
                }
            });
    }

    fn status_bar_ui(&mut self, ui: &mut Ui) {
        let tokens = self.tokens();
        egui::Panel::bottom("status_bar").show(ui, |ui| {
            ui.horizontal(|ui| {
                let (level, health) = match (&self.reads.error, &self.reads.snapshot) {
                    (Some(_), _) => (StatusLevel::Critical, "Replica unreadable".to_owned()),
                    (None, Some(snapshot)) => (
                        StatusLevel::Nominal,
                        format!(
                            "Replica healthy · schema v{} · {}",
                            snapshot.status.schema_version,
                            format::bytes(snapshot.status.size_bytes)
                        ),
                    ),
                    (None, None) => (StatusLevel::Inactive, "Replica not read yet".to_owned()),
                };
                ui.add(StatusLight::new(level, &health, tokens));
                // The path and the last notice share what is left, half each at most, so
                // neither hides the other; both show in full on hover.
                let share = (ui.available_width() - tokens.gap) / 2.0;
                let path = self.replica.path().display().to_string();
                ui.allocate_ui_with_layout(
                    egui::vec2(share, ui.available_height()),
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.add(
                            egui::Label::new(
                                RichText::new(&path).monospace().color(tokens.text_muted),
                            )
                            .truncate(),
                        );
                    },
                );
                if let Some(notice) = &self.notice {
                    ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                        ui.add(
                            StatusLight::new(notice.level, &notice.text, tokens).max_width(share),
                        );
                    });
                }
            });
        });
    }

    fn confirm_remove_demo_ui(&mut self, ctx: &egui::Context) {
        if !self.confirm_remove_demo {
            return;
        }
        let demo_rows = self
            .reads
            .snapshot
            .as_ref()
            .map_or(0, |s| s.status.demo_rows());
        let modal = egui::Modal::new(egui::Id::unique("confirm_remove_demo")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Remove the demo dataset?");
            ui.add_space(8.0);
            ui.label(format!(
                "This deletes the {demo_rows} rows marked as demo. Rows you entered yourself stay. You can load the demo dataset again later."
            ));
            ui.add_space(12.0);
            ui.horizontal(|ui| {
                if ui.button("Remove demo data").clicked() {
                    self.pending.push(UiCommand::RemoveDemoDataConfirmed);
                }
                if ui.button("Keep it").clicked() {
                    self.confirm_remove_demo = false;
                }
            });
        });
        if modal.should_close() {
            self.confirm_remove_demo = false;
        }
    }
}

impl ConsoleApp {
    fn sign_in_ui(&mut self, ctx: &egui::Context) {
        let status = &self.link.status;
        let Some(form) = &mut self.link.sign_in_form else {
            return;
        };
        if form.take_answer(status) {
            self.link.sign_in_form = None;
            return;
        }
        let mut submit = false;
        let mut cancel = false;
        let modal = egui::Modal::new(egui::Id::unique("sign_in")).show(ctx, |ui| {
            ui.set_width(460.0);
            ui.heading("Sign in to the central server");
            ui.add_space(8.0);
            egui::Grid::new("sign_in_fields")
                .num_columns(2)
                .spacing([12.0, 8.0])
                .show(ui, |ui| {
                    let label = ui.label("Server");
                    ui.add(egui::TextEdit::singleline(&mut form.server).desired_width(300.0))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("User");
                    ui.add(egui::TextEdit::singleline(&mut form.user).desired_width(300.0))
                        .labelled_by(label.id);
                    ui.end_row();
                    let label = ui.label("Password");
                    let password = ui
                        .add(
                            egui::TextEdit::singleline(&mut form.password)
                                .password(true)
                                .desired_width(300.0),
                        )
                        .labelled_by(label.id);
                    if password.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter)) {
                        submit = true;
                    }
                    ui.end_row();
                });
            ui.add_space(4.0);
            ui.label(
                egui::RichText::new(
                    "Only the sign-in token is kept on this console, never the password.",
                )
                .weak(),
            );
            if let Some(refused) = &form.refused {
                ui.add_space(4.0);
                ui.add(
                    egui::Label::new(
                        egui::RichText::new(format!("Not signed in: {refused}"))
                            .color(ui.visuals().error_fg_color),
                    )
                    .wrap(),
                );
            }
            ui.add_space(8.0);
            ui.horizontal(|ui| {
                let waiting = form.sent_at.is_some();
                let ready = !waiting
                    && !form.server.trim().is_empty()
                    && !form.user.trim().is_empty()
                    && !form.password.is_empty();
                if ui
                    .add_enabled(ready, egui::Button::new("Sign in"))
                    .clicked()
                {
                    submit = true;
                }
                if ui.button("Cancel").clicked() {
                    cancel = true;
                }
                if waiting {
                    ui.spinner();
                    ui.label("Signing in…");
                }
            });
        });
        if submit && form.sent_at.is_none() {
            // The dialog stays open with what was typed until the answer comes.
            form.sent_at = Some(status.sign_ins_finished);
            form.refused = None;
            let request = SyncRequest::SignIn {
                server: form.server.trim().to_owned(),
                user: form.user.trim().to_owned(),
                password: form.password.clone(),
            };
            self.to_sync(request);
        } else if cancel || modal.should_close() {
            self.link.sign_in_form = None;
        }
    }
}

fn shortcut_text(ctx: &egui::Context, command: &UiCommand) -> String {
    command
        .shortcut()
        .map(|sc| ctx.format_shortcut(&sc))
        .unwrap_or_default()
}

impl eframe::App for ConsoleApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        self.apply_style_if_changed(ctx);
        for (command, shortcut) in UiCommand::with_shortcuts() {
            if ctx.input_mut(|i| i.consume_shortcut(&shortcut)) {
                self.pending.push(command);
            }
        }
        if let Some(agent) = &self.link.agent {
            self.link.status = agent.status();
        }
        self.poll_reads();
        self.poll_whole_check();
        self.poll_import();
        self.poll_report();
        self.tick_mission();
        // A sync that changed the replica is shown at once; another writer within a second.
        let mut changed_elsewhere = false;
        if self
            .reads
            .last_change_check
            .is_none_or(|at| at.elapsed() >= CHANGE_CHECK_EVERY)
        {
            self.reads.last_change_check = Some(Instant::now());
            // Another connection committed: the sync task, another process, or only this
            // console's own telemetry archive, which must not make every screen read again.
            let version = self.replica.data_version().ok();
            if version.is_some() && version != self.reads.data_version {
                let mark = self.replica.change_mark().ok();
                changed_elsewhere = mark.is_none() || mark != self.reads.change_mark;
                self.reads.change_mark = mark;
            }
            self.reads.data_version = version;
        }
        if changed_elsewhere
            || self.link.status.generation != self.link.seen_generation
            || self
                .reads
                .last_read
                .is_none_or(|at| at.elapsed() >= REFRESH_EVERY)
        {
            self.link.seen_generation = self.link.status.generation;
            self.refresh_in_background();
        }
        // The clock shows seconds; nothing else moves on its own.
        ctx.request_repaint_after(Duration::from_secs(1));
    }

    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        let now = self.now();
        let ctx = ui.ctx().clone();
        self.top_bar_ui(ui, now);
        self.alarm_banner_ui(ui, now);
        self.status_bar_ui(ui);
        self.navigation_ui(ui);
        let tokens = self.tokens();
        egui::CentralPanel::default().show(ui, |ui| match self.settings.view {
            View::Overview => overview_ui(
                ui,
                &OverviewInput {
                    snapshot: self.reads.snapshot.as_ref(),
                    read_error: self.reads.error.as_deref(),
                    open_report: self.replica.open_report(),
                    tokens,
                    now,
                    telemetry: self.mission_loop.telemetry(),
                    contacts: self.mission_loop.contacts(),
                    incidents: &self.incident_data.list,
                    sync: crate::views::sync::link_summary(&self.link.status, Utc::now()),
                    whole_file: &self.jobs.whole_file,
                },
                &mut self.pending,
            ),
            View::Launches => self.launches_view_ui(ui, tokens, now),
            View::CheckIn => {
                let supervisor = self.is_supervisor();
                let gate_doubt = self.gate_doubt();
                checkin_ui(
                    ui,
                    &mut self.screens.checkin,
                    &DeskInput {
                        data: &self.bookings,
                        tokens,
                        now,
                        supervisor,
                        gate_doubt,
                    },
                    &mut self.pending,
                );
            }
            View::Passengers => {
                self.look_up_searched_locator();
                let personal = self.shows_personal_data();
                passengers_ui(
                    ui,
                    &mut self.screens.passengers,
                    &self.bookings,
                    personal,
                    (tokens, now),
                    &mut self.pending,
                );
            }
            View::Orbit => self.orbit_view_ui(ui, now),
            View::Mission => self.mission_view_ui(ui, now),
            View::Commanding => self.commanding_view_ui(ui, now),
            View::Incidents => self.incidents_view_ui(ui, now),
            // Syncs happen on the wall clock, whatever the mission clock says.
            View::Sync => sync_ui(
                ui,
                &self.link.status,
                self.reads.snapshot.as_ref(),
                tokens,
                Utc::now(),
                &mut self.pending,
            ),
            View::Settings => settings_ui(
                ui,
                self.settings.theme,
                self.settings.zoom,
                &self.data,
                tokens,
                &mut self.pending,
            ),
        });
        if let Some(command) = self.palette.ui(&ctx) {
            self.pending.push(command);
        }
        self.confirm_remove_demo_ui(&ctx);
        self.sign_in_ui(&ctx);

        for command in std::mem::take(&mut self.pending) {
            self.apply(&ctx, command);
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, eframe::APP_KEY, &self.settings);
    }
}
