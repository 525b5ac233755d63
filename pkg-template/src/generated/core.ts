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
