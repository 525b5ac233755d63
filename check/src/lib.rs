//! `durable-core check`: reviews a Worker project against the Durable Object platform's rules.
//!
//! The reviewer owns the rules ([`rules`]), the reading of the wrangler configuration
//! ([`config`]) and of the sources ([`source`], on oxc), and suppressions ([`suppress`]). It never
//! touches the file system: the Node CLI (`pkg-template/cli/check.mjs`) reads the files and hands
//! them to a [`Session`], one call per file, then asks for the [`Report`]. Where a rule checks a
//! literal that durable-core would refuse at run time, it calls the core's own validator, so the
//! finding carries the run-time error's message.
// The core's header, repeated: a `[workspace.lints]` table would apply to the integration tests
// too (their helpers unwrap), and clippy's `allow-*-in-tests` options spare only `#[test]`
// functions and `#[cfg(test)]` modules.
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

pub mod analysis;
pub mod config;
pub mod depth;
pub mod diagnostic;
pub mod rules;
pub mod session;
pub mod source;
pub mod suppress;

#[cfg(target_arch = "wasm32")]
mod wasm;

pub use diagnostic::{Finding, Report, Severity};
pub use session::{Options, Session, SessionError};
