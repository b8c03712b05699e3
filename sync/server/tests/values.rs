//! Values: one declaration (the registry's column rules) serves the server and the replicas.
//! Property tests over every column of every replicated table:
//!
//! - whatever value the registry accepts, a replica's SQL schema accepts too, so nothing the
//!   server accepts can fail to apply on a replica;
//! - out-of-range, wrong-type, null and unknown-word values are refused by the server, naming
//!   the column.
//!
//! `PROPTEST_CASES` sets how many cases each property runs (256 by default).

#![allow(
    clippy::unwrap_used,
    reason = "test helpers: a failed unwrap is a failed test"
)]

use std::cell::RefCell;

use galaxium_server::auth::Principal;
use std::sync::Arc;

use galaxium_server::store::Store;
use galaxium_server::testing::TestDatabase;
use galaxium_sync::protocol::{Op, OpKind, OpResult, ServerOp};
use galaxium_sync::replica;
use galaxium_sync::schema::registry::{Bound, Column, ReplicatedTable, Role, TABLES, ValueRule};
use galaxium_sync::{OpenOptions, Replica};
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// A value that fits `rule`.
fn valid(rule: ValueRule) -> Value {
    match rule {
        ValueRule::Text { min_chars } => json!("x".repeat(min_chars.max(1))),
        ValueRule::TextOfLength(n) => json!("A".repeat(n)),
        ValueRule::OneOf(words) => json!(words[0]),
        ValueRule::Id => json!("0190a000-0000-7000-8000-000000000001"),
        ValueRule::Timestamp => json!("2030-01-01T12:00:00Z"),
        ValueRule::Date => json!("1990-06-15"),
        ValueRule::Json => json!("[]"),
        ValueRule::Integer { min, max } => json!(1_i64.clamp(min, max)),
        ValueRule::Real { min, max } => {
            let low = match min {
                Bound::None => 0.0,
                Bound::Inclusive(b) => b,
                Bound::Exclusive(b) => b + 1.0,
            };
            let value = match max {
                Bound::Inclusive(b) => low.min(b),
                Bound::Exclusive(b) => low.min(b - 1.0),
                Bound::None => low,
            };
            json!(value)
        }
        ValueRule::Flag => json!(false),
    }
}

fn valid_row(spec: &ReplicatedTable) -> Map<String, Value> {
    let mut row: Map<String, Value> = spec
        .columns
        .iter()
        .map(|c| (c.name.to_owned(), valid(c.rule)))
        .collect();
    if spec.name == "commands" {
        // A command the dictionary holds, as it is queued.
        row.insert("name".into(), json!("PWR.BUS_B_ENABLE"));
        row.insert("arguments".into(), json!("{}"));
        row.insert("status".into(), json!("queued"));
    }
    row
}

/// Values of every shape, with the edges of the schema's ranges and words among them.
fn any_value() -> impl Strategy<Value = Value> {
    let edges = [
        -180.0, -180.000_1, 180.0, 180.000_1, -90.0, -90.5, 90.0, 90.5, 0.0, -0.0, -1e-9, 1e-9,
        1000.0, 1001.0, 0.5, -5.0, 1e300, -1e300,
    ];
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e6_f64..1e6).prop_map(|n| json!(n)),
        prop::sample::select(edges.to_vec()).prop_map(|n| json!(n)),
        "[ -~]{0,8}".prop_map(Value::String),
        prop::sample::select(vec![
            json!("2026-11-30T09:00:00Z"),
            json!("2026-11-30T09:00:00+02:00"),
            json!("2026-11-30"),
            json!("2026-13-45"),
            json!("[]"),
            json!("{}"),
            json!("not json"),
            json!([1]),
            json!({"a": 1}),
            json!("confirmed"),
            json!("hacked"),
            json!("scheduled"),
            json!("cleared"),
            json!("USD"),
            json!("ABC123"),
            json!(""),
        ]),
    ]
}

thread_local! {
    /// One replica for all cases: each case adds a row of its own.
    static REPLICA: RefCell<(tempfile::TempDir, Replica, u64)> = RefCell::new({
        let dir = tempfile::tempdir().unwrap();
        let replica =
            Replica::open(&dir.path().join("replica.sqlite"), &OpenOptions::default()).unwrap();
        (dir, replica, 0)
    });
}

/// Applies `row` to the shared replica as a pulled insert; returns how many ops were set
/// aside (0 when it applied).
fn apply_on_replica(spec: &ReplicatedTable, row: Map<String, Value>) -> u64 {
    REPLICA.with(|cell| {
        let (_, replica, cursor) = &mut *cell.borrow_mut();
        *cursor += 1;
        let op = ServerOp {
            cursor: *cursor,
            op: Op {
                op_id: replica::new_id(),
                device_id: "elsewhere".into(),
                seq: *cursor,
                hlc: format!("{:015}-{:06}-elsewhere", 1_800_000_000_000_u64, *cursor),
                table: spec.name.into(),
                row_id: replica::new_id(),
                kind: OpKind::Insert,
                payload: row,
            },
            notice: None,
            by: None,
        };
        replica
            .apply_pulled(std::slice::from_ref(&op), *cursor)
            .unwrap()
            .set_aside
    })
}

