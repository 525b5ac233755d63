//! Every error the core returns carries a stable `code` that crosses the wasm boundary and
//! becomes `DurableCoreError.code` in TypeScript. Each capability owns one enum; [`Error`]
//! gathers them so that a binding needs one conversion.

use crate::backend::BackendError;
use crate::schema::MigrationError;
use thiserror::Error;

/// An error with a stable, documented code (`SQL_BIND`, `KEY_TYPE`, ...).
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

/// Any error of the core.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Migration(#[from] MigrationError),
    /// SQLite refused a statement the core itself issued.
    #[error("storage error: {0}")]
    Storage(#[from] BackendError),
    /// An argument crossed the boundary in the wrong shape.
    #[error("invalid argument `{name}`: {reason}")]
    Argument { name: &'static str, reason: String },
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Error::Migration(e) => e.code(),
            Error::Storage(_) => "STORAGE",
            Error::Argument { .. } => "ARGUMENT",
        }
    }
}

impl Error {
    pub fn argument(name: &'static str, reason: impl Into<String>) -> Self {
        Error::Argument { name, reason: reason.into() }
    }
}
