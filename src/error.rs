//! Every error the core returns carries a stable `code` that crosses the wasm boundary and
//! becomes `DurableCoreError.code` in TypeScript. Each capability owns one enum; [`enum@Error`]
//! gathers them so that a binding needs one conversion.

use crate::backend::BackendError;
use crate::fanout::FanoutError;
use crate::scheduler::ScheduleError;
use crate::schema::MigrationError;
use crate::sql::SqlError;
use crate::store::StoreError;
use thiserror::Error;

/// The JavaScript `name` of every error the core throws across the wasm boundary. The facade
/// recognises core errors by it (`pkg-template/src/errors.ts`, from the generated constants), so
/// that a user's own coded error thrown from a callback passes through untouched.
pub const CORE_ERROR_NAME: &str = "DurableCoreEngineError";

/// An error with a stable, documented code (`SQL_BIND`, `KEY_TYPE`, ...).
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

/// Any error of the core.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Migration(#[from] MigrationError),
    #[error(transparent)]
    Sql(#[from] SqlError),
    #[error(transparent)]
    Fanout(#[from] FanoutError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Schedule(#[from] ScheduleError),
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
            Error::Sql(e) => e.code(),
            Error::Fanout(e) => e.code(),
            Error::Store(e) => e.code(),
            Error::Schedule(e) => e.code(),
            Error::Storage(_) => "STORAGE",
            Error::Argument { .. } => "ARGUMENT",
        }
    }
}

impl Error {
    pub fn argument(name: &'static str, reason: impl Into<String>) -> Self {
        Error::Argument {
            name,
            reason: reason.into(),
        }
    }
}
