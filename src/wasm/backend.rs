//! [`SqlBackend`] over the object's `ctx.storage.sql`.
//!
//! Every crossing into the runtime costs about a microsecond, which is as much as a small
//! insert, so a statement costs as few as possible: `exec`, `raw().toArray()` (rows cross once,
//! as an array of arrays), `rowsWritten`, and `columnNames` only when rows came back. The
//! core's statements are constant texts: each is turned into a JS string once per handle
//! instead of being re-encoded on every call, and found again by its address
//! ([`SqlBackend::exec_constant`]). Texts the caller already holds as JS strings (a task's
//! method and payload) can be lent for a call ([`JsSqlBackend::lending`]) so that they are bound
//! as they are rather than copied back out of wasm memory.

use super::interop::{backend_error, sql_value_from_js, sql_value_to_js, text_to_js};
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

    // The same `exec` with its bindings as arguments: no `Array` to build (a crossing per value
    // pushed, and one for the array) for the few values most statements bind.
    #[wasm_bindgen(method, catch, js_name = exec)]
    fn exec_0(this: &SqlStorage, query: &JsString) -> Result<SqlCursor, JsValue>;
    #[wasm_bindgen(method, catch, js_name = exec)]
    fn exec_1(this: &SqlStorage, query: &JsString, a: &JsValue) -> Result<SqlCursor, JsValue>;
    #[wasm_bindgen(method, catch, js_name = exec)]
    fn exec_2(
        this: &SqlStorage,
        query: &JsString,
        a: &JsValue,
        b: &JsValue,
    ) -> Result<SqlCursor, JsValue>;
    #[wasm_bindgen(method, catch, js_name = exec)]
    fn exec_3(
        this: &SqlStorage,
        query: &JsString,
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
    ) -> Result<SqlCursor, JsValue>;
    #[wasm_bindgen(method, catch, js_name = exec)]
    fn exec_4(
        this: &SqlStorage,
        query: &JsString,
        a: &JsValue,
        b: &JsValue,
        c: &JsValue,
        d: &JsValue,
    ) -> Result<SqlCursor, JsValue>;

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
    let first = query
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("");
    let write = ["INSERT", "UPDATE", "DELETE", "REPLACE"]
        .iter()
        .any(|w| first.eq_ignore_ascii_case(w));
    !write || query.contains(';') || query.to_ascii_uppercase().contains("RETURNING")
}

/// The object's SQLite database, as the core sees it.
pub struct JsSqlBackend {
    sql: SqlStorage,
    statements: RefCell<HashMap<String, Statement>>,
    /// The core's constant statements, by the address and length of their text: a lookup
    /// neither hashes nor compares the text (hundreds of bytes for the scheduler's writes). A
    /// few dozen at most, so a list.
    constants: RefCell<Vec<((usize, usize), Statement)>>,
    /// Bytes of the cached statements' texts (entries are only ever added).
    statement_bytes: std::cell::Cell<usize>,
    /// While a binding lends them ([`JsSqlBackend::lending`]): texts that already exist as JS
    /// strings, bound as those strings instead of being decoded from wasm memory again.
    lent: RefCell<Vec<(String, JsValue)>>,
}

/// Heap bytes per cached statement beyond its text: the table entry and the `JsString` handle.
const STATEMENT_ENTRY_BYTES: usize = 64;
/// Texts up to this long that a statement binds during a lending are kept as the JS strings
/// made for them, so that the binding can return the same string (a generated task id).
const MAX_KEPT_TEXT_BYTES: usize = 64;

impl JsSqlBackend {
    pub fn new(sql: SqlStorage) -> Self {
        JsSqlBackend {
            sql,
            statements: RefCell::new(HashMap::new()),
            constants: RefCell::new(Vec::new()),
            statement_bytes: std::cell::Cell::new(0),
            lent: RefCell::new(Vec::new()),
        }
    }

    /// An estimate of the statement cache's heap bytes, in O(1).
    pub fn heap_bytes(&self) -> usize {
        self.statement_bytes.get()
    }

    /// Runs `work` with `texts` lent: a statement that binds one of these texts binds its JS
    /// string, and a short text a statement binds is kept as the JS string made for it, for
    /// [`JsSqlBackend::js_text`]. Everything lent or kept is dropped when `work` returns.
    pub fn lending<R>(&self, texts: Vec<(String, JsValue)>, work: impl FnOnce() -> R) -> R {
        *self.lent.borrow_mut() = texts;
        let result = work();
        self.lent.borrow_mut().clear();
        result
    }