proptest! {
    #[test]
    fn whatever_the_registry_accepts_a_replica_applies(
        table in 0..TABLES.len(),
        pick in any::<prop::sample::Index>(),
        value in any_value(),
    ) {
        let spec = &TABLES[table];
        let column = pick.get(spec.columns);
        let mut row = valid_row(spec);
        row.insert(column.name.to_owned(), value.clone());
        if spec.check_values(&row).is_ok() {
            // The replica checks values with the same rules before SQLite sees them, so this
            // also proves SQLite's own constraints refuse nothing the rules let through.
            prop_assert_eq!(
                apply_on_replica(spec, row),
                0,
                "{}.{} = {} passes the registry but not the replica",
                spec.name,
                column.name,
                value
            );
        }
    }
}

/// A value `column` must refuse, of the kind `kind` picks: null, wrong type, out of range,
/// unknown word. `None` when the column has no such value (a nullable column takes null).
fn bad_value(column: &Column, kind: usize) -> Option<Value> {
    match kind % 4 {
        0 => (!column.nullable).then_some(Value::Null),
        1 => Some(match column.rule {
            ValueRule::Integer { .. } | ValueRule::Real { .. } => json!("five"),
            ValueRule::Flag => json!(2),
            _ => json!(5),
        }),
        2 => match column.rule {
            ValueRule::Real {
                min: Bound::Inclusive(b) | Bound::Exclusive(b),
                ..
            } => Some(json!(b - 0.5)),
            ValueRule::Real {
                max: Bound::Inclusive(b) | Bound::Exclusive(b),
                ..
            } => Some(json!(b + 0.5)),
            ValueRule::Integer { min, .. } if min > i64::MIN => Some(json!(min - 1)),
            ValueRule::Integer { .. } => Some(json!(0.5)),
            ValueRule::TextOfLength(n) => Some(json!("A".repeat(n + 1))),
            ValueRule::Text { min_chars } if min_chars > 0 => Some(json!("")),
            ValueRule::Timestamp => Some(json!("yesterday")),
            ValueRule::Date => Some(json!("2026-02-30")),
            ValueRule::Json => Some(json!("{not json")),
            _ => None,
        },
        _ => match column.rule {
            ValueRule::OneOf(_) => Some(json!("hacked")),
            _ => None,
        },
    }
}

thread_local! {
    static SERVER: RefCell<(tempfile::TempDir, Arc<dyn Store>, u64)> = RefCell::new({
        let dir = tempfile::tempdir().unwrap();
        let store = TestDatabase::fresh(dir.path()).open();
        (dir, store, 0)
    });
}

proptest! {
    #[test]
    fn the_server_refuses_bad_values_naming_the_column(
        table in 0..TABLES.len(),
        pick in any::<prop::sample::Index>(),
        kind in 0_usize..4,
        update in any::<bool>(),
    ) {
        let spec = &TABLES[table];
        // Tables without references, so a good row needs no parents.
        prop_assume!(spec.foreign_keys.is_empty() && spec.writable_by(Role::Admin));
        let column = pick.get(spec.columns);
        let Some(bad) = bad_value(column, kind) else {
            return Ok(());
        };
        SERVER.with(|cell| {
            let (_, store, seq) = &mut *cell.borrow_mut();
            // Commands are sent by the roles the command dictionary names.
            let admin = if spec.name == "commands" {
                Principal::of("ada", Role::Controller)
            } else {
                Principal::of("ada", Role::Admin)
            };
            let row_id = replica::new_id();
            let mut push = |kind: OpKind, payload: Map<String, Value>| {
                *seq += 1;
                let op = Op {
                    op_id: replica::new_id(),
                    device_id: "console-a".into(),
                    seq: *seq,
                    hlc: format!("{:015}-{:06}-console-a", 1_700_000_000_000_u64, *seq),
                    table: spec.name.into(),
                    row_id: row_id.clone(),
                    kind,
                    // Keys must stay unique for the good row to be taken.
                    payload,
                };
                store.push(&admin, "console-a", &[op]).unwrap().remove(0).result
            };
            let mut good = valid_row(spec);
            for key in spec.unique_keys {
                good.insert(key.column.to_owned(), json!(row_id.clone()));
            }
            let verdict = if update && spec.policy
                != galaxium_sync::schema::registry::ConflictPolicy::AppendOnly
            {
                let first = push(OpKind::Insert, good);
                prop_assert!(matches!(first, OpResult::Accepted { .. }), "{first:?}");
                let mut change = Map::new();
                change.insert(column.name.to_owned(), bad.clone());
                push(OpKind::Update, change)
            } else {
                good.insert(column.name.to_owned(), bad.clone());
                push(OpKind::Insert, good)
            };
            match verdict {
                OpResult::Rejected { reason, rule, .. } => {
                    prop_assert!(
                        reason.contains(column.name),
                        "{}.{} = {bad}: the refusal {reason:?} does not name the column",
                        spec.name,
                        column.name
                    );
                    prop_assert_eq!(rule, Some(galaxium_sync::protocol::RefusalRule::Value));
                }
                accepted @ OpResult::Accepted { .. } => prop_assert!(
                    false,
                    "{}.{} = {bad} was accepted: {accepted:?}",
                    spec.name,
                    column.name
                ),
            }
            Ok(())
        })?;
    }
}
