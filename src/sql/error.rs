//! Every way a query can be refused, each with a stable code and a message that says what to
//! do instead.

use crate::error::ErrorCode;
use thiserror::Error;

/// How many bound parameters the platform accepts in one statement.
pub const MAX_BOUND_PARAMETERS: usize = 100;

/// Why a query was refused or failed.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum SqlError {
    /// The template itself is malformed: the caller's SQL text needs fixing.
    #[error("{message}")]
    Template { message: String },
    /// A value cannot be bound (too many parameters, a type SQLite cannot store, ...).
    #[error("{message}")]
    Bind { message: String },
    /// A `sql.id(...)` name cannot be used as an identifier.
    #[error("sql.id: {reason}")]
    Identifier { reason: String },
    /// The statement is not allowed in a Durable Object or touches reserved tables.
    #[error("{message}")]
    Forbidden { message: String },
    /// `one` expected exactly one row.
    #[error("expected exactly one row, got {rows}; use first() when the row may be missing, all() when there may be several")]
    NotOne { rows: u64 },
    /// SQLite refused the statement.
    #[error("{message} (statement: {})", preview(statement))]
    Sqlite { message: String, statement: String },
}

impl ErrorCode for SqlError {
    fn code(&self) -> &'static str {
        match self {
            SqlError::Template { .. } => "SQL_TEMPLATE",
            SqlError::Bind { .. } => "SQL_BIND",
            SqlError::Identifier { .. } => "SQL_IDENTIFIER",
            SqlError::Forbidden { .. } => "SQL_FORBIDDEN",
            SqlError::NotOne { .. } => "SQL_NOT_ONE",
            SqlError::Sqlite { .. } => "SQL_ERROR",
        }
    }
}

impl SqlError {
    pub(crate) fn template(message: impl Into<String>) -> Self {
        SqlError::Template { message: message.into() }
    }

    pub(crate) fn bind(message: impl Into<String>) -> Self {
        SqlError::Bind { message: message.into() }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        SqlError::Forbidden { message: message.into() }
    }
}

/// The statement as an error message shows it: long texts are cut (the full text stays in the
/// `statement` field) so that a 10,000-item query does not flood a log line.
fn preview(statement: &str) -> String {
    const SHOWN: usize = 300;
    match statement.char_indices().nth(SHOWN) {
        Some((cut, _)) => format!("{}…", statement.get(..cut).unwrap_or(statement)),
        None => statement.to_owned(),
    }
}
