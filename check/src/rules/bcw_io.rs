//! `bcw-io`: I/O awaited inside `blockConcurrencyWhile`: `fetch`, an RPC call to another
//! object, KV/R2/D1/service/queue calls, or a timer. The object accepts no other event until
//! the callback returns; slow or failing I/O there stalls every caller (and the callback has a
//! 30 s limit; a throw resets the object). Storage reads are what it is for.

use super::{Category, RuleMeta};
use crate::analysis::{is_ctx, FileCtx};
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::Expression;

pub const META: RuleMeta = RuleMeta {
    id: "bcw-io",
    severity: Severity::Error,
    category: Category::Code,
    summary: "`fetch`, RPC, KV/R2/D1 or a timer awaited inside `blockConcurrencyWhile`.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    let callbacks: Vec<_> = ctx
        .calls_to(&["blockConcurrencyWhile"], is_ctx)
        .filter_map(|c| match c.argument(0) {
            Some(Expression::ArrowFunctionExpression(f)) => Some(f.node_id.get()),
            Some(Expression::FunctionExpression(f)) => Some(f.node_id.get()),
            _ => None,
        })
        .collect();
    if callbacks.is_empty() {
        return;
    }
    for (node_id, await_expr) in ctx.awaits() {
        // An await in a function defined inside the callback runs when that function is called.
        if !ctx
            .function_of(node_id)
            .is_some_and(|f| callbacks.contains(&f))
        {
            continue;
        }
        let Some(kind) = ctx.io_kind(&await_expr.argument) else {
            continue;
        };
        out.push(RawFinding::at(
            META.id,
            await_expr.span,
            format!("{kind} is awaited inside blockConcurrencyWhile, so the object takes no other event until it answers: read only ctx.storage here and do the I/O after the block (or in the handler that needs it)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| {
            object_with(&format!("constructor(ctx, env) {{ super(ctx, env); ctx.blockConcurrencyWhile(async () => {{ {body} }}); }}"))
        };
        let fire = [
            wrap("this.config = await (await fetch('https://example.com/config')).json();"),
            wrap("this.flags = await this.env.CACHE.get('flags', 'json');"),
            wrap("const peer = this.env.OTHER.getByName('x'); this.peer = await peer.hello();"),
            wrap("await new Promise((r) => setTimeout(r, 100));"),
            wrap("this.rows = await this.env.DB.prepare('SELECT 1').all();"),
        ];
        let pass = [
            wrap("this.n = (await this.ctx.storage.get('n')) ?? 0;"),
            wrap("this.rows = this.ctx.storage.sql.exec('SELECT 1').toArray(); await this.migrate();"),
            "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { async fetch() { const c = await this.env.CACHE.get('x'); return new Response(c); } }".to_owned(),
            wrap("const later = async () => { await fetch('https://example.com'); }; this.later = later;"),
        ];
        assert_cases("bcw-io", CONFIG, &fire, &pass);
    }
}
