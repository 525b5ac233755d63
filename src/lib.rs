//! durable-core: the per-object engine behind the `durable-core` npm package.
//!
//! The core is pure logic over a [`backend::SqlBackend`]: it never calls user code, never
//! awaits, and takes time as an argument. In a Durable Object the backend is the object's own
//! `ctx.storage.sql` (see `src/wasm/`); in `cargo test` it is rusqlite. SQLite is the source of
//! truth: anything kept in memory here is a cache that can be dropped at any moment.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

// Lets shared test support name this crate `durable_core` from inside its unit tests too.
extern crate self as durable_core;

pub mod backend;
pub mod checksum;
pub mod error;
pub mod fanout;
pub mod hashing;
mod literal;
pub mod numbers;
pub mod scheduler;
pub mod schema;
pub mod shared;
pub mod sql;
pub mod store;

#[cfg(all(target_arch = "wasm32", feature = "wasm"))]
mod wasm;

pub use backend::{QueryResult, SqlBackend, SqlValue};
pub use error::{Error, ErrorCode};

#[cfg(test)]
#[path = "../tests/support/rusqlite_backend.rs"]
pub(crate) mod rusqlite_backend;
