//! The facade refuses oversized input before it crosses into the engine, with limits it keeps
//! as its own constants (a JavaScript check must not call into wasm to learn them). Each must be
//! the core's: this reads them from the TypeScript sources and compares.

use std::fs;
use std::path::PathBuf;

/// The value of `const NAME = <integer>;` in a facade file.
fn ts_constant(file: &str, name: &str) -> usize {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("pkg-template/src").join(file);
    let text = fs::read_to_string(&path).unwrap();
    let marker = format!("const {name} = ");
    let at = text.find(&marker).unwrap_or_else(|| panic!("{file} declares no `{marker}`")) + marker.len();
    let digits: String = text[at..].chars().take_while(|c| c.is_ascii_digit() || *c == '_').filter(|c| *c != '_').collect();
    digits.parse().unwrap_or_else(|_| panic!("{file}: {name} is not an integer literal"))
}

#[test]
fn the_facade_checks_the_core_limits() {
    assert_eq!(ts_constant("sql-template.ts", "MAX_FRAGMENT_DEPTH"), durable_core::sql::MAX_FRAGMENT_DEPTH);
    assert_eq!(ts_constant("sql-template.ts", "MAX_IDENTIFIER_BYTES"), durable_core::sql::MAX_IDENTIFIER_BYTES);
    assert_eq!(ts_constant("store-keys.ts", "MAX_KEY_BYTES"), durable_core::store::MAX_KEY_BYTES);
    assert_eq!(ts_constant("store-keys.ts", "MAX_KEY_DEPTH"), durable_core::store::MAX_KEY_DEPTH);
    assert_eq!(ts_constant("topic-limit.ts", "MAX_TOPIC_BYTES"), durable_core::fanout::topic::MAX_TOPIC_BYTES);
}
