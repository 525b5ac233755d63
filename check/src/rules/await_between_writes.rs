//! `await-between-writes`: two storage writes in one function with an `await` of non-storage
//! I/O between them (`fetch`, RPC, KV/R2/D1, a timer). Writes with no such `await` between
//! them are coalesced and commit atomically; across the `await`, the first is committed alone
//! and other events run in between. Group the writes, or use `ctx.storage.transactionSync`.

use super::{Category, RuleMeta};
use crate::analysis::{FileCtx, MethodCall};
use crate::diagnostic::{LineIndex, RawFinding, Severity};
use oxc_ast::AstKind;
use oxc_semantic::NodeId;

pub const META: RuleMeta = RuleMeta {
    id: "await-between-writes",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "Storage writes split by an `await` of other I/O: they no longer commit atomically.",
};

const WRITES: &[&str] = &["put", "delete", "deleteAll", "setAlarm", "deleteAlarm"];

fn is_write_sql(ctx: &FileCtx, call: &MethodCall) -> bool {
    let Some((_, text)) = ctx.static_argument(call, 0) else {
        return false;
    };
    let first = text
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()
        .unwrap_or("")
        .to_ascii_uppercase();
    matches!(
        first.as_str(),
        "INSERT" | "UPDATE" | "DELETE" | "REPLACE" | "UPSERT"
    )
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    // (function, start offset, node) of every write.
    let mut writes: Vec<(Option<NodeId>, u32)> = ctx
        .storage_calls()
        .filter(|c| WRITES.contains(&c.method.as_str()))
        .map(|c| (ctx.function_of(c.node_id), c.name_span().start))
        .collect();
    writes.extend(
        ctx.sql_exec_calls()
            .filter(|c| is_write_sql(ctx, c))
            .map(|c| (ctx.function_of(c.node_id), c.span().start)),
    );
    if writes.len() < 2 {
        return;
    }
    let awaits: Vec<(Option<NodeId>, u32, String)> = ctx
        .semantic
        .nodes()
        .iter()
        .filter_map(|n| match n.kind() {
            AstKind::AwaitExpression(a) => Some((
                ctx.function_of(n.id()),
                a.span.start,
                ctx.io_kind(&a.argument)?,
            )),
            _ => None,
        })
        .collect();
    writes.sort_by_key(|w| w.1);
    let mut index = None;
    for (i, (function, second)) in writes.iter().enumerate() {
        // Some earlier write of the function with an await after it and before this one exists
        // exactly when the function's first write has one: only that one is compared.
        let Some((_, first)) = writes.iter().take(i).find(|(f, _)| f == function) else {
            continue;
        };
        let between = awaits
            .iter()
            .find(|(f, at, _)| f == function && at > first && at < second);
        let Some((_, at, kind)) = between else {
            continue;
        };
        let index = index.get_or_insert_with(|| LineIndex::new(ctx.text));
        let first_line = index.position(ctx.text, *first).line;
        let await_line = index.position(ctx.text, *at).line;
        out.push(RawFinding::new(
            META.id,
            *second,
            *second + 1,
            format!("this write and the one on line {first_line} are split by awaiting {kind} (line {await_line}), so they do not commit together: make both writes before the await, or wrap them in ctx.storage.transactionSync"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| object_with(&format!("async pay(id, n) {{ {body} }}"));
        let fire = [
            wrap("await this.ctx.storage.put('a', 1); await fetch('https://example.com'); await this.ctx.storage.put('b', 2);"),
            wrap("const s = this.ctx.storage; s.delete('a'); const r = await this.env.OTHER.getByName('x').debit(n); s.put('b', r);"),
            wrap("this.ctx.storage.sql.exec('UPDATE acc SET n = n - ?', n); await this.env.CACHE.put('k', 'v'); this.ctx.storage.sql.exec('INSERT INTO log VALUES (?)', n);"),
        ];
        let pass = [
            wrap("this.ctx.storage.put('a', 1); this.ctx.storage.put('b', 2); await fetch('https://example.com');"),
            wrap("await this.ctx.storage.put('a', 1); const v = await this.ctx.storage.get('x'); await this.ctx.storage.put('b', v);"),
            wrap("const r = await fetch('https://example.com'); this.ctx.storage.transactionSync(() => { this.ctx.storage.sql.exec('UPDATE a SET n = 1'); this.ctx.storage.sql.exec('UPDATE b SET n = 2'); });"),
            wrap("await this.ctx.storage.put('a', 1); const f = async () => { await fetch('x'); }; await this.ctx.storage.put('b', 2);"),
        ];
        assert_cases("await-between-writes", CONFIG, &fire, &pass);
    }
}
