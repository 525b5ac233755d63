//! `random-object-name`: `getByName`/`idFromName` with a random or time-based name, or a
//! `newUniqueId()` whose id is never kept. A name picks the object: a random one creates a new,
//! empty object on every call that nobody can reach again (billed storage, lost state). A
//! unique id must be stored (`id.toString()`) to reach the object later.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::{BindingPattern, Expression};
use oxc_ast::AstKind;
use oxc_span::GetSpan;

pub const META: RuleMeta = RuleMeta {
    id: "random-object-name",
    severity: Severity::Warning,
    category: Category::Code,
    summary:
        "An object named by a random or time-based value, or a `newUniqueId()` that is never kept.",
};

const RANDOM: &[&str] = &[
    "Math.random(",
    "randomUUID(",
    "Date.now(",
    "new Date(",
    "performance.now(",
    "getRandomValues(",
];

fn is_random<'a>(ctx: &FileCtx<'_, 'a>, expr: &'a Expression<'a>, depth: u32) -> bool {
    if depth > 6 {
        return false;
    }
    let text = expr.span().source_text(ctx.text);
    if RANDOM.iter().any(|r| text.contains(r)) {
        return true;
    }
    match expr.without_parentheses() {
        Expression::Identifier(_) => ctx
            .const_init(expr)
            .is_some_and(|init| is_random(ctx, init, depth + 1)),
        Expression::TemplateLiteral(t) => {
            t.expressions.iter().any(|e| is_random(ctx, e, depth + 1))
        }
        Expression::BinaryExpression(b) => {
            is_random(ctx, &b.left, depth + 1) || is_random(ctx, &b.right, depth + 1)
        }
        Expression::CallExpression(c)
            if matches!(
                c.callee
                    .get_member_expr()
                    .and_then(|m| m.static_property_name()),
                Some("toString")
            ) =>
        {
            c.callee
                .get_member_expr()
                .is_some_and(|m| is_random(ctx, m.object(), depth + 1))
        }
        _ => false,
    }
}

/// True when the id from `newUniqueId()` at `call_id` is only ever passed to `.get(...)`.
fn id_is_dropped(ctx: &FileCtx, call_id: oxc_semantic::NodeId) -> bool {
    let nodes = ctx.semantic.nodes();
    let parent = nodes.parent_node(call_id);
    match parent.kind() {
        AstKind::ExpressionStatement(_) => true,
        AstKind::CallExpression(outer) => {
            outer
                .callee
                .get_member_expr()
                .and_then(|m| m.static_property_name())
                == Some("get")
                && !matches!(
                    nodes.parent_kind(parent.id()),
                    AstKind::VariableDeclarator(_) | AstKind::ReturnStatement(_)
                )
                && false_if_stub_kept(ctx, parent.id())
        }
        AstKind::VariableDeclarator(d) => {
            let BindingPattern::BindingIdentifier(binding) = &d.id else {
                return false;
            };
            let Some(symbol) = binding.symbol_id.get() else {
                return false;
            };
            let scoping = ctx.semantic.scoping();
            let references: Vec<_> = scoping.get_resolved_references(symbol).collect();
            references.iter().all(|r| {
                let user = nodes.parent_node(r.node_id());
                matches!(user.kind(), AstKind::CallExpression(c)
                    if c.callee.get_member_expr().and_then(|m| m.static_property_name()) == Some("get"))
            })
        }
        _ => false,
    }
}

/// A stub of a fresh unique object used once and dropped loses the object as well; kept in a
/// variable, it may still be used for the object's whole life in this request, which is a
/// legitimate one-off (the caller may store `stub.id` later), so only inline uses count.
fn false_if_stub_kept(ctx: &FileCtx, get_call: oxc_semantic::NodeId) -> bool {
    let text = ctx
        .semantic
        .nodes()
        .kind(get_call)
        .span()
        .source_text(ctx.text);
    !text.contains(".id")
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.method_calls() {
        match call.method.as_str() {
            "getByName" | "idFromName" => {
                let Some(name) = call.argument(0) else {
                    continue;
                };
                if is_random(ctx, name, 0) {
                    out.push(RawFinding::at(
                        META.id,
                        name.span(),
                        format!("this name is random or time-based, so every `{}` reaches a new, empty object that nobody can find again: name objects after what they hold (a room, a user id), or store the name", call.method),
                    ));
                }
            }
            "newUniqueId"
                if (ctx.binding_of(call.receiver_expr).is_some()
                    || call
                        .receiver
                        .as_deref()
                        .is_some_and(|p| p.iter().any(|s| s == "env")))
                    && id_is_dropped(ctx, call.node_id) =>
            {
                out.push(RawFinding::at(
                    META.id,
                    call.name_span(),
                    "the id from newUniqueId() is never kept, so the object it creates cannot be reached again: store `id.toString()` (and use `idFromString` later), or use `getByName` with a meaningful name",
                ));
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        let wrap =
            |body: &str| format!("export default {{ async fetch(request, env) {{ {body} }} }};");
        let fire = [
            wrap("return env.ROOM.getByName(crypto.randomUUID()).fetch(request);"),
            wrap("const name = `room-${Date.now()}`; return env.ROOM.getByName(name).fetch(request);"),
            wrap("const id = env.ROOM.idFromName(String(Math.random())); return env.ROOM.get(id).fetch(request);"),
            wrap("return env.ROOM.get(env.ROOM.newUniqueId()).fetch(request);"),
            wrap("const id = env.ROOM.newUniqueId(); return env.ROOM.get(id).fetch(request);"),
        ];
        let pass = [
            wrap("return env.ROOM.getByName(new URL(request.url).pathname).fetch(request);"),
            wrap("const id = env.ROOM.newUniqueId(); await env.CACHE.put('room', id.toString()); return env.ROOM.get(id).fetch(request);"),
            wrap("const id = env.ROOM.newUniqueId(); return Response.json({ id: id.toString() });"),
            wrap("const started = Date.now(); const r = await env.ROOM.getByName('lobby').fetch(request); console.log(Date.now() - started); return r;"),
        ];
        assert_cases("random-object-name", CONFIG, &fire, &pass);
    }
}
