//! The error codes agree everywhere they are written down: the codes the Rust core emits (every
//! `fn code(&self)`), the codes the TypeScript facade throws (`new DurableCoreError("...")`), the
//! `ERROR_CODES` list behind `DurableCoreError.code`'s type (pkg-template/src/errors.ts), and the
//! README's Errors table. A new code is added to `ERROR_CODES` and to the table, or this fails.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn files(dir: &Path, extension: &str, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files(&path, extension, out);
        } else if path.extension().is_some_and(|e| e == extension) {
            out.push(path);
        }
    }
}

fn is_code(text: &str) -> bool {
    !text.is_empty()
        && text
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
}

/// The `"CODE"` literals in `text`.
fn literals(text: &str) -> impl Iterator<Item = &str> {
    text.split('"')
        .skip(1)
        .step_by(2)
        .filter(|literal| is_code(literal))
}

/// The text of the body that opens at the first `{` at or after `from`, braces balanced.
fn body(text: &str, from: usize) -> &str {
    let Some(open) = text[from..].find('{').map(|at| from + at) else {
        return "";
    };
    let mut depth = 0;
    for (offset, c) in text[open..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return &text[open..open + offset];
                }
            }
            _ => {}
        }
    }
    ""
}

/// Every code the core can put on an error: the literals in each `fn code` and in
/// `fn failure_code` (the codes a failed index build is stored with).
fn rust_codes() -> BTreeSet<String> {
    let mut sources = Vec::new();
    files(&root().join("src"), "rs", &mut sources);
    let mut codes = BTreeSet::new();
    for path in sources {
        let text = fs::read_to_string(&path).unwrap();
        for marker in ["fn code(&self) -> &'static str", "fn failure_code("] {
            for (at, _) in text.match_indices(marker) {
                codes.extend(literals(body(&text, at)).map(str::to_owned));
            }
        }
    }
    codes
}

/// Every code the facade throws itself: `DurableCoreError("CODE"` (possibly on the next line).
fn facade_codes() -> BTreeSet<String> {
    let mut sources = Vec::new();
    files(&root().join("pkg-template/src"), "ts", &mut sources);
    let mut codes = BTreeSet::new();
    for path in sources {
        let text = fs::read_to_string(&path).unwrap();
        for (at, _) in text.match_indices("DurableCoreError(") {
            let rest = text[at + "DurableCoreError(".len()..].trim_start();
            if let Some(literal) = rest.strip_prefix('"').and_then(|r| r.split('"').next()) {
                if is_code(literal) {
                    codes.insert(literal.to_owned());
                }
            }
        }
    }
    codes
}

/// `ERROR_CODES` in errors.ts, in order.
fn declared_codes() -> Vec<String> {
    let text = fs::read_to_string(root().join("pkg-template/src/errors.ts")).unwrap();
    let start = text
        .find("export const ERROR_CODES = [")
        .expect("errors.ts exports ERROR_CODES");
    let list = &text[start
        ..start
            + text[start..]
                .find("] as const")
                .expect("ERROR_CODES ends with `] as const`")];
    literals(list).map(str::to_owned).collect()
}

/// The codes of the README's Errors table (a row may name several: `` `A`, `B` ``).
fn readme_codes() -> Vec<String> {
    let text = fs::read_to_string(root().join("README.md")).unwrap();
    let section = text
        .split("\n## Errors\n")
        .nth(1)
        .expect("README has an Errors section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let mut codes = Vec::new();
    for line in section.lines().filter(|l| l.starts_with("| `")) {
        let cell = line.split('|').nth(1).unwrap_or("");
        codes.extend(
            cell.split('`')
                .skip(1)
                .step_by(2)
                .filter(|c| is_code(c))
                .map(str::to_owned),
        );
    }
    codes
}

#[test]
fn the_code_union_lists_each_code_once() {
    let declared = declared_codes();
    let unique: BTreeSet<&String> = declared.iter().collect();
    assert_eq!(
        unique.len(),
        declared.len(),
        "ERROR_CODES has a duplicate: {declared:?}"
    );
    assert!(
        declared.len() >= 30,
        "ERROR_CODES looks unparsed: {declared:?}"
    );
}

#[test]
fn every_code_the_core_emits_is_in_the_union() {
    let declared: BTreeSet<String> = declared_codes().into_iter().collect();
    let missing: Vec<String> = rust_codes().difference(&declared).cloned().collect();
    assert!(
        missing.is_empty(),
        "the core emits codes missing from ERROR_CODES (errors.ts): {missing:?}"
    );
}

#[test]
fn every_code_the_facade_throws_is_in_the_union() {
    let declared: BTreeSet<String> = declared_codes().into_iter().collect();
    let missing: Vec<String> = facade_codes().difference(&declared).cloned().collect();
    assert!(
        missing.is_empty(),
        "the facade throws codes missing from ERROR_CODES (errors.ts): {missing:?}"
    );
}

#[test]
fn every_code_in_the_union_is_thrown_somewhere() {
    let thrown: BTreeSet<String> = rust_codes().union(&facade_codes()).cloned().collect();
    let stale: Vec<String> = declared_codes()
        .into_iter()
        .filter(|c| !thrown.contains(c))
        .collect();
    assert!(
        stale.is_empty(),
        "ERROR_CODES lists codes nothing throws: {stale:?}"
    );
}

#[test]
fn the_readme_table_matches_the_union() {
    assert_eq!(
        readme_codes(),
        declared_codes(),
        "README's Errors table and ERROR_CODES (same codes, same order)"
    );
}
