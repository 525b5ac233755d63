//! `floating-rpc`: a call on a Durable Object stub whose promise is dropped: neither awaited,
//! returned, assigned nor passed on. Its errors (overloaded, reset, a throw in the remote
//! method) are lost, and the invocation may be cancelled when the caller's request ends.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::AstKind;

pub const META: RuleMeta = RuleMeta {
    id: "floating-rpc",
    severity: Severity::Warning,
    category: Category::Code,
    summary:
        "A call on a Durable Object stub whose promise is neither awaited, returned nor passed on.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.method_calls() {
        if !ctx.is_stub(call.receiver_expr) {
            continue;
        }
        // Only a call that is the whole statement is dropped (`void stub.x()` is a choice).
        if !matches!(
            ctx.semantic.nodes().parent_kind(call.node_id),
            AstKind::ExpressionStatement(_)
        ) {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            call.name_span(),
            format!("the promise of this `{}` call on a Durable Object stub is dropped, so its errors are lost: `await` it, return it, or pass it to `ctx.waitUntil(...)`", call.method),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| {
            format!("export default {{ async fetch(request, env, ctx) {{ {body} return new Response(); }} }};")
        };
        let fire = [
            wrap("env.ROOM.getByName('a').hit();"),
            wrap("const stub = env.ROOM.getByName('a'); stub.hit(1);"),
            wrap("const id = env.ROOM.idFromName('a'); const stub = env.ROOM.get(id); stub.fetch(request);"),
        ];
        let pass = [
            wrap("await env.ROOM.getByName('a').hit();"),
            wrap("ctx.waitUntil(env.ROOM.getByName('a').hit());"),
            wrap("void env.ROOM.getByName('a').hit();"),
            wrap("const p = env.ROOM.getByName('a').hit(); await p;"),
            wrap("env.CACHE.get('a').then(() => {});"),
        ];
        assert_cases("floating-rpc", CONFIG, &fire, &pass);
    }
}
