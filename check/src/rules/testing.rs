//! Fixture helpers: a case is the source of `src/index.ts` (and, for configuration rules, the
//! `wrangler.jsonc`), run through a whole [`Session`] so that fixtures test what users get.

use crate::{Finding, Options, Session};

pub const CONFIG: &str = r#"{
  "main": "src/index.ts",
  "compatibility_date": "2026-10-01",
  "durable_objects": { "bindings": [
    { "name": "ROOM", "class_name": "Room" },
    { "name": "OTHER", "class_name": "Other" }
  ] },
  "migrations": [{ "tag": "v1", "new_sqlite_classes": ["Room", "Other"] }],
  "kv_namespaces": [{ "binding": "CACHE", "id": "x" }],
  "r2_buckets": [{ "binding": "FILES", "bucket_name": "f" }],
  "d1_databases": [{ "binding": "DB", "database_id": "d" }]
}"#;

/// `src/index.ts` holding `export class Room extends DurableObject { <members> }`.
pub fn object_with(members: &str) -> String {
    format!("import {{ DurableObject }} from 'cloudflare:workers';\nexport class Room extends DurableObject {{ {members} }}")
}

/// `src/index.ts` holding `export class Room extends DurableCore { <members> }`.
pub fn core_object_with(members: &str) -> String {
    format!("import {{ DurableCore }} from 'durable-core';\nexport class Room extends DurableCore {{ {members} }}")
}

/// A configuration binding `Room` (SQLite-backed) with compatibility date `date`.
pub fn config_dated(date: &str) -> String {
    format!(
        r#"{{"main":"src/index.ts","compatibility_date":"{date}","durable_objects":{{"bindings":[{{"name":"ROOM","class_name":"Room"}}]}},"migrations":[{{"tag":"v1","new_sqlite_classes":["Room"]}}]}}"#
    )
}

/// Findings of `rule` for the project `config` + `src/index.ts` = `source`.
pub fn findings_of(rule: &str, config: &str, source: &str) -> Vec<Finding> {
    let mut session = Session::new(Options::default());
    session
        .set_config("wrangler.jsonc", config)
        .expect("fixture config parses");
    session.add_file("src/index.ts", source);
    session
        .finish()
        .findings
        .into_iter()
        .filter(|f| f.rule == rule)
        .collect()
}

/// Asserts that every `fire` case yields a finding of `rule` and no `pass` case does.
pub fn assert_cases(rule: &str, config: &str, fire: &[impl AsRef<str>], pass: &[impl AsRef<str>]) {
    assert!(
        fire.len() >= 3 && pass.len() >= 3,
        "{rule}: at least three cases each way"
    );
    for (i, source) in fire.iter().map(AsRef::as_ref).enumerate() {
        let found = findings_of(rule, config, source);
        assert!(
            !found.is_empty(),
            "{rule}: fire case {i} did not fire:\n{source}"
        );
        let syntax = findings_of("syntax-error", config, source);
        assert!(
            syntax.is_empty(),
            "{rule}: fire case {i} does not parse: {syntax:?}"
        );
    }
    for (i, source) in pass.iter().map(AsRef::as_ref).enumerate() {
        let found = findings_of(rule, config, source);
        assert!(
            found.is_empty(),
            "{rule}: near-miss {i} fired: {found:#?}\n{source}"
        );
        let syntax = findings_of("syntax-error", config, source);
        assert!(
            syntax.is_empty(),
            "{rule}: near-miss {i} does not parse: {syntax:?}"
        );
    }
}

/// Like [`assert_cases`], for configuration rules: each case is a `(config, source)` pair.
pub fn assert_config_cases(rule: &str, fire: &[(&str, &str)], pass: &[(&str, &str)]) {
    assert!(
        fire.len() >= 3 && pass.len() >= 3,
        "{rule}: at least three cases each way"
    );
    for (i, (config, source)) in fire.iter().enumerate() {
        assert!(
            !findings_of(rule, config, source).is_empty(),
            "{rule}: fire case {i} did not fire:\n{config}"
        );
    }
    for (i, (config, source)) in pass.iter().enumerate() {
        let found = findings_of(rule, config, source);
        assert!(
            found.is_empty(),
            "{rule}: near-miss {i} fired: {found:#?}\n{config}"
        );
    }
}
