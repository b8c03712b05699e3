//! The launch-day rules, judged against the go/no-go poll list the console uses: only the
//! roles a position names answer for it; only the flight director's roles open a poll, waive a
//! criterion and decide it; GO for launch needs every position's standing answer GO and every
//! red criterion waived; a poll is never deleted and takes no answer once decided. At the desk,
//! only a supervisor overrides a NO-GO (the waivable reasons are checked with the values).
//! Who answered, waived, opened, decided and overrode is the server's word (`ACTOR_COLUMNS`).

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{Ledger, StoredRow};
use crate::auth::Principal;
use crate::store::StoreError;
use galaxium_sync::launch_poll::{PollList, PollListError, Position};
use galaxium_sync::protocol::{Op, OpKind};
use galaxium_sync::schema::registry::{Role, SUPERVISOR_ROLES};

/// How far ahead of the server's clock an answer may be dated (consoles' clocks drift).
const ANSWER_CLOCK_TOLERANCE: chrono::Duration = chrono::Duration::minutes(5);

fn poll_list() -> Result<&'static PollList, &'static PollListError> {
    static LIST: OnceLock<Result<PollList, PollListError>> = OnceLock::new();
    LIST.get_or_init(PollList::shipped).as_ref()
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

/// Why an op on the launch-day tables breaks a launch-day rule; `None` when it keeps them.
pub(super) fn refusal(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
    existing: Option<&StoredRow>,
) -> Result<Option<String>, StoreError> {
    match op.table.as_str() {
        "launch_polls" => poll_refusal(ledger, principal, op, existing),
        "poll_answers" => answer_refusal(ledger, principal, op),
        "poll_waivers" => waiver_refusal(ledger, principal, op),
        "checkin_overrides" => Ok(override_refusal(principal)),
        _ => Ok(None),
    }
}

/// The role a poll is answered with: a trainee in a session acts as a controller, as in
/// commanding.
fn acting_role(principal: &Principal) -> Role {
    principal.commanding_role()
}

fn directs(principal: &Principal) -> Result<(), String> {
    let list = poll_list().map_err(|err| format!("the server cannot read {err}"))?;
    let director = list.director();
    if director.allows(acting_role(principal)) {
        Ok(())
    } else {
        Err(format!(
            "only the {} ({}) opens, waives and decides a go/no-go poll; the {} role may not",
            director.name.to_lowercase(),
            director.roles_in_words(),
            acting_role(principal).as_str()
        ))
    }
}

/// The poll an answer or a waiver is for, when it is open; the refusal when it is decided. A
/// poll the server does not hold is refused by the reference rule.
fn open_poll(
    ledger: &mut impl Ledger,
    row: &Map<String, Value>,
) -> Result<Result<Option<StoredRow>, String>, StoreError> {
    let Some(poll_id) = text(row, "poll_id") else {
        return Ok(Ok(None));
    };
    let Some(poll) = ledger.row("launch_polls", poll_id)?.filter(|r| !r.deleted) else {
        return Ok(Ok(None));
    };
    match text(&poll.data, "status") {
        Some(decided) if decided != "open" => Ok(Err(format!(
            "the poll was decided ({}): it takes no more answers or waivers; open a new poll",
            decided.to_uppercase()
        ))),
        _ => Ok(Ok(Some(poll))),
    }
}

fn answer_refusal(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
) -> Result<Option<String>, StoreError> {
    let list = match poll_list() {
        Ok(list) => list,
        Err(err) => return Ok(Some(format!("the server cannot read {err}"))),
    };
    let position_id = text(&op.payload, "position").unwrap_or_default();
    let Some(position) = list.position(position_id) else {
        return Ok(Some(format!(
            "there is no position {position_id:?} on the go/no-go poll list"
        )));
    };
    if !position.allows(acting_role(principal)) {
        return Ok(Some(format!(
            "{} answers only as {}; the {} role may not answer for it",
            position.name,
            position.roles_in_words(),
            acting_role(principal).as_str()
        )));
    }
    // The latest answer of a position stands: one dated ahead would stand over every later
    // answer of that position.
    if let Some(at) = text(&op.payload, "answered_at").and_then(galaxium_sync::time::parse)
        && at > chrono::Utc::now() + ANSWER_CLOCK_TOLERANCE
    {
        return Ok(Some(format!(
            "the answer is dated {} UTC, ahead of the server's clock: check this console's clock",
            at.format("%Y-%m-%d %H:%M:%S")
        )));
    }
    Ok(open_poll(ledger, &op.payload)?.err())
}

fn waiver_refusal(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
) -> Result<Option<String>, StoreError> {
    if let Err(refusal) = directs(principal) {
        return Ok(Some(refusal));
    }
    let criterion = text(&op.payload, "criterion").unwrap_or_default();
    if poll_list().is_ok_and(|list| list.criterion(criterion).is_none()) {
        return Ok(Some(format!(
            "there is no commit criterion {criterion:?} on the go/no-go poll list"
        )));
    }
    Ok(open_poll(ledger, &op.payload)?.err())
}

fn poll_refusal(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
    existing: Option<&StoredRow>,
) -> Result<Option<String>, StoreError> {
    if op.kind == OpKind::Delete {
        return Ok(Some(
            "go/no-go polls are never deleted: they are the record of the launch decision"
                .to_owned(),
        ));
    }
    if let Err(refusal) = directs(principal) {
        return Ok(Some(refusal));
    }
    let stored = existing.filter(|row| !row.deleted).map(|row| &row.data);
    let Some(stored) = stored else {
        if text(&op.payload, "status") != Some("open") {
            return Ok(Some("a new go/no-go poll starts open".to_owned()));
        }
        let launch_id = text(&op.payload, "launch_id").unwrap_or_default();
        let open = ledger.live_rows_holding(
            "launch_polls",
            &[("launch_id", launch_id), ("status", "open")],
            &op.row_id,
        )?;
        return Ok((!open.is_empty())
            .then(|| "a go/no-go poll is already open for this launch".to_owned()));
    };
    for column in ["launch_id", "opened_at", "opened_by"] {
        if op
            .payload
            .get(column)
            .is_some_and(|v| Some(v) != stored.get(column))
        {
            return Ok(Some(format!(
                "a poll's {column} is set when it opens and never changes"
            )));
        }
    }
    if text(&op.payload, "status") == Some("go") {
        return go_refusal(ledger, &op.row_id, &op.payload);
    }
    Ok(None)
}

/// Why GO for launch may not be called: a position whose standing answer is not GO, or a red
/// criterion in the decision's record without a waiver.
fn go_refusal(
    ledger: &mut impl Ledger,
    poll_id: &str,
    decision: &Map<String, Value>,
) -> Result<Option<String>, StoreError> {
    let list = match poll_list() {
        Ok(list) => list,
        Err(err) => return Ok(Some(format!("the server cannot read {err}"))),
    };
    let answers = ledger.live_rows_holding("poll_answers", &[("poll_id", poll_id)], "")?;
    let standing = standing_answers(&answers);
    let not_go: Vec<&str> = list
        .positions
        .iter()
        .filter(|p| standing.get(p.id.as_str()).copied() != Some("go"))
        .map(|p: &Position| p.name.as_str())
        .collect();
    if !not_go.is_empty() {
        return Ok(Some(format!(
            "GO for launch needs every position GO; not GO: {}",
            not_go.join(", ")
        )));
    }
    let criteria: Vec<Value> = match decision.get("criteria") {
        Some(Value::Array(list)) => list.clone(),
        Some(Value::String(json)) => serde_json::from_str(json).unwrap_or_default(),
        _ => Vec::new(),
    };
    let waivers = ledger.live_rows_holding("poll_waivers", &[("poll_id", poll_id)], "")?;
    for criterion in &list.criteria {
        let Some(record) = criteria
            .iter()
            .find(|c| c.get("id").and_then(Value::as_str) == Some(criterion.id.as_str()))
        else {
            return Ok(Some(format!(
                "GO for launch records every commit criterion; {} is missing",
                criterion.name
            )));
        };
        let green = record.get("ok").and_then(Value::as_bool) == Some(true);
        let waived = waivers
            .iter()
            .any(|w| text(w, "criterion") == Some(criterion.id.as_str()));
        if !green && !waived {
            return Ok(Some(format!(
                "{} is red and not waived: the flight director waives it with a reason before GO",
                criterion.name
            )));
        }
    }
    Ok(None)
}

/// Each position's latest answer.
fn standing_answers(answers: &[Map<String, Value>]) -> HashMap<&str, &str> {
    let mut latest: HashMap<&str, (&str, &str)> = HashMap::new();
    for answer in answers {
        let (Some(position), Some(word), Some(at)) = (
            text(answer, "position"),
            text(answer, "answer"),
            text(answer, "answered_at"),
        ) else {
            continue;
        };
        let newer = latest.get(position).is_none_or(|(seen, _)| at >= *seen);
        if newer {
            latest.insert(position, (at, word));
        }
    }
    latest.into_iter().map(|(p, (_, w))| (p, w)).collect()
}

fn override_refusal(principal: &Principal) -> Option<String> {
    (!SUPERVISOR_ROLES.contains(&principal.role)).then(|| {
        format!(
            "only a supervisor (admin) overrides a NO-GO at check-in; the {} role may not",
            principal.role.as_str()
        )
    })
}
