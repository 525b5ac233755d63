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
    TsConstant {
        name,
        literal: value.to_string(),
        doc,
    }
}

/// A TypeScript string literal: printable ASCII as it is, every other character as `\uXXXX`.
fn string_literal(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            ' '..='~' => out.push(c),
            c => out.extend(
                c.encode_utf16(&mut [0; 2])
                    .iter()
                    .map(|unit| format!("\\u{unit:04x}")),
            ),
        }
    }
    out.push('"');
    out
}

fn text(name: &'static str, value: &str, doc: &'static str) -> TsConstant {
    TsConstant {
        name,
        literal: string_literal(value),
        doc,
    }
}

fn byte_text(name: &'static str, value: u8, doc: &'static str) -> TsConstant {
    text(name, &char::from(value).to_string(), doc)
}

/// The store's key tags of one format, as a `{ null: "1", ... } as const` object.
fn key_tags(name: &'static str, format: crate::store::KeyFormat, doc: &'static str) -> TsConstant {
    let fields: Vec<String> = crate::store::keys::tag_literals(format)
        .iter()
        .map(|(field, tag)| format!("{field}: {}", string_literal(&tag.to_string())))
        .collect();
    TsConstant {
        name,
        literal: format!("{{ {} }} as const", fields.join(", ")),
        doc,
    }
}

fn bind_op(name: &'static str, op: crate::sql::BindOp, doc: &'static str) -> TsConstant {
    number(name, usize::from(op as u8), doc)
}

/// A read-only array of string literals (see [`string_literal`]).
fn names(name: &'static str, values: &[&str], doc: &'static str) -> TsConstant {
    let items: Vec<String> = values.iter().map(|value| string_literal(value)).collect();
    TsConstant {
        name,
        literal: format!("[{}] as const", items.join(", ")),
        doc,
    }
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
        text("LEDGER_TABLE", crate::schema::LEDGER_TABLE, "The migrations ledger's table (src/schema.rs)."),
        text("USER_SCOPE", crate::schema::USER_SCOPE, "The ledger scope of the user's `static migrations` (src/schema.rs)."),
        text(
            "SCHEDULER_SCOPE",
            crate::schema::SCHEDULER_SCOPE,
            "The ledger scope of the scheduler's tables (src/schema.rs).",
        ),
        number("MAX_KEY_BYTES", crate::store::MAX_KEY_BYTES, "The encoded key limit in UTF-8 bytes (src/store/keys.rs)."),
        number("MAX_KEY_DEPTH", crate::store::MAX_KEY_DEPTH, "How deeply key tuples may nest (src/store/keys.rs)."),
        text("STORE_NAMESPACE", &crate::store::NAMESPACE.to_string(), "The first character of every store key (src/store/keys.rs)."),
        number(
            "STORE_KEY_FORMAT",
            usize::from(crate::store::KeyFormat::CURRENT.version()),
            "The key format of objects with no store key yet, the one the JS fast path encodes (src/store/keys.rs).",
        ),
        key_tags("STORE_KEY_TAGS", crate::store::KeyFormat::CURRENT, "The type tags of that format (src/store/keys.rs)."),
        byte_text("STORE_STRING_END", crate::store::keys::STRING_END, "Ends a string part (src/store/keys.rs)."),
        byte_text("STORE_STRING_ESCAPE", crate::store::keys::STRING_ESCAPE, "Escapes U+0000..U+0002 in a string part (src/store/keys.rs)."),
        number(
            "STORE_NUMBER_DIGIT_BASE",
            usize::from(crate::store::keys::NUMBER_DIGIT_BASE),
            "The char code of base-64 digit 0 of a number (src/store/keys.rs).",
        ),
        number(
            "STORE_NUMBER_MAX_DIGITS",
            crate::store::keys::NUMBER_MAX_DIGITS,
            "The most base-64 digits a number has (src/store/keys.rs).",
        ),
        byte_text("STORE_NUMBER_END", crate::store::keys::NUMBER_END, "Ends a number that is not negative (src/store/keys.rs)."),
        byte_text(
            "STORE_NEGATIVE_NUMBER_END",
            crate::store::keys::NEGATIVE_NUMBER_END,
            "Ends a negative number (src/store/keys.rs).",
        ),
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
        names(
            "TASK_KINDS",
            &crate::scheduler::TaskKind::ALL.map(crate::scheduler::TaskKind::as_str),
            "The task kinds, in the order of the number `schedulerSchedule` takes (src/scheduler/task.rs `TaskKind::ALL`).",
        ),
        number("TASK_MARK_FREE", usize::from(crate::scheduler::mark::FREE), "A batch's mark: not started (src/scheduler/delivery.rs `mark`)."),
        number(
            "TASK_MARK_STALE",
            usize::from(crate::scheduler::mark::STALE),
            "A batch's mark: written since its claim, start it through the core (src/scheduler/delivery.rs `mark`).",
        ),
        number("TASK_MARK_STARTED", usize::from(crate::scheduler::mark::STARTED), "A batch's mark: its handler runs (src/scheduler/delivery.rs `mark`)."),
        number(
            "TASK_MARK_DONE",
            usize::from(crate::scheduler::mark::DONE),
            "A batch's mark: its handler succeeded, its acknowledgement is due (src/scheduler/delivery.rs `mark`).",
        ),
        number(
            "TASK_MARK_SKIPPED",
            usize::from(crate::scheduler::mark::SKIPPED),
            "A batch's mark: passed without running (the core said to skip it; src/scheduler/delivery.rs `mark`).",
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
        out.push_str(&format!(
            "\n/** {} */\nexport const {} = {};\n",
            constant.doc, constant.name, constant.literal
        ));
    }
    out
}
