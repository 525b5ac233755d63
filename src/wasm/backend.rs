//! [`SqlBackend`] over the object's `ctx.storage.sql`. One `exec` call and one `toArray()` per
//! statement: rows cross the boundary once, as an array of arrays.

use super::interop::{backend_error, sql_value_from_js, sql_values_to_js};
use crate::backend::{BackendError, QueryResult, SqlBackend, SqlValue};
use js_sys::Array;
use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// `ctx.storage.sql`.
    #[derive(Clone)]
    #[wasm_bindgen(typescript_type = "SqlStorage")]
    pub type SqlStorage;

    #[wasm_bindgen(method, catch, variadic, js_name = exec)]
    fn exec(this: &SqlStorage, query: &str, bindings: &Array) -> Result<SqlCursor, JsValue>;

    type SqlCursor;

    #[wasm_bindgen(method, catch)]
    fn raw(this: &SqlCursor) -> Result<RawCursor, JsValue>;

    #[wasm_bindgen(method, getter, js_name = columnNames)]
    fn column_names(this: &SqlCursor) -> Array;

    #[wasm_bindgen(method, getter, js_name = rowsRead)]
    fn rows_read(this: &SqlCursor) -> f64;

    #[wasm_bindgen(method, getter, js_name = rowsWritten)]
    fn rows_written(this: &SqlCursor) -> f64;

    type RawCursor;

    #[wasm_bindgen(method, catch, js_name = toArray)]
    fn to_array(this: &RawCursor) -> Result<Array, JsValue>;
}

/// The object's SQLite database, as the core sees it.
pub struct JsSqlBackend {
    sql: SqlStorage,
}

impl JsSqlBackend {
    pub fn new(sql: SqlStorage) -> Self {
        JsSqlBackend { sql }
    }
}

impl SqlBackend for JsSqlBackend {
    fn exec(&self, query: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        let cursor = self
            .sql
            .exec(query, &sql_values_to_js(params))
            .map_err(|e| backend_error(&e))?;
        let raw_rows = cursor
            .raw()
            .and_then(|raw| raw.to_array())
            .map_err(|e| backend_error(&e))?;
        let rows = raw_rows
            .iter()
            .map(|row| Array::from(&row).iter().map(|v| sql_value_from_js(&v)).collect())
            .collect();
        let columns = cursor.column_names().iter().filter_map(|c| c.as_string()).collect();
        Ok(QueryResult {
            columns,
            rows,
            rows_read: cursor.rows_read() as u64,
            rows_written: cursor.rows_written() as u64,
        })
    }
}
