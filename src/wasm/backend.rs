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

    #[wasm_bindgen(method, getter, js_name = rowsWritten)]
    fn rows_written(this: &SqlCursor) -> f64;

    type RawCursor;

    #[wasm_bindgen(method, catch, js_name = toArray)]
    fn to_array(this: &RawCursor) -> Result<Array, JsValue>;
}

/// A statement text as a JS string, and whether it can return rows at all.
#[derive(Clone)]
struct Statement {
    text: JsString,
    returns_rows: bool,
}

/// Whether `query` may return rows. Only one `INSERT`/`UPDATE`/`DELETE`/`REPLACE` without
/// `RETURNING` is known not to; anything else (several statements, `WITH`, a leading comment)
/// counts as returning rows. `exec` runs such a write to completion before it returns, so
/// its cursor need not be read (workerd steps a statement once inside `exec`): skipping
/// `raw().toArray()` saves 2,000 INSERTs issued from the core about 4 ms of 25 (S1 probe).
fn may_return_rows(query: &str) -> bool {
    let first = query.trim_start().split(|c: char| !c.is_ascii_alphabetic()).next().unwrap_or("");
    let write = ["INSERT", "UPDATE", "DELETE", "REPLACE"].iter().any(|w| first.eq_ignore_ascii_case(w));
    !write || query.contains(';') || query.to_ascii_uppercase().contains("RETURNING")
}

/// The object's SQLite database, as the core sees it.
pub struct JsSqlBackend {
    sql: SqlStorage,
    statements: RefCell<HashMap<String, Statement>>,
    /// Bytes of the cached statements' texts (entries are only ever added).
    statement_bytes: std::cell::Cell<usize>,
}

/// Heap bytes per cached statement beyond its text: the table entry and the `JsString` handle.
const STATEMENT_ENTRY_BYTES: usize = 64;

impl JsSqlBackend {
    pub fn new(sql: SqlStorage) -> Self {
        JsSqlBackend { sql, statements: RefCell::new(HashMap::new()), statement_bytes: std::cell::Cell::new(0) }
    }

    /// An estimate of the statement cache's heap bytes, in O(1).
    pub fn heap_bytes(&self) -> usize {
        self.statement_bytes.get()
    }

    fn statement(&self, query: &str) -> Statement {
        let mut statements = self.statements.borrow_mut();
        if let Some(statement) = statements.get(query) {
            return statement.clone();
        }
        let statement = Statement { text: JsString::from(query), returns_rows: may_return_rows(query) };
        if statements.len() < MAX_CACHED_STATEMENTS {
            self.statement_bytes.set(self.statement_bytes.get() + query.len() + STATEMENT_ENTRY_BYTES);
            statements.insert(query.to_owned(), statement.clone());
        }
        statement
    }
}

impl SqlBackend for JsSqlBackend {
    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        let statement = self.statement(query);
        let cursor = self.sql.exec(&statement.text, &sql_values_to_js(params)).map_err(|e| backend_error(&e))?;
        if !statement.returns_rows {
            return Ok(QueryResult { columns: Vec::new(), rows: Vec::new(), rows_written: cursor.rows_written() as u64 });
        }
        let raw_rows = cursor
            .raw()
            .and_then(|raw| raw.to_array())
            .map_err(|e| backend_error(&e))?;
        let rows: Vec<Vec<SqlValue>> = raw_rows
            .iter()
            .map(|row| Array::from(&row).iter().map(|v| sql_value_from_js(&v)).collect())
            .collect();
        // No caller of the core reads column names (rows are positional), and reading them is a
        // crossing plus a string conversion per column on every statement that returns rows.
        Ok(QueryResult { columns: Vec::new(), rows, rows_written: cursor.rows_written() as u64 })
    }
}
