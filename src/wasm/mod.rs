//! The wasm boundary: thin, uniform bindings over the core, compiled for wasm32 only.
//!
//! Every exported method has one shape: typed arguments, one core call, a typed result or a
//! JS `Error` carrying the core error's `code` (see [`interop`]). Per-object state lives in an
//! [`engine::Engine`] handle owned by the TypeScript facade; one wasm instance serves every
//! object of the isolate. Each capability adds its methods to `Engine` in its own file.

mod backend;
mod engine;
mod fanout;
mod interop;
#[cfg(feature = "trap")]
mod probe;
mod scheduler;
mod sql;
mod store;
mod zones;

pub(crate) use interop::number_exponential;

use wasm_bindgen::prelude::*;

/// Bytes of linear memory the instance holds now. Wasm memory only grows, so a bounded value
/// across many objects proves handles and caches are released.
#[wasm_bindgen(js_name = memoryBytes)]
pub fn memory_bytes() -> f64 {
    (core::arch::wasm32::memory_size(0) * 65_536) as f64
}

/// Panics on purpose, to prove that the facade survives a trapped instance. Compiled only
/// with the `trap` feature, which the test build enables and the published build never does.
#[cfg(feature = "trap")]
#[allow(clippy::panic)]
#[wasm_bindgen(js_name = __trap)]
pub fn trap() {
    panic!("durable-core test trap");
}
