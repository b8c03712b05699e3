//! The commanding rules, judged against the command dictionary the console uses: only the
//! roles a command names may queue, approve, release or cancel it; its arguments must be
//! what it takes; a hazardous command must carry its sender's confirmation; a two-person
//! command is approved by another user than its sender before it is released; a command,
//! once queued, says what it is for good (cancel it and queue another), and is never
//! deleted. Who queued and who approved is the server's word (see `ACTOR_COLUMNS`).

use std::sync::OnceLock;

use serde_json::{Map, Value};

use super::{Ledger, StoredRow};
use crate::auth::Principal;
use crate::store::StoreError;
use galaxium_sync::commanding::{CommandDictionary, CommandSpec, DictionaryError};
use galaxium_sync::protocol::{Op, OpKind};

/// Columns that say what a command is: set when it is queued, never changed.
const FIXED_COLUMNS: &[&str] = &[
    "name",
    "arguments",
    "hazard_confirmed",
    "queued_by",
    "queued_at",
    "device_id",
];

fn dictionary() -> Result<&'static CommandDictionary, &'static DictionaryError> {
    static DICTIONARY: OnceLock<Result<CommandDictionary, DictionaryError>> = OnceLock::new();
    DICTIONARY.get_or_init(CommandDictionary::shipped).as_ref()
}

/// Why an op on the commanding tables breaks a commanding rule; `None` when it keeps them
/// (the table's other rules are judged apart).
pub(super) fn refusal(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
    existing: Option<&StoredRow>,
) -> Result<Option<String>, StoreError> {
    match op.table.as_str() {
        "commands" => Ok(command_refusal(principal, op, existing)),
        "command_stages" => stage_refusal(ledger, principal, op),
        _ => Ok(None),
    }
}

fn text<'a>(row: &'a Map<String, Value>, column: &str) -> Option<&'a str> {
    row.get(column).and_then(Value::as_str)
}

/// The dictionary's entry for `name`, and whether `principal` may send it; the refusal if not.
fn spec_for<'a>(principal: &Principal, name: &str) -> Result<&'a CommandSpec, String> {
    let dictionary = dictionary().map_err(|err| format!("the server cannot read {err}"))?;
    let spec = dictionary
        .get(name)
        .ok_or_else(|| format!("there is no command {name:?} in the command dictionary"))?;
    let role = principal.commanding_role();
    if !spec.allows(role) {
        return Err(format!(
            "{name} may be queued, approved and released only by {}; the {} role may not",
            spec.roles_in_words(),
            role.as_str()
        ));
    }
    Ok(spec)
}

fn command_refusal(principal: &Principal, op: &Op, existing: Option<&StoredRow>) -> Option<String> {
    let stored = existing.filter(|row| !row.deleted).map(|row| &row.data);
    if op.kind == OpKind::Delete {
        return Some(
            "commands are never deleted: they are the record of what was sent; cancel one that waits"
                .to_owned(),
        );
    }
    let name = stored
        .and_then(|row| text(row, "name"))
        .or_else(|| text(&op.payload, "name"))
        .unwrap_or_default();
    let spec = match spec_for(principal, name) {
        Ok(spec) => spec,
        Err(refusal) => return Some(refusal),
    };
    match stored {
        None => new_command_refusal(spec, &op.payload),
        Some(stored) => changed_command_refusal(spec, principal, &op.payload, stored),
    }
}

fn new_command_refusal(spec: &CommandSpec, row: &Map<String, Value>) -> Option<String> {
    if text(row, "status") != Some("queued") {
        return Some(format!(
            "a new command starts queued, not {}",
            row.get("status").map_or_else(String::new, Value::to_string)
        ));
    }
    let arguments = match row.get("arguments") {
        Some(Value::Object(map)) => map.clone(),
        Some(Value::String(json)) => match serde_json::from_str::<Map<String, Value>>(json) {
            Ok(map) => map,
            Err(_) => return Some("its arguments must be a JSON object".to_owned()),
        },
        _ => return Some("its arguments must be a JSON object".to_owned()),
    };
    if let Err(problem) = spec.check_arguments(&arguments) {
        return Some(problem.to_string());
    }
    let confirmed = matches!(row.get("hazard_confirmed"), Some(Value::Bool(true)))
        || row.get("hazard_confirmed").and_then(Value::as_i64) == Some(1);
    if let Some(hazard) = &spec.hazard
        && !confirmed
    {
        return Some(format!(
            "{} is hazardous and its sender did not confirm the hazard: {hazard}",
            spec.name
        ));
    }
    None
}

fn changed_command_refusal(
    spec: &CommandSpec,
    principal: &Principal,
    change: &Map<String, Value>,
    stored: &Map<String, Value>,
) -> Option<String> {
    if let Some(column) = FIXED_COLUMNS
        .iter()
        .find(|c| change.get(**c).is_some_and(|v| Some(v) != stored.get(**c)))
    {
        return Some(format!(
            "a command's {column} is set when it is queued and never changes; cancel it and queue another"
        ));
    }
    let sender = text(stored, "queued_by").unwrap_or_default();
    match (text(stored, "status"), text(change, "status")) {
        (Some("queued"), Some("approved")) if !spec.two_person => Some(format!(
            "{} does not need a second person's approval",
            spec.name
        )),
        (_, Some("approved")) if principal.user == sender => Some(format!(
            "{} needs the approval of another user than its sender ({sender} queued it)",
            spec.name
        )),
        (Some("queued"), Some("released")) if spec.two_person => Some(format!(
            "{} needs another user's approval before it is released",
            spec.name
        )),
        _ => None,
    }
}

fn stage_refusal(
    ledger: &mut impl Ledger,
    principal: &Principal,
    op: &Op,
) -> Result<Option<String>, StoreError> {
    let Some(command_id) = text(&op.payload, "command_id") else {
        return Ok(None);
    };
    // A stage of a command the server does not hold is refused by the reference rule.
    let Some(command) = ledger.row("commands", command_id)?.filter(|r| !r.deleted) else {
        return Ok(None);
    };
    let name = text(&command.data, "name").unwrap_or_default();
    let spec = match spec_for(principal, name) {
        Ok(spec) => spec,
        Err(refusal) => return Ok(Some(refusal)),
    };
    // A stage records the move its command made just before (in the same push): a stage
    // whose move was refused, or never made, is refused too.
    let (stage, status) = (
        text(&op.payload, "stage").unwrap_or_default(),
        text(&command.data, "status").unwrap_or_default(),
    );
    if stage != status {
        return Ok(Some(format!(
            "{} is {status}: it cannot be recorded as {stage}",
            spec.name
        )));
    }
    if stage == "approved" {
        let sender = text(&command.data, "queued_by").unwrap_or_default();
        if !spec.two_person {
            return Ok(Some(format!(
                "{} does not need a second person's approval",
                spec.name
            )));
        }
        if principal.user == sender {
            return Ok(Some(format!(
                "{} needs the approval of another user than its sender ({sender} queued it)",
                spec.name
            )));
        }
    }
    Ok(None)
}

/// The audit log's word for a command's stage.
pub(crate) fn audit_action(stage: &str) -> &'static str {
    match stage {
        "queued" => "command-queued",
        "approved" => "command-approved",
        "released" => "command-released",
        "sent" => "command-sent",
        "verified" => "command-verified",
        "failed" => "command-failed",
        "cancelled" => "command-cancelled",
        _ => "command-stage",
    }
}
