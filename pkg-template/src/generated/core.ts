// Generated from the Rust core (src/shared.rs) by tests/generated_ts.rs: do not edit.
// Regenerate with `UPDATE_GENERATED=1 cargo test --test generated_ts`.

/** How deeply sql fragments and join parts may nest (src/sql/template.rs). */
export const MAX_FRAGMENT_DEPTH = 100;

/** The longest `sql.id` name in UTF-8 bytes (src/sql/template.rs). */
export const MAX_IDENTIFIER_BYTES = 255;

/** The encoded key limit in UTF-8 bytes (src/store/keys.rs). */
export const MAX_KEY_BYTES = 2048;

/** How deeply key tuples may nest (src/store/keys.rs). */
export const MAX_KEY_DEPTH = 32;

/** The longest topic or pattern in UTF-8 bytes (src/fanout/topic.rs). */
export const MAX_TOPIC_BYTES = 256;

/** The longest task id in UTF-8 bytes (src/scheduler/task.rs). */
export const MAX_TASK_ID_BYTES = 512;

/** Names a task may never target, besides the prefix below (src/scheduler/lifecycle.rs). */
export const LIFECYCLE_METHODS = ["constructor", "dup", "fetch", "alarm", "onStart", "onRequest", "onBeforeConnect", "onConnect", "onMessage", "onClose", "onError", "onTaskFailed", "assertReady", "core", "sql", "store", "scheduler", "sockets", "taskHandlers"] as const;

/** The prefix of the platform's WebSocket handlers, never task handlers (src/scheduler/lifecycle.rs). */
export const LIFECYCLE_METHOD_PREFIX = "webSocket";
