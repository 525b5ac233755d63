//! `sql-forbidden`: transaction control (`BEGIN`, `COMMIT`, `ROLLBACK`, `SAVEPOINT`, ...),
//! `ATTACH`, writes to reserved tables, or `PRAGMA user_version` in `ctx.storage.sql.exec`
//! text. The platform owns transactions (use `ctx.storage.transactionSync`) and refuses these
//! at run time. The statement check is durable-core's own (`durable_core::sql::check`), so the
//! message is the one `this.sql` would throw.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use durable_core::sql::tokenizer::tokenize;
use oxc_span::GetSpan;
use std::cell::RefCell;
use std::collections::HashMap;

pub const META: RuleMeta = RuleMeta {
    id: "sql-forbidden",
    severity: Severity::Error,
    category: Category::Code,
    summary: "`BEGIN`/`COMMIT`/`ROLLBACK`/`SAVEPOINT`/`PRAGMA user_version` in `sql.exec`: the platform refuses them.",
};

fn sets_user_version(sql: &str) -> bool {
    let words: Vec<_> = tokenize(sql).filter(|t| !t.kind.is_trivia()).collect();
    words.windows(2).any(|w| match w {
        [a, b] => a.is_word(sql, "PRAGMA") && b.is_word(sql, "user_version"),
        _ => false,
    })
}

/// The finding's message for a statement, or `None` when the platform accepts it.
fn verdict(text: &str) -> Option<String> {
    match durable_core::sql::check(text) {
        Err(error) => Some(format!("{error} (the platform refuses this statement at run time)")),
        Ok(()) if sets_user_version(text) => Some(
            "PRAGMA user_version is not allowed in a Durable Object: keep the schema version in a table of your own (durable-core's `static migrations` keeps a ledger)".to_owned(),
        ),
        Ok(()) => None,
    }
}

thread_local! {
    /// [`verdict`] by statement text: a project runs the same few statements from many files
    /// and methods, and each verdict tokenizes the statement twice.
    static VERDICTS: RefCell<HashMap<String, Option<String>>> = RefCell::new(HashMap::new());
}

fn cached_verdict(text: &str) -> Option<String> {
    VERDICTS.with(|cache| {
        if let Some(known) = cache.borrow().get(text) {
            return known.clone();
        }
        let found = verdict(text);
        cache.borrow_mut().insert(text.to_owned(), found.clone());
        found
    })
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.sql_exec_calls() {
        let Some((query, text)) = ctx.static_argument(call, 0) else {
            continue;
        };
        let Some(message) = cached_verdict(&text) else {
            continue;
        };
        out.push(RawFinding::at(META.id, query.span(), message));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, findings_of, object_with, CONFIG};

    #[test]
    fn a_repeated_statement_is_reported_at_every_call() {
        // The verdicts are cached by text: the second call, and the second run, still report.
        let source = object_with("a() { this.ctx.storage.sql.exec('COMMIT'); } b() { this.ctx.storage.sql.exec('COMMIT'); this.ctx.storage.sql.exec('SELECT 1'); }");
        for _ in 0..2 {
            let found = findings_of("sql-forbidden", CONFIG, &source);
            assert_eq!(found.len(), 2, "{found:#?}");
            assert_eq!(found[0].message, found[1].message);
        }
    }

    #[test]
    fn fixtures() {
        let wrap = |body: &str| object_with(&format!("run() {{ {body} }}"));
        let fire = [
            wrap("this.ctx.storage.sql.exec('BEGIN TRANSACTION');"),
            wrap("const sql = this.ctx.storage.sql; sql.exec(`INSERT INTO t VALUES (1); COMMIT`);"),
            wrap("const { sql } = this.ctx.storage; sql.exec('SAVEPOINT a');"),
            wrap("this.ctx.storage.sql.exec('PRAGMA user_version = 2');"),
            // An old-style object (no base class, bound in the configuration) keeping `storage` in a field.
            "export class Room { constructor(state, env) { this.storage = state.storage; } run() { this.storage.sql.exec('COMMIT'); } }".to_owned(),
        ];
        let pass = [
            wrap("this.ctx.storage.sql.exec('SELECT * FROM t WHERE note = ?', 'BEGIN');"),
            wrap("this.ctx.storage.sql.exec('-- BEGIN\\nSELECT 1');"),
            wrap("this.ctx.storage.transactionSync(() => this.ctx.storage.sql.exec('INSERT INTO t VALUES (1)'));"),
            wrap("this.ctx.storage.sql.exec('PRAGMA table_info(t)');"),
            // Assigned twice: no longer known to be the storage.
            "export class Room { constructor(state, env) { this.storage = state.storage; } swap(other) { this.storage = other; this.storage.sql.exec('COMMIT'); } }".to_owned(),
        ];
        assert_cases("sql-forbidden", CONFIG, &fire, &pass);
    }
}
