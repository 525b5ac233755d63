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
