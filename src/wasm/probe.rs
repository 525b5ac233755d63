//! Test build only (the `trap` feature): values bound through [`JsSqlBackend`] as the core binds
//! them, so that the workerd suites can check what reaches `sql.exec` for every arity and kind
//! of value, lent or not. The published build has none of this.

use super::backend::{JsSqlBackend, SqlStorage};
use super::interop::{sql_value_from_js, sql_value_to_js};
use crate::backend::{SqlBackend, SqlValue};
use js_sys::{Array, BigInt};
use wasm_bindgen::prelude::*;

/// Binds `values` (number: REAL, bigint: INTEGER, string: TEXT, null: NULL, Uint8Array: BLOB) to
/// `SELECT ?1, typeof(?1), ...` twice, while `lent` strings are lent when there are any (so short
/// texts take the lending's path and the second statement binds the strings the first kept).
/// Returns `[first row, second row, each text as the lending returns it]`.
#[wasm_bindgen(js_name = __bindEcho)]
pub fn bind_echo(sql: SqlStorage, values: Array, lent: Array) -> Result<Array, JsValue> {
    let params = values
        .iter()
        .map(|value| core_value(&value))
        .collect::<Result<Vec<_>, _>>()?;
    let db = JsSqlBackend::new(sql);
    let query = echo_query(params.len());
    let lent = lent
        .iter()
        .filter_map(|js| js.as_string().map(|text| (text, js)))
        .collect();
    db.lending(lent, || {
        let first = echo_row(&db, &query, &params)?;
        let second = echo_row(&db, &query, &params)?;
        let texts: Array = params
            .iter()
            .filter_map(|value| match value {
                SqlValue::Text(text) => Some(db.js_text(text)),
                _ => None,
            })
            .collect();
        Ok([first, second, texts.into()].iter().collect())
    })
}

/// A value as the core holds it: `sql_value_from_js`'s reading, plus a bigint as INTEGER (the
/// platform returns none, but the core binds integers).
fn core_value(value: &JsValue) -> Result<SqlValue, JsValue> {
    if value.is_bigint() {
        let digits = String::from(
            BigInt::from(value.clone())
                .to_string(10)
                .map_err(JsValue::from)?,
        );
        digits
            .parse()
            .map(SqlValue::Integer)
            .map_err(|_| JsValue::from_str("bigint out of i64"))
    } else {
        Ok(sql_value_from_js(value))
    }
}

fn echo_query(count: usize) -> String {
    if count == 0 {
        return "SELECT 'no bindings'".to_owned();
    }
    let columns: Vec<String> = (1..=count).map(|n| format!("?{n}, typeof(?{n})")).collect();
    format!("SELECT {}", columns.join(", "))
}

fn echo_row(db: &JsSqlBackend, query: &str, params: &[SqlValue]) -> Result<JsValue, JsValue> {
    let result = db
        .exec(query, params)
        .map_err(|e| JsValue::from_str(&e.message))?;
    let rows: Array = result
        .rows
        .iter()
        .map(|row| row.iter().map(sql_value_to_js).collect::<Array>())
        .collect();
    Ok(rows.into())
}