    /// `text` as a JS string: the one lent or made for it during the current lending, or a
    /// new one.
    pub fn js_text(&self, text: &str) -> JsValue {
        lent_text(&self.lent.borrow(), text).unwrap_or_else(|| JsValue::from_str(text))
    }

    /// The JS values `params` bind: lent or kept strings where there are some.
    fn bindings(&self, params: &[SqlValue]) -> Vec<JsValue> {
        let mut lent = self.lent.borrow_mut();
        if lent.is_empty() {
            return params.iter().map(sql_value_to_js).collect();
        }
        params
            .iter()
            .map(|value| match value {
                SqlValue::Text(text) => lent_text(&lent, text).unwrap_or_else(|| {
                    let js = text_to_js(text);
                    if text.len() <= MAX_KEPT_TEXT_BYTES {
                        lent.push((text.clone(), js.clone()));
                    }
                    js
                }),
                other => sql_value_to_js(other),
            })
            .collect()
    }

    /// `sql.exec(text, ...values)`, the values as arguments when they are few.
    fn exec_with(&self, text: &JsString, values: &[JsValue]) -> Result<SqlCursor, JsValue> {
        let sql = &self.sql;
        match values {
            [] => sql.exec_0(text),
            [a] => sql.exec_1(text, a),
            [a, b] => sql.exec_2(text, a, b),
            [a, b, c] => sql.exec_3(text, a, b, c),
            [a, b, c, d] => sql.exec_4(text, a, b, c, d),
            _ => sql.exec(text, &values.iter().collect::<Array>()),
        }
    }

    fn run(&self, statement: &Statement, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        let cursor = self
            .exec_with(&statement.text, &self.bindings(params))
            .map_err(|e| backend_error(&e))?;
        if !statement.returns_rows {
            return Ok(QueryResult {
                columns: Vec::new(),
                rows: Vec::new(),
                rows_written: cursor.rows_written() as u64,
            });
        }
        let raw_rows = cursor
            .raw()
            .and_then(|raw| raw.to_array())
            .map_err(|e| backend_error(&e))?;
        let rows: Vec<Vec<SqlValue>> = raw_rows
            .iter()
            .map(|row| {
                Array::from(&row)
                    .iter()
                    .map(|v| sql_value_from_js(&v))
                    .collect()
            })
            .collect();
        // No caller of the core reads column names (rows are positional), and reading them is a
        // crossing plus a string conversion per column on every statement that returns rows.
        Ok(QueryResult {
            columns: Vec::new(),
            rows,
            rows_written: cursor.rows_written() as u64,
        })
    }

    fn prepare(query: &str) -> Statement {
        Statement {
            text: JsString::from(query),
            returns_rows: may_return_rows(query),
        }
    }

    fn count(&self, query: &str, cached: usize) -> bool {
        if cached >= MAX_CACHED_STATEMENTS {
            return false;
        }
        self.statement_bytes
            .set(self.statement_bytes.get() + query.len() + STATEMENT_ENTRY_BYTES);
        true
    }
}

/// The JS string lent (or kept) for `text`, if any: the lent texts are few, and compared by
/// length first.
fn lent_text(lent: &[(String, JsValue)], text: &str) -> Option<JsValue> {
    lent.iter()
        .find(|(known, _)| known.len() == text.len() && known == text)
        .map(|(_, js)| js.clone())
}

impl SqlBackend for JsSqlBackend {
    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        if let Some(statement) = self.statements.borrow().get(query) {
            // `sql.exec` never calls back into the core, so the borrow may span it.
            return self.run(statement, params);
        }
        let statement = Self::prepare(query);
        let cached = self.statements.borrow().len();
        if self.count(query, cached) {
            self.statements
                .borrow_mut()
                .insert(query.to_owned(), statement.clone());
        }
        self.run(&statement, params)
    }

    fn exec_constant(
        &self,
        query: &'static str,
        params: &[SqlValue],
    ) -> Result<QueryResult, BackendError> {
        let key = (query.as_ptr() as usize, query.len());
        if let Some((_, statement)) = self
            .constants
            .borrow()
            .iter()
            .find(|(known, _)| *known == key)
        {
            return self.run(statement, params);
        }
        let statement = Self::prepare(query);
        let cached = self.constants.borrow().len();
        if self.count(query, cached) {
            self.constants.borrow_mut().push((key, statement.clone()));
        }
        self.run(&statement, params)
    }
}
