//! `ws-not-hibernatable`: a WebSocket accepted with `ws.accept()` inside a Durable Object. Such
//! a socket pins the object in memory for as long as it is open (billed duration, no
//! hibernation). `ctx.acceptWebSocket(ws)` lets the object sleep between messages.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::Expression;
use oxc_ast::AstKind;

pub const META: RuleMeta = RuleMeta {
    id: "ws-not-hibernatable",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "`ws.accept()` in an object: the socket keeps it awake; use `ctx.acceptWebSocket`.",
};

/// True when `expr` holds one end of a `new WebSocketPair()` (through `const`s and indexing).
fn is_pair_socket(ctx: &FileCtx, expr: &Expression, depth: u32) -> bool {
    if depth > 8 {
        return false;
    }
    match expr.without_parentheses() {
        Expression::Identifier(id) => {
            let Some(reference) = id.reference_id.get() else {
                return false;
            };
            let Some(symbol) = ctx.semantic.scoping().get_reference(reference).symbol_id() else {
                return false;
            };
            let decl = ctx.semantic.scoping().symbol_declaration(symbol);
            let AstKind::VariableDeclarator(d) = ctx.kind(decl) else {
                return false;
            };
            let Some(init) = &d.init else { return false };
            init.span().source_text(ctx.text).contains("WebSocketPair")
                || is_pair_socket(ctx, init, depth + 1)
        }
        Expression::ComputedMemberExpression(m) => is_pair_socket(ctx, &m.object, depth + 1),
        Expression::StaticMemberExpression(m) => is_pair_socket(ctx, &m.object, depth + 1),
        _ => false,
    }
}

use oxc_span::GetSpan;

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.method_calls() {
        if call.method != "accept" || ctx.object_class(call.node_id).is_none() {
            continue;
        }
        if !is_pair_socket(ctx, call.receiver_expr, 0) {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            call.name_span(),
            "ws.accept() keeps the object in memory while the socket is open: accept it with `this.ctx.acceptWebSocket(ws)` and handle `webSocketMessage`/`webSocketClose`, so the object can hibernate",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        let head = "import { DurableObject } from 'cloudflare:workers';\n";
        let fire = [
            "export class Room extends DurableObject { fetch() { const [client, server] = Object.values(new WebSocketPair()); server.accept(); return new Response(null, { status: 101, webSocket: client }); } }",
            "export class Room extends DurableObject { fetch() { const pair = new WebSocketPair(); const { 0: c, 1: s } = pair; const ws = pair[1]; ws.accept(); return new Response(null, { status: 101, webSocket: c }); } }",
            "export class Room extends DurableObject { fetch() { const [c, s] = Object.values(new WebSocketPair()); s.accept({ allowHalfOpen: true }); return new Response(null, { status: 101, webSocket: c }); } }",
        ];
        let pass = [
            "export class Room extends DurableObject { fetch() { const [c, s] = Object.values(new WebSocketPair()); this.ctx.acceptWebSocket(s); return new Response(null, { status: 101, webSocket: c }); } }",
            "export default { fetch() { const [c, s] = Object.values(new WebSocketPair()); s.accept(); return new Response(null, { status: 101, webSocket: c }); } };",
            "export class Room extends DurableObject { fetch(req) { this.invites.accept(req); return new Response(); } }",
        ];
        let fire: Vec<String> = fire.iter().map(|s| format!("{head}{s}")).collect();
        let pass: Vec<String> = pass.iter().map(|s| format!("{head}{s}")).collect();
        assert_cases("ws-not-hibernatable", CONFIG, &fire, &pass);
    }
}
