//! The names a task may never target: the platform's entry points and the members of the
//! `DurableCore` base class. One list for the facade (which refuses them with `TASK_METHOD`,
//! through `pkg-template/src/generated/core.ts`) and for `durable-core check`'s
//! `task-method-unknown` rule.

/// Names that are never task handlers. A task named `alarm` would re-enter the run, `fetch`
/// would answer no request, a hook (`onConnect`, ...) would run with a task payload instead of
/// its own arguments, and the capability getters (`sql`, `scheduler`, ...) are not methods.
pub const LIFECYCLE_METHODS: &[&str] = &[
    "constructor",
    "dup",
    "fetch",
    "alarm",
    "onStart",
    "onRequest",
    "onBeforeConnect",
    "onConnect",
    "onMessage",
    "onClose",
    "onError",
    "onTaskFailed",
    "assertReady",
    "core",
    "sql",
    "store",
    "scheduler",
    "sockets",
    "taskHandlers",
];

/// Every name with this prefix is one of the platform's WebSocket handlers (`webSocketMessage`,
/// `webSocketClose`, `webSocketError`, and any the platform adds).
pub const LIFECYCLE_METHOD_PREFIX: &str = "webSocket";

/// Whether `name` is a lifecycle method (see [`LIFECYCLE_METHODS`]).
pub fn is_lifecycle_method(name: &str) -> bool {
    name.starts_with(LIFECYCLE_METHOD_PREFIX) || LIFECYCLE_METHODS.contains(&name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn platform_entry_points_and_hooks_are_lifecycle_methods() {
        for name in [
            "dup",
            "alarm",
            "fetch",
            "webSocketMessage",
            "webSocketClose",
            "onBeforeConnect",
            "onTaskFailed",
        ] {
            assert!(is_lifecycle_method(name), "{name}");
        }
        for name in ["digest", "tick", "onBench", "websocketThing"] {
            assert!(!is_lifecycle_method(name), "{name}");
        }
    }
}
