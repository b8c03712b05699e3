//! The go/no-go poll at this console: the poll list, the first contact after launch (an
//! orbit prediction, kept a minute), the criteria evaluated for each frame, and the poll's
//! commands applied to the replica.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use galaxium_sync::launch_poll::PollList;
use galaxium_sync::schema::registry::Role;

use super::app::{ConsoleApp, Notice};
use crate::ops::bookings::BookingError;
use crate::ops::launch_poll::{self, CriterionValue, Decision, PollInputs};
use crate::ops::sync_agent::SyncRequest;
use crate::views::launches::{LaunchesInput, launches_ui};
use crate::views::poll::PollInput;

/// How long a predicted first contact after launch is kept before it is predicted again.
const CONTACT_KEPT: Duration = Duration::from_mins(1);

/// A first contact after launch, predicted: (launch id, its time), when, and the answer.
type PredictedContact = (
    (String, DateTime<Utc>),
    Instant,
    Result<Option<(DateTime<Utc>, String)>, String>,
);

/// What the poll needs that is not in the replica.
pub(super) struct PollSupport {
    /// The shipped poll list, or why it cannot be read.
    pub(super) list: Result<PollList, String>,
    /// The first contact after a launch: (launch id, its time), when predicted, the answer.
    contact: Option<PredictedContact>,
}

impl Default for PollSupport {
    fn default() -> Self {
        Self {
            list: PollList::shipped().map_err(|e| e.to_string()),
            contact: None,
        }
    }
}

fn message(err: &BookingError) -> String {
    match err {
        BookingError::Refused(reason) => reason.clone(),
        other => format!("{other}"),
    }
}

impl ConsoleApp {
    /// The role this console answers a poll with: `None` for the replica's owner (not signed
    /// in), who may answer for any position at their own console.
    fn poll_role(&self) -> Result<Option<Role>, String> {
        match self.acting_role() {
            None => Ok(None),
            Some(Ok(role)) => Ok(Some(role)),
            Some(Err(word)) => Err(word),
        }
    }

    /// The selected launch's criteria as they stand now, predicting its first contact again
    /// when the prediction is a minute old or for another launch.
    pub(super) fn poll_criteria(&mut self, now: DateTime<Utc>) -> Vec<CriterionValue> {
        let (Ok(list), Some(detail)) = (&self.poll.list, &self.bookings.detail) else {
            return Vec::new();
        };
        // Nothing to evaluate for a launch that was never polled.
        if self.bookings.polls.is_empty() {
            return Vec::new();
        }
        let key = (detail.id.clone(), detail.scheduled_at);
        let fresh = self
            .poll
            .contact
            .as_ref()
            .is_some_and(|(of, at, _)| *of == key && at.elapsed() < CONTACT_KEPT);
        if !fresh {
            let found = launch_poll::first_contact_after(&self.orbit_data, detail);
            self.poll.contact = Some((key, Instant::now(), found));
        }
        let Some((_, _, contact)) = &self.poll.contact else {
            return Vec::new();
        };
        let most_severe = self
            .incident_data
            .severities
            .iter()
            .min_by_key(|s| s.rank)
            .map_or("SEV1", |s| s.code.as_str());
        let inputs = PollInputs {
            now,
            detail,
            telemetry: self.mission_loop.telemetry(),
            incidents: &self.incident_data.list,
            most_severe,
            first_contact: contact,
        };
        launch_poll::evaluate(list, &inputs, self.bookings.polls.first())
    }

    /// Draws the Launches view with the selected launch's poll.
    pub(super) fn launches_view_ui(
        &mut self,
        ui: &mut egui::Ui,
        tokens: galaxium_widgets::Tokens,
        now: DateTime<Utc>,
    ) {
        let criteria = self.poll_criteria(now);
        let untrusted = self.poll_untrusted();
        let (positions, directs) = self.poll_permissions();
        let poll = self.poll.list.as_ref().ok().map(|list| PollInput {
            list,
            polls: &self.bookings.polls,
            criteria: &criteria,
            positions: list
                .positions
                .iter()
                .filter(|p| positions.contains(&p.id))
                .collect(),
            directs,
            untrusted,
            now,
        });
        launches_ui(
            ui,
            &mut self.screens.launches,
            &LaunchesInput {
                data: &self.bookings,
                tokens,
                now,
                poll,
            },
            &mut self.pending,
        );
    }

