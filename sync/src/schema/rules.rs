//! Rules that judge a value by when the edit was made, or by the shape inside a JSON column:
//! the same code on the console (before anything is written) and on the server (against the
//! op's clock time, the time the edit was made wherever it was made), so that a launch in the
//! past, a negative fare and a birth date in the future are refused by both.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde_json::{Map, Value};

use super::registry::ValueProblem;
use super::words::LaunchStatus;

/// How long before its arrival the server believes an edit was made: an op's clock time
/// older than this is judged as if made this long ago.
pub const OLDEST_EDIT_JUDGED: Duration = Duration::hours(24);

/// How far before the edit a bookable launch may be put (a clock a few minutes off, a launch
/// entered as it happens).
pub const LAUNCH_PAST_TOLERANCE: Duration = Duration::minutes(10);

/// Checks the rules of `table` that need the time of the edit. `values` are the columns the
/// edit sets; `status` is the row's status after it (from `values`, or the stored row's for an
/// update that does not set one), for the rules that depend on it.
pub fn check_edit(
    table: &str,
    values: &Map<String, Value>,
    status: Option<&str>,
    made_at: DateTime<Utc>,
) -> Result<(), ValueProblem> {
    match table {
        "launches" => {
            if let Some(fares) = values.get("fare_classes") {
                check_fares(fares)?;
            }
            let bookable = values
                .get("status")
                .and_then(Value::as_str)
                .or(status)
                .and_then(LaunchStatus::parse)
                .is_some_and(LaunchStatus::takes_bookings);
            if bookable
                && let Some(text) = values.get("scheduled_at").and_then(Value::as_str)
                && let Some(at) = crate::time::parse(text)
                && at < made_at - LAUNCH_PAST_TOLERANCE
            {
                return Err(problem(
                    "scheduled_at",
                    format!(
                        "{} is in the past (the edit was made at {}): a launch that takes \
                         bookings must be in the future",
                        at.format("%Y-%m-%d %H:%M UTC"),
                        made_at.format("%Y-%m-%d %H:%M UTC")
                    ),
                ));
            }
            Ok(())
        }
        "passengers" => {
            // A day's grace: the edit's date where the passenger lives may be tomorrow's.
            let latest = (made_at + Duration::days(1)).date_naive();
            for (column, what) in [
                ("date_of_birth", "a date of birth"),
                ("training_completed_on", "a training date"),
                ("waiver_signed_on", "a waiver's signing date"),
            ] {
                if let Some(day) = values
                    .get(column)
                    .and_then(Value::as_str)
                    .and_then(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d").ok())
                    && day > latest
                {
                    return Err(problem(
                        column,
                        format!("{day} is in the future: {what} cannot be"),
                    ));
                }
            }
            Ok(())
        }
        "passenger_documents" => check_document_scan(values),
        "checkin_overrides" => match values.get("waived") {
            Some(waived) => check_waived(waived),
            None => Ok(()),
        },
        _ => Ok(()),
    }
}

/// A document's scan: base64 that decodes to the size the row states, within the limit.
fn check_document_scan(values: &Map<String, Value>) -> Result<(), ValueProblem> {
    use base64::Engine as _;
    // Blanked for roles that may not read it; the size column carries the limit.
    let Some(content) = values.get("content").and_then(Value::as_str) else {
        return Ok(());
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(content)
        .map_err(|_| {
            problem(
                "content",
                "is not base64: the scan did not arrive whole".into(),
            )
        })?;
    let limit = super::registry::MAX_DOCUMENT_BYTES;
    if i64::try_from(bytes.len()).map_or(true, |n| n > limit) {
        return Err(problem(
            "content",
            format!(
                "is {} KiB; a document scan is at most {} KiB",
                bytes.len() / 1024,
                limit / 1024
            ),
        ));
    }
    let stated = values.get("size_bytes").and_then(Value::as_i64);
    if stated.is_some_and(|n| i64::try_from(bytes.len()).ok() != Some(n)) {
        return Err(problem(
            "content",
            format!(
                "is {} bytes but the row says {}",
                bytes.len(),
                stated.unwrap_or_default()
            ),
        ));
    }
    Ok(())
}

/// The NO-GO reasons a supervisor waived: a list of `{"kind", "text"}`, each of a kind a
/// supervisor may waive (never medical or mass).
fn check_waived(waived: &Value) -> Result<(), ValueProblem> {
    let parsed;
    let waived = match waived {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| problem("waived", format!("is not JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let Some(list) = waived.as_array().filter(|l| !l.is_empty()) else {
        return Err(problem(
            "waived",
            "must list the NO-GO reasons the supervisor waived".into(),
        ));
    };
    for reason in list {
        let kind = reason.get("kind").and_then(Value::as_str).unwrap_or("");
        if !super::registry::WAIVABLE_NO_GO.contains(&kind) {
            return Err(problem(
                "waived",
                format!(
                    "a {kind:?} reason cannot be overridden at check-in (only {})",
                    super::registry::WAIVABLE_NO_GO.join(", ")
                ),
            ));
        }
    }
    Ok(())
}

/// A launch's fare classes: a list of objects, each with a code, a price in minor units that
/// is a whole number not below zero, and a three-letter currency.
fn check_fares(fares: &Value) -> Result<(), ValueProblem> {
    let parsed;
    let fares = match fares {
        Value::String(text) => {
            parsed = serde_json::from_str::<Value>(text)
                .map_err(|e| problem("fare_classes", format!("is not JSON: {e}")))?;
            &parsed
        }
        other => other,
    };
    let Some(list) = fares.as_array() else {
        return Err(problem(
            "fare_classes",
            "must be a list of fare classes".into(),
        ));
    };
    for fare in list {
        let code = fare.get("code").and_then(Value::as_str).unwrap_or("");
        if code.trim().is_empty() {
            return Err(problem("fare_classes", "a fare class has no code".into()));
        }
        match fare.get("price_minor").and_then(Value::as_i64) {
            Some(price) if price >= 0 => {}
            Some(price) => {
                return Err(problem(
                    "fare_classes",
                    format!("fare {code} has a negative price ({price}); a price is 0 or more"),
                ));
            }
            None => {
                return Err(problem(
                    "fare_classes",
                    format!("fare {code} has no price in whole minor units (cents)"),
                ));
            }
        }
        let currency = fare.get("currency").and_then(Value::as_str).unwrap_or("");
        if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
            return Err(problem(
                "fare_classes",
                format!("fare {code} has currency {currency:?}; use a three-letter ISO code"),
            ));
        }
    }
    Ok(())
}

fn problem(column: &str, reason: String) -> ValueProblem {
    ValueProblem {
        column: column.to_owned(),
        reason,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn at(text: &str) -> DateTime<Utc> {
        text.parse().unwrap()
    }

    fn values(v: Value) -> Map<String, Value> {
        let Value::Object(map) = v else {
            panic!("an object")
        };
        map
    }

    #[test]
    fn a_bookable_launch_in_the_past_is_refused_a_flown_one_is_not() {
        let made = at("2026-11-30T12:00:00Z");
        let past =
            values(json!({"scheduled_at": "2026-11-29T12:00:00.000Z", "status": "scheduled"}));
        let refused = check_edit("launches", &past, None, made).unwrap_err();
        assert_eq!(refused.column, "scheduled_at");
        assert!(refused.reason.contains("is in the past"), "{refused}");
        let landed =
            values(json!({"scheduled_at": "2026-11-29T12:00:00.000Z", "status": "landed"}));
        assert!(check_edit("launches", &landed, None, made).is_ok());
        // A move of a planned launch's time, judged by the stored status.
        let moved = values(json!({"scheduled_at": "2026-11-29T12:00:00.000Z"}));
        assert!(check_edit("launches", &moved, Some("planned"), made).is_err());
        let soon = values(json!({"scheduled_at": "2026-11-30T11:55:00.000Z"}));
        assert!(check_edit("launches", &soon, Some("planned"), made).is_ok());
    }

    #[test]
    fn a_negative_fare_is_refused_naming_the_fare() {
        let made = at("2026-11-30T12:00:00Z");
        let fares = json!([
            {"code": "ORB", "name": "Orbital", "price_minor": 100, "currency": "USD"},
            {"code": "SUB", "name": "Suborbital", "price_minor": -5, "currency": "USD"}
        ]);
        let as_text = values(json!({"fare_classes": fares.to_string()}));
        let refused = check_edit("launches", &as_text, None, made).unwrap_err();
        assert!(
            refused
                .reason
                .contains("fare SUB has a negative price (-5)"),
            "{refused}"
        );
        let bad_currency =
            values(json!({"fare_classes": [{"code": "A", "price_minor": 1, "currency": "usd"}]}));
        assert!(check_edit("launches", &bad_currency, None, made).is_err());
        let fine =
            values(json!({"fare_classes": [{"code": "A", "price_minor": 0, "currency": "EUR"}]}));
        assert!(check_edit("launches", &fine, None, made).is_ok());
    }

    #[test]
    fn a_birth_or_training_date_in_the_future_is_refused() {
        let made = at("2026-11-30T12:00:00Z");
        for column in ["date_of_birth", "training_completed_on", "waiver_signed_on"] {
            let future = values(json!({ column: "2027-01-01" }));
            let refused = check_edit("passengers", &future, None, made).unwrap_err();
            assert_eq!(refused.column, column);
            assert!(refused.reason.contains("in the future"));
            let tomorrow = values(json!({ column: "2026-12-01" }));
            assert!(check_edit("passengers", &tomorrow, None, made).is_ok());
        }
    }
}
