// Generated from the Rust core (src/shared.rs) by tests/generated_ts.rs: do not edit.
// Regenerate with `UPDATE_GENERATED=1 cargo test --test generated_ts`.

/** The `name` of every error the wasm core throws, how the facade recognises them (src/error.rs). */
export const CORE_ERROR_NAME = "DurableCoreEngineError";

/** Plan op: bind the value, converted (src/sql/template.rs `BindOp`). */
export const BIND_OP_VALUE = 0;

/** Plan op: bind the value's JSON text (src/sql/template.rs `BindOp`). */
export const BIND_OP_JSON = 1;

/** Plan op: bind a list as one JSON array text (src/sql/template.rs `BindOp`). */
export const BIND_OP_LIST = 2;

/** Plan op: bind each item of a list (src/sql/template.rs `BindOp`). */
export const BIND_OP_SPREAD = 3;

/** `SQL_TEMPLATE`'s message for fragments nested too deep (src/sql/template.rs). */
export const FRAGMENT_DEPTH_MESSAGE = "sql fragments are nested more than 100 deep; build long conditions with sql.join(parts, sql` AND `) instead of wrapping the previous fragment in a new one each time (SQLite itself nests expressions at most 100 deep: for long lists of values use sql.in)";

/** How deeply sql fragments and join parts may nest (src/sql/template.rs). */
export const MAX_FRAGMENT_DEPTH = 100;

/** The longest `sql.id` name in UTF-8 bytes (src/sql/template.rs). */
export const MAX_IDENTIFIER_BYTES = 255;

/** How much of a statement an `SQL_ERROR` message shows (src/sql/error.rs). */
export const STATEMENT_PREVIEW_CHARS = 300;

/** The migrations ledger's table (src/schema.rs). */
export const LEDGER_TABLE = "_dc_migrations";

/** The ledger scope of the user's `static migrations` (src/schema.rs). */
export const USER_SCOPE = "user";

/** The ledger scope of the scheduler's tables (src/schema.rs). */
export const SCHEDULER_SCOPE = "core:scheduler";

/** The encoded key limit in UTF-8 bytes (src/store/keys.rs). */
export const MAX_KEY_BYTES = 2048;

/** How deeply key tuples may nest (src/store/keys.rs). */
export const MAX_KEY_DEPTH = 32;

/** The first character of every store key (src/store/keys.rs). */
export const STORE_NAMESPACE = "\u001f";

/** The key format of objects with no store key yet, the one the JS fast path encodes (src/store/keys.rs). */
export const STORE_KEY_FORMAT = 2;

/** The type tags of that format (src/store/keys.rs). */
export const STORE_KEY_TAGS = { null: "1", false: "G", true: "U", negativeNumber: "g", number: "h", bigint: "j", string: "t", bytes: "y", tuple: "|" } as const;

/** Ends a string part (src/store/keys.rs). */
export const STORE_STRING_END = "\u0001";

/** Escapes U+0000..U+0002 in a string part (src/store/keys.rs). */
export const STORE_STRING_ESCAPE = "\u0002";

/** The char code of base-64 digit 0 of a number (src/store/keys.rs). */
export const STORE_NUMBER_DIGIT_BASE = 48;

/** The most base-64 digits a number has (src/store/keys.rs). */
export const STORE_NUMBER_MAX_DIGITS = 11;

/** Ends a number that is not negative (src/store/keys.rs). */
export const STORE_NUMBER_END = "/";

/** Ends a negative number (src/store/keys.rs). */
export const STORE_NEGATIVE_NUMBER_END = "p";

/** The longest topic or pattern in UTF-8 bytes (src/fanout/topic.rs). */
export const MAX_TOPIC_BYTES = 256;

/** The longest task id in UTF-8 bytes (src/scheduler/task.rs). */
export const MAX_TASK_ID_BYTES = 512;

/** Names a task may never target, besides the prefix below (src/scheduler/lifecycle.rs). */
export const LIFECYCLE_METHODS = ["constructor", "dup", "fetch", "alarm", "onStart", "onRequest", "onBeforeConnect", "onConnect", "onMessage", "onClose", "onError", "onTaskFailed", "assertReady", "core", "sql", "store", "scheduler", "sockets", "taskHandlers"] as const;

/** The prefix of the platform's WebSocket handlers, never task handlers (src/scheduler/lifecycle.rs). */
export const LIFECYCLE_METHOD_PREFIX = "webSocket";

/** The task kinds, in the order of the number `schedulerSchedule` takes (src/scheduler/task.rs `TaskKind::ALL`). */
export const TASK_KINDS = ["at", "after", "every", "cron"] as const;

/** A batch's mark: not started (src/scheduler/delivery.rs `mark`). */
export const TASK_MARK_FREE = 0;

/** A batch's mark: written since its claim, start it through the core (src/scheduler/delivery.rs `mark`). */
export const TASK_MARK_STALE = 1;

/** A batch's mark: its handler runs (src/scheduler/delivery.rs `mark`). */
export const TASK_MARK_STARTED = 2;

/** A batch's mark: its handler succeeded, its acknowledgement is due (src/scheduler/delivery.rs `mark`). */
export const TASK_MARK_DONE = 3;

/** A batch's mark: passed without running (the core said to skip it; src/scheduler/delivery.rs `mark`). */
export const TASK_MARK_SKIPPED = 4;
