//! Every way the core refuses a query, each with a stable code and a message that says what to
//! do instead. What only running a statement can tell (`SQL_NOT_ONE`, SQLite's own `SQL_ERROR`)
//! the facade raises: statements run there, never here.

use crate::error::ErrorCode;
use thiserror::Error;

/// How many bound parameters the platform accepts in one statement.
pub const MAX_BOUND_PARAMETERS: usize = 100;

/// How many characters of a statement an `SQL_ERROR` message shows (the facade raises it, around
/// what `sql.exec` threw): a 10,000-item query must not flood a log line.
pub const STATEMENT_PREVIEW_CHARS: usize = 300;

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
}

impl ErrorCode for SqlError {
    fn code(&self) -> &'static str {
        match self {
            SqlError::Template { .. } => "SQL_TEMPLATE",
            SqlError::Bind { .. } => "SQL_BIND",
            SqlError::Identifier { .. } => "SQL_IDENTIFIER",
            SqlError::Forbidden { .. } => "SQL_FORBIDDEN",
        }
    }
}

impl SqlError {
    pub(crate) fn template(message: impl Into<String>) -> Self {
        SqlError::Template {
            message: message.into(),
        }
    }

    pub(crate) fn bind(message: impl Into<String>) -> Self {
        SqlError::Bind {
            message: message.into(),
        }
    }

    pub(crate) fn forbidden(message: impl Into<String>) -> Self {
        SqlError::Forbidden {
            message: message.into(),
        }
    }
}
