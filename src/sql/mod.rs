//! The SQL query layer's core: compiles the facade's tagged templates into checked SQL text and
//! a binding plan, and checks statements before they reach SQLite.
//!
//! It owns the tokenizer ([`tokenizer`]), template compilation with fragment splicing, `IN`-list
//! expansion and identifier quoting (`template`), the statement checks ([`check`]) and the
//! query errors ([`SqlError`]). It never sees a JavaScript value and never caches: compilation
//! depends only on a template's strings and hole shapes, so the facade caches the result per
//! call site, binds values by the plan ([`BindOp`]) and runs the statement itself (binding lives
//! in `pkg-template/src/sql-bind.ts` only; `ts-tests/sql.test.ts` runs it on the platform's
//! SQLite). Migrations live in [`crate::schema`].

mod check;
mod error;
mod template;
pub mod tokenizer;

pub use check::check;
pub use error::{SqlError, MAX_BOUND_PARAMETERS, STATEMENT_PREVIEW_CHARS};
pub use template::{
    compile, fragment_depth_message, quote_identifier, BindOp, Compiled, Hole, Template,
    MAX_FRAGMENT_DEPTH, MAX_IDENTIFIER_BYTES,
};