    /// Why answers from other consoles may be missing, in words; `None` while synced.
    pub(super) fn poll_untrusted(&self) -> Option<String> {
        use crate::ops::sync_agent::LinkState;
        let status = self.sync_status();
        let last = status
            .last_success
            .map_or_else(|| "never".to_owned(), crate::views::format::utc_seconds);
        match &status.state {
            LinkState::SignedOut => Some(
                "This console is not connected to a server: only answers given here are shown, \
                 so the poll cannot be trusted."
                    .to_owned(),
            ),
            LinkState::Online | LinkState::Syncing
                if status
                    .last_success
                    .is_some_and(|t| Utc::now() - t < chrono::Duration::seconds(30)) =>
            {
                None
            }
            _ => Some(format!(
                "Offline (last synced {last}): answers from other consoles cannot arrive, so \
                 the poll cannot be trusted."
            )),
        }
    }

    /// Whether this console's user answers for `position`'s roles and directs the poll.
    pub(super) fn poll_permissions(&self) -> (Vec<String>, bool) {
        let Ok(list) = &self.poll.list else {
            return (Vec::new(), false);
        };
        match self.poll_role() {
            Ok(role) => {
                let positions = launch_poll::positions_for(list, role)
                    .into_iter()
                    .map(|p| p.id.clone())
                    .collect();
                let directs = role.is_none_or(|r| list.director().allows(r));
                (positions, directs)
            }
            Err(_) => (Vec::new(), false),
        }
    }

    fn poll_done(&mut self, said: Result<String, String>) {
        match said {
            Ok(sentence) => {
                self.screens.launches.poll.recorded();
                self.set_notice(Notice::info(sentence));
                self.request_sync(SyncRequest::SyncNow);
            }
            Err(reason) => {
                self.screens.launches.poll.error = Some(reason.clone());
                self.set_notice(Notice::error(reason));
            }
        }
        self.refresh();
    }

    pub(super) fn open_poll(&mut self, launch_id: &str) {
        let (user, now) = (self.operator_name(), self.now());
        let said = launch_poll::open(&mut self.replica, launch_id, &user, now)
            .map(|_| "Go/no-go poll opened: every position answers from its console.".to_owned())
            .map_err(|e| message(&e));
        self.poll_done(said);
    }

    pub(super) fn answer_poll(&mut self, poll_id: &str, position: &str, go: bool, note: &str) {
        let (user, now) = (self.operator_name(), self.now());
        let said = match &self.poll.list {
            Ok(list) => {
                let name = list
                    .position(position)
                    .map_or(position, |p| p.name.as_str())
                    .to_owned();
                launch_poll::answer(
                    &mut self.replica,
                    list,
                    poll_id,
                    (position, go, note),
                    &user,
                    now,
                )
                .map(|()| format!("{name}: {}.", if go { "GO" } else { "NO-GO" }))
                .map_err(|e| message(&e))
            }
            Err(err) => Err(err.clone()),
        };
        self.poll_done(said);
    }

    pub(super) fn waive_criterion(
        &mut self,
        poll_id: &str,
        criterion: &CriterionValue,
        reason: &str,
    ) {
        let (user, now) = (self.operator_name(), self.now());
        let said = launch_poll::waive(&mut self.replica, poll_id, criterion, reason, &user, now)
            .map(|()| format!("{} waived: {reason}.", criterion.name))
            .map_err(|e| message(&e));
        self.poll_done(said);
    }

    pub(super) fn decide_poll(
        &mut self,
        poll_id: &str,
        decision: Decision,
        note: &str,
        criteria: &[CriterionValue],
    ) {
        let (user, now) = (self.operator_name(), self.now());
        let said = match &self.poll.list {
            Ok(list) => launch_poll::decide(
                &mut self.replica,
                list,
                poll_id,
                (decision, note),
                criteria,
                &user,
                now,
            )
            .map(|affected| match decision {
                Decision::Go => "GO for launch.".to_owned(),
                Decision::Hold => format!("HOLD: {note}."),
                Decision::Scrub => format!(
                    "SCRUB: {note}. The launch is scrubbed; {} booking(s) wait for a new date.",
                    affected.len()
                ),
            })
            .map_err(|e| message(&e)),
            Err(err) => Err(err.clone()),
        };
        self.poll_done(said);
    }
}
