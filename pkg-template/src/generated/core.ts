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

/** The ledger scope of the user's `static migrations` (src/schema.rs). */
export const USER_SCOPE = "user";

/** The ledger scope of the scheduler's tables (src/schema.rs). */
export const SCHEDULER_SCOPE = "core:scheduler";

/** The encoded key limit in UTF-8 bytes (src/store/keys.rs). */
export const MAX_KEY_BYTES = 2048;

/** How deeply key tuples may nest (src/store/keys.rs). */
export const MAX_KEY_DEPTH = 32;

/** The longest topic or pattern in UTF-8 bytes (src/fanout/topic.rs). */
export const MAX_TOPIC_BYTES = 256;
