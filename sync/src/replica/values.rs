//! Column values between JSON (the wire and the outbox) and SQLite, and the two statements
//! that write a row from them. Column names come only from the registry (callers check).

use std::fmt::Write as _;

use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, params_from_iter};
use serde_json::{Map, Number, Value};

/// A JSON value as SQLite stores it: booleans become 0 and 1 (the schema's flags are
/// integers), numbers stay integers or reals, everything else is text.
pub(crate) fn to_sql(value: &Value) -> SqlValue {
    match value {
        Value::Null => SqlValue::Null,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => n
            .as_i64()
            .map(SqlValue::Integer)
            .or_else(|| n.as_f64().map(SqlValue::Real))
            .unwrap_or(SqlValue::Null),
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    }
}

/// A stored value as JSON.
pub(crate) fn from_sql(value: ValueRef<'_>) -> Value {
    match value {
        ValueRef::Null | ValueRef::Blob(_) => Value::Null,
        ValueRef::Integer(i) => Value::Number(i.into()),
        ValueRef::Real(r) => Number::from_f64(r).map_or(Value::Null, Value::Number),
        ValueRef::Text(t) => Value::String(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Inserts a row; with `upsert`, an existing row with that id has these columns replaced
/// instead (then the values must include every NOT NULL column, which SQLite checks first).
pub(crate) fn insert_row(
    conn: &Connection,
    table: &str,
    row_id: &str,
    values: &Map<String, Value>,
    upsert: bool,
) -> rusqlite::Result<usize> {
    // Built in one buffer: a bulk import runs this twice a row.
    let mut sql = String::with_capacity(48 + values.len() * 32);
    sql.push_str("INSERT INTO ");
    sql.push_str(table);
    sql.push_str(" (id");
    for column in values.keys() {
        sql.push_str(", ");
        sql.push_str(column);
    }
    sql.push_str(") VALUES (?1");
    for index in 2..=values.len() + 1 {
        let _ = write!(sql, ", ?{index}");
    }
    sql.push(')');
    if upsert {
        sql.push_str(" ON CONFLICT (id) DO UPDATE SET ");
        for (n, column) in values.keys().enumerate() {
            if n > 0 {
                sql.push_str(", ");
            }
            let _ = write!(sql, "{column} = excluded.{column}");
        }
    }
    execute(conn, &sql, row_id, values)
}

/// Sets the given columns of a row; returns how many rows changed (0 when it is not there).
pub(crate) fn update_row(
    conn: &Connection,
    table: &str,
    row_id: &str,
    values: &Map<String, Value>,
) -> rusqlite::Result<usize> {
    if values.is_empty() {
        return Ok(0);
    }
    let assignments: Vec<String> = values
        .keys()
        .enumerate()
        .map(|(i, column)| format!("{column} = ?{}", i + 2))
        .collect();
    let sql = format!(
        "UPDATE {table} SET {} WHERE id = ?1",
        assignments.join(", ")
    );
    execute(conn, &sql, row_id, values)
}

/// A JSON value bound as a statement parameter without copying its text.
struct Param<'a>(&'a Value);

impl rusqlite::ToSql for Param<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match self.0 {
            Value::String(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            other => ToSqlOutput::Owned(to_sql(other)),
        })
    }
}

fn execute(
    conn: &Connection,
    sql: &str,
    row_id: &str,
    values: &Map<String, Value>,
) -> rusqlite::Result<usize> {
    let id = Value::String(row_id.to_owned());
    let params = std::iter::once(Param(&id)).chain(values.values().map(Param));
    conn.prepare_cached(sql)?.execute(params_from_iter(params))
}
