//! The one way a time is stored, by the replica, the server and on the wire: RFC 3339 in UTC
//! to the millisecond, ending in `Z` (`2026-11-30T09:00:00.000Z`). Every stored time has the
//! same width, so SQLite's text order (and its indexes on time columns) is time order; the
//! replica's writer, the apply of pulled ops and the server turn any other RFC 3339 UTC form
//! they are given into this one, and replica migration 10 and server migration 7 turned the
//! times older versions stored (to the second) into it.

use chrono::{DateTime, SecondsFormat, SubsecRound as _, Utc};

/// `t` as stored (to the millisecond; finer digits are dropped, as SQLite drops them).
pub fn stored(t: DateTime<Utc>) -> String {
    t.trunc_subsecs(3)
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored time read back; any RFC 3339 form is read, older ones included.
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Whether `text` has the stored form's shape (a cheap test: it does not check the digits,
/// which the column rules did).
pub fn has_stored_form(text: &str) -> bool {
    let bytes = text.as_bytes();
    bytes.len() == 24 && bytes[10] == b'T' && bytes[19] == b'.' && bytes[23] == b'Z'
}

/// `text` in the stored form, when it is an RFC 3339 time in another form; `None` when it
/// already is in the stored form or is not a time at all.
pub fn restored(text: &str) -> Option<String> {
    if has_stored_form(text) {
        return None;
    }
    parse(text).map(stored)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_time_is_stored_in_one_form_whose_text_order_is_time_order() {
        let seconds = "2026-11-30T09:00:05Z";
        let millis = "2026-11-30T09:00:05.500Z";
        // As text, the two precisions sort the wrong way round; stored, they sort by time.
        assert!(seconds > millis);
        let (a, b) = (restored(seconds).unwrap(), millis.to_owned());
        assert_eq!(a, "2026-11-30T09:00:05.000Z");
        assert!(a < b);
        assert_eq!(restored(millis), None);
        assert_eq!(
            restored("2026-11-30T09:00:05.123456Z").as_deref(),
            Some("2026-11-30T09:00:05.123Z")
        );
        assert_eq!(
            restored("2026-11-30T10:00:05+01:00").as_deref(),
            Some("2026-11-30T09:00:05.000Z")
        );
        assert_eq!(restored("yesterday"), None);
        assert!(has_stored_form(&stored(Utc::now())));
        assert_eq!(parse(&a), parse(seconds));
    }

    #[test]
    fn the_migration_rewrites_every_time_column_of_the_registry_as_the_writer_would() {
        use crate::schema::registry::{TABLES, ValueRule};
        let sql = include_str!("schema/migrations/0010_one_time_form.sql");
        // Tables made by later migrations hold the one stored form from their first row.
        let later: String = crate::schema::MIGRATIONS
            .iter()
            .filter(|m| m.version > 10)
            .map(|m| m.sql)
            .collect();
        for table in TABLES {
            if later.contains(&format!("CREATE TABLE {} (", table.name)) {
                continue;
            }
            for column in table.columns {
                if column.rule == ValueRule::Timestamp {
                    let statement = format!("UPDATE {} SET {} = ", table.name, column.name);
                    assert!(sql.contains(&statement), "migration 10 misses {statement}");
                }
            }
        }
        // SQLite's rewrite and the writer's agree, and what SQLite cannot read stays.
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for given in [
            "2026-11-30T09:00:05Z",
            "2026-11-30T09:00:05.5Z",
            "2026-11-30T23:59:59.9996Z",
        ] {
            let sqlite: String = conn
                .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)", [given], |r| {
                    r.get(0)
                })
                .unwrap();
            assert_eq!(Some(sqlite), restored(given), "{given}");
        }
        let unreadable: Option<String> = conn
            .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'soon')", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(unreadable, None);
    }
}
