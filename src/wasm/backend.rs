//! [`SqlBackend`] over the object's `ctx.storage.sql`.
//!
//! Every crossing into the runtime costs about a microsecond, which is as much as a small
//! insert, so a statement costs as few as possible: `exec`, `raw().toArray()` (rows cross once,
//! as an array of arrays), `rowsWritten`, and `columnNames` only when rows came back. The
//! core's statements are constant texts: each is turned into a JS string once per handle
//! instead of being re-encoded on every call.

use super::interop::{backend_error, sql_value_from_js, sql_values_to_js};
use crate::backend::{BackendError, QueryResult, SqlBackend, SqlValue};
use js_sys::{Array, JsString};
use std::cell::RefCell;
use std::collections::HashMap;
use wasm_bindgen::prelude::*;

/// Statement texts kept as JS strings per handle. The core issues a few dozen distinct
/// statements; past this many (a statement text built from user input) nothing more is kept.
const MAX_CACHED_STATEMENTS: usize = 128;

#[wasm_bindgen]
extern "C" {
    /// `ctx.storage.sql`.
    #[derive(Clone)]
    #[wasm_bindgen(typescript_type = "SqlStorage")]
    pub type SqlStorage;

    #[wasm_bindgen(method, catch, variadic, js_name = exec)]
    fn exec(this: &SqlStorage, query: &JsString, bindings: &Array) -> Result<SqlCursor, JsValue>;

    type SqlCursor;

    #[wasm_bindgen(method, catch)]
    fn raw(this: &SqlCursor) -> Result<RawCursor, JsValue>;

    #[wasm_bindgen(method, getter, js_name = columnNames)]
    fn column_names(this: &SqlCursor) -> Array;

    #[wasm_bindgen(method, getter, js_name = rowsWritten)]
    fn rows_written(this: &SqlCursor) -> f64;

    type RawCursor;

    #[wasm_bindgen(method, catch, js_name = toArray)]
    fn to_array(this: &RawCursor) -> Result<Array, JsValue>;
}

/// The object's SQLite database, as the core sees it.
pub struct JsSqlBackend {
    sql: SqlStorage,
    statements: RefCell<HashMap<String, JsString>>,
}

impl JsSqlBackend {
    pub fn new(sql: SqlStorage) -> Self {
        JsSqlBackend { sql, statements: RefCell::new(HashMap::new()) }
    }

    fn statement(&self, query: &str) -> JsString {
        let mut statements = self.statements.borrow_mut();
        if let Some(text) = statements.get(query) {
            return text.clone();
        }
        let text = JsString::from(query);
        if statements.len() < MAX_CACHED_STATEMENTS {
            statements.insert(query.to_owned(), text.clone());
        }
        text
    }
}

impl SqlBackend for JsSqlBackend {
    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        let cursor = self
            .sql
            .exec(&self.statement(query), &sql_values_to_js(params))
            .map_err(|e| backend_error(&e))?;
        let raw_rows = cursor
            .raw()
            .and_then(|raw| raw.to_array())
            .map_err(|e| backend_error(&e))?;
        let rows: Vec<Vec<SqlValue>> = raw_rows
            .iter()
            .map(|row| Array::from(&row).iter().map(|v| sql_value_from_js(&v)).collect())
            .collect();
        let columns = if rows.is_empty() {
            Vec::new()
        } else {
            cursor.column_names().iter().filter_map(|c| c.as_string()).collect()
        };
        Ok(QueryResult { columns, rows, rows_written: cursor.rows_written() as u64 })
    }
}
