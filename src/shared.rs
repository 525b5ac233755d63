//! The values the TypeScript facade needs before anything crosses into the engine (limits it
//! checks first, names it recognises), kept here so each has one home. `tests/generated_ts.rs`
//! writes them to `pkg-template/src/generated/core.ts` and fails when the committed file is
//! stale: `UPDATE_GENERATED=1 cargo test --test generated_ts` rewrites it.

/// One value exported to TypeScript as `export const <name> = <literal>;`.
pub struct TsConstant {
    /// The TypeScript name (SCREAMING_SNAKE_CASE, as in Rust).
    pub name: &'static str,
    /// The literal, already in TypeScript syntax (a number, a quoted string, an array).
    pub literal: String,
    /// One line saying what it is and where it lives in Rust.
    pub doc: &'static str,
}

fn number(name: &'static str, value: usize, doc: &'static str) -> TsConstant {
    TsConstant { name, literal: value.to_string(), doc }
}

/// A string literal. Only names cross this way (ASCII without quotes or backslashes), which
/// Rust's `Debug` quotes exactly as TypeScript reads them.
fn text(name: &'static str, value: &str, doc: &'static str) -> TsConstant {
    TsConstant { name, literal: format!("{value:?}"), doc }
}

/// A read-only array of string literals (see [`text`]).
fn names(name: &'static str, values: &[&str], doc: &'static str) -> TsConstant {
    let items: Vec<String> = values.iter().map(|value| format!("{value:?}")).collect();
    TsConstant { name, literal: format!("[{}] as const", items.join(", ")), doc }
}

/// Every constant the facade shares with the core, in the order the generated file lists them.
pub fn ts_constants() -> Vec<TsConstant> {
    vec![
        number(
            "MAX_FRAGMENT_DEPTH",
            crate::sql::MAX_FRAGMENT_DEPTH,
            "How deeply sql fragments and join parts may nest (src/sql/template.rs).",
        ),
        number(
            "MAX_IDENTIFIER_BYTES",
            crate::sql::MAX_IDENTIFIER_BYTES,
            "The longest `sql.id` name in UTF-8 bytes (src/sql/template.rs).",
        ),
        number("MAX_KEY_BYTES", crate::store::MAX_KEY_BYTES, "The encoded key limit in UTF-8 bytes (src/store/keys.rs)."),
        number("MAX_KEY_DEPTH", crate::store::MAX_KEY_DEPTH, "How deeply key tuples may nest (src/store/keys.rs)."),
        number(
            "MAX_TOPIC_BYTES",
            crate::fanout::topic::MAX_TOPIC_BYTES,
            "The longest topic or pattern in UTF-8 bytes (src/fanout/topic.rs).",
        ),
        number("MAX_TASK_ID_BYTES", crate::scheduler::MAX_ID_BYTES, "The longest task id in UTF-8 bytes (src/scheduler/task.rs)."),
        names(
            "LIFECYCLE_METHODS",
            crate::scheduler::LIFECYCLE_METHODS,
            "Names a task may never target, besides the prefix below (src/scheduler/lifecycle.rs).",
        ),
        text(
            "LIFECYCLE_METHOD_PREFIX",
            crate::scheduler::LIFECYCLE_METHOD_PREFIX,
            "The prefix of the platform's WebSocket handlers, never task handlers (src/scheduler/lifecycle.rs).",
        ),
    ]
}

/// The text of `pkg-template/src/generated/core.ts`.
pub fn typescript_module() -> String {
    let mut out = String::from(
        "// Generated from the Rust core (src/shared.rs) by tests/generated_ts.rs: do not edit.\n\
         // Regenerate with `UPDATE_GENERATED=1 cargo test --test generated_ts`.\n",
    );
    for constant in ts_constants() {
        out.push_str(&format!("\n/** {} */\nexport const {} = {};\n", constant.doc, constant.name, constant.literal));
    }
    out
}
