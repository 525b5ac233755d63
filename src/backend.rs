//! The one door to SQLite. The core states what to run; a backend runs it.
//!
//! In a Durable Object the backend is `ctx.storage.sql` (see `src/wasm/backend.rs`); natively
//! it is rusqlite (`tests/support/rusqlite_backend.rs`). Both speak the same SQLite dialect, so
//! the core's storage logic is tested natively against the SQL it really sends.
//!
//! A backend never opens a transaction: the platform forbids `BEGIN`/`COMMIT`. Operations that
//! must be atomic are documented as such, and their caller runs them inside
//! `ctx.storage.transactionSync` (natively: inside a rusqlite transaction).

use thiserror::Error;

/// A value bound to, or read from, SQLite.
#[derive(Debug, Clone, PartialEq)]
pub enum SqlValue {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl SqlValue {
    /// The value as an integer, when it is one (a real with an integral value counts:
    /// the platform returns every number as a double).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            SqlValue::Integer(i) => Some(*i),
            SqlValue::Real(r) if r.fract() == 0.0 && r.is_finite() => Some(*r as i64),
            _ => None,
        }
    }

    /// The value as a number (integers widen to doubles, as on the platform).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            SqlValue::Integer(i) => Some(*i as f64),
            SqlValue::Real(r) => Some(*r),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            SqlValue::Text(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            SqlValue::Blob(b) => Some(b),
            _ => None,
        }
    }
}

impl From<&str> for SqlValue {
    fn from(s: &str) -> Self {
        SqlValue::Text(s.to_owned())
    }
}

impl From<String> for SqlValue {
    fn from(s: String) -> Self {
        SqlValue::Text(s)
    }
}

impl From<i64> for SqlValue {
    fn from(i: i64) -> Self {
        SqlValue::Integer(i)
    }
}

impl From<f64> for SqlValue {
    fn from(f: f64) -> Self {
        SqlValue::Real(f)
    }
}

impl From<Vec<u8>> for SqlValue {
    fn from(b: Vec<u8>) -> Self {
        SqlValue::Blob(b)
    }
}

impl<T: Into<SqlValue>> From<Option<T>> for SqlValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(SqlValue::Null, Into::into)
    }
}

/// What one statement returned.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QueryResult {
    /// The result's column names. Backends may leave it empty when no row came back: reading
    /// it costs a boundary crossing in a Durable Object, and without rows nobody needs it.
    pub columns: Vec<String>,
    pub rows: Vec<Vec<SqlValue>>,
    pub rows_written: u64,
}

impl QueryResult {
    /// The first row, if any.
    pub fn first_row(&self) -> Option<&[SqlValue]> {
        self.rows.first().map(Vec::as_slice)
    }

    /// The first column of the first row, if any.
    pub fn scalar(&self) -> Option<&SqlValue> {
        self.rows.first().and_then(|row| row.first())
    }
}

/// SQLite refused a statement; `message` is SQLite's (or the platform's) own text.
#[derive(Debug, Clone, Error, PartialEq)]
#[error("{message}")]
pub struct BackendError {
    pub message: String,
}

/// Runs SQL against the object's database.
pub trait SqlBackend {
    /// Runs `sql` (one statement, or several separated by `;` with `params` bound to the last,
    /// as `ctx.storage.sql.exec` does) and returns the last statement's rows.
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError>;

    /// [`SqlBackend::exec`] for a statement text that is a constant of the program (the
    /// core's own statements): a backend may key what it keeps per statement by the text's
    /// address instead of its content, which a `'static` text never reuses for another.
    fn exec_constant(
        &self,
        sql: &'static str,
        params: &[SqlValue],
    ) -> Result<QueryResult, BackendError> {
        self.exec(sql, params)
    }
}
