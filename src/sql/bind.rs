//! Applying a [`Compiled`] plan to values and running the statement: the Rust twin of the
//! facade's binding loop, used by native tests and by any core code that runs user-shaped
//! queries. It converts no JavaScript types; those are the facade's.

use super::error::SqlError;
use super::template::{BindOp, Compiled};
use crate::backend::{QueryResult, SqlBackend, SqlValue};
use std::fmt::Write as _;

/// One flattened value of a template, in hole order.
#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    /// A plain value, or the value of `sql.json` as JSON text already encoded.
    Value(SqlValue),
    /// The list of a `sql.in`.
    List(Vec<SqlValue>),
}

/// The parameters to bind for `compiled`, from its flattened values.
pub fn bind(compiled: &Compiled, args: Vec<Arg>) -> Result<Vec<SqlValue>, SqlError> {
    if args.len() != compiled.plan.len() {
        return Err(SqlError::bind(format!(
            "the template has {} value holes but {} values were given",
            compiled.plan.len(),
            args.len()
        )));
    }
    let mut params = Vec::with_capacity(compiled.params);
    for (position, (op, arg)) in compiled.plan.iter().zip(args).enumerate() {
        match (op, arg) {
            (BindOp::Value | BindOp::Json, Arg::Value(value)) => params.push(value),
            (BindOp::List, Arg::List(items)) => params.push(SqlValue::Text(json_array(&items)?)),
            (BindOp::Spread, Arg::List(items)) => params.extend(items),
            (op, arg) => {
                return Err(SqlError::bind(format!(
                    "value {} is {arg:?} but the template compiled it as {op:?}",
                    position + 1
                )))
            }
        }
    }
    Ok(params)
}

/// Runs `compiled` with `args` on `db`; SQLite's refusal becomes `SQL_ERROR` naming the text.
pub fn run(db: &dyn SqlBackend, compiled: &Compiled, args: Vec<Arg>) -> Result<QueryResult, SqlError> {
    let params = bind(compiled, args)?;
    db.exec(&compiled.sql, &params).map_err(|e| SqlError::Sqlite {
        message: e.message,
        statement: compiled.sql.clone(),
    })
}

/// `items` as a JSON array, as `json_each` will read them back: integers and reals as numbers,
/// text as strings, NULL as null. Blobs and non-finite reals have no JSON form.
fn json_array(items: &[SqlValue]) -> Result<String, SqlError> {
    let mut json = String::with_capacity(items.len() * 8 + 2);
    json.push('[');
    for (index, item) in items.iter().enumerate() {
        if index > 0 {
            json.push(',');
        }
        match item {
            SqlValue::Null => json.push_str("null"),
            SqlValue::Integer(i) => {
                let _ = write!(json, "{i}");
            }
            SqlValue::Real(r) if r.is_finite() => {
                let _ = write!(json, "{r}");
            }
            SqlValue::Real(r) => {
                return Err(SqlError::bind(format!("sql.in item {} is {r}, which SQLite cannot store", index + 1)))
            }
            SqlValue::Text(text) => push_json_string(&mut json, text),
            SqlValue::Blob(_) => {
                return Err(SqlError::bind(
                    "sql.in lists of blobs are bound item by item: compile them as InItems",
                ))
            }
        }
    }
    json.push(']');
    Ok(json)
}

fn push_json_string(json: &mut String, text: &str) {
    json.push('"');
    for c in text.chars() {
        match c {
            '"' => json.push_str("\\\""),
            '\\' => json.push_str("\\\\"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(json, "\\u{:04x}", u32::from(c));
            }
            c => json.push(c),
        }
    }
    json.push('"');
}
