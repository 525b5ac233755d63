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

/// A string constant. Rust's `Debug` form of a `str` is a valid JavaScript string literal: it
/// escapes `"`, `\` and control characters, and writes other escapes as `\u{...}`, which
/// JavaScript reads the same way.
fn text(name: &'static str, value: &str, doc: &'static str) -> TsConstant {
    TsConstant { name, literal: format!("{value:?}"), doc }
}

fn bind_op(name: &'static str, op: crate::sql::BindOp, doc: &'static str) -> TsConstant {
    number(name, usize::from(op as u8), doc)
}

/// Every constant the facade shares with the core, in the order the generated file lists them.
pub fn ts_constants() -> Vec<TsConstant> {
    use crate::sql::BindOp;
    vec![
        text(
            "CORE_ERROR_NAME",
            crate::error::CORE_ERROR_NAME,
            "The `name` of every error the wasm core throws, how the facade recognises them (src/error.rs).",
        ),
        // sql
        bind_op("BIND_OP_VALUE", BindOp::Value, "Plan op: bind the value, converted (src/sql/template.rs `BindOp`)."),
        bind_op("BIND_OP_JSON", BindOp::Json, "Plan op: bind the value's JSON text (src/sql/template.rs `BindOp`)."),
        bind_op("BIND_OP_LIST", BindOp::List, "Plan op: bind a list as one JSON array text (src/sql/template.rs `BindOp`)."),
        bind_op("BIND_OP_SPREAD", BindOp::Spread, "Plan op: bind each item of a list (src/sql/template.rs `BindOp`)."),
        text(
            "FRAGMENT_DEPTH_MESSAGE",
            &crate::sql::fragment_depth_message(),
            "`SQL_TEMPLATE`'s message for fragments nested too deep (src/sql/template.rs).",
        ),
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
        number(
            "STATEMENT_PREVIEW_CHARS",
            crate::sql::STATEMENT_PREVIEW_CHARS,
            "How much of a statement an `SQL_ERROR` message shows (src/sql/error.rs).",
        ),
        // schema
        text("USER_SCOPE", crate::schema::USER_SCOPE, "The ledger scope of the user's `static migrations` (src/schema.rs)."),
        text(
            "SCHEDULER_SCOPE",
            crate::schema::SCHEDULER_SCOPE,
            "The ledger scope of the scheduler's tables (src/schema.rs).",
        ),
        number("MAX_KEY_BYTES", crate::store::MAX_KEY_BYTES, "The encoded key limit in UTF-8 bytes (src/store/keys.rs)."),
        number("MAX_KEY_DEPTH", crate::store::MAX_KEY_DEPTH, "How deeply key tuples may nest (src/store/keys.rs)."),
        number(
            "MAX_TOPIC_BYTES",
            crate::fanout::topic::MAX_TOPIC_BYTES,
            "The longest topic or pattern in UTF-8 bytes (src/fanout/topic.rs).",
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
