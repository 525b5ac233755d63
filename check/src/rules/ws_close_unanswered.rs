//! `ws-close-unanswered`: a `webSocketClose` handler that never calls `ws.close()`, where the
//! runtime does not answer the peer's Close frame itself: compatibility dates before
//! 2026-04-07 without the `web_socket_auto_reply_to_close` flag (or with
//! `no_web_socket_auto_reply_to_close`). The client then waits for a close that never comes.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::{BindingPattern, ClassElement, Expression};

pub const META: RuleMeta = RuleMeta {
    id: "ws-close-unanswered",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "`webSocketClose` that never calls `ws.close()` where the runtime does not answer the close itself.",
};

pub const AUTO_REPLY_FROM: &str = "2026-04-07";

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    if ctx.config.flag_enabled(
        "web_socket_auto_reply_to_close",
        "no_web_socket_auto_reply_to_close",
        AUTO_REPLY_FROM,
    ) {
        return;
    }
    for class in ctx.classes.iter().filter(|c| c.is_object()) {
        for (name, element) in ctx.class_members(class.node_id) {
            let ClassElement::MethodDefinition(method) = element else {
                continue;
            };
            if name != "webSocketClose" {
                continue;
            }
            let Some(param) = method.value.params.items.first() else {
                continue;
            };
            let BindingPattern::BindingIdentifier(ws) = &param.pattern else {
                continue;
            };
            let function_id = method.value.node_id.get();
            let answered = ctx.method_calls().any(|c| {
                c.method == "close"
                    && ctx.is_inside(c.node_id, function_id)
                    && c.receiver.as_deref().is_some_and(|r| {
                        r.len() == 1 && r.first().is_some_and(|n| n == ws.name.as_str())
                    })
            });
            // A handler that hands the socket to a helper of its own (`this.drop(ws)`,
            // `drop(ws)`) may close it there; `this.members.delete(ws)` closes nothing.
            let handed_on = ctx.all_calls().any(|(node_id, c)| {
                let own_helper = match c.callee.without_parentheses() {
                    Expression::Identifier(_) => true,
                    Expression::StaticMemberExpression(m) => matches!(m.object, Expression::ThisExpression(_)),
                    Expression::PrivateFieldExpression(m) => matches!(m.object, Expression::ThisExpression(_)),
                    _ => false,
                };
                own_helper
                    && ctx.is_inside(node_id, function_id)
                    && c.arguments.iter().any(|a| matches!(a.as_expression(), Some(Expression::Identifier(i)) if i.name == ws.name))
            });
            if answered || handed_on {
                continue;
            }
            out.push(RawFinding::new(
                META.id,
                method.key_span().start,
                method.key_span().end,
                format!("with compatibility date before {AUTO_REPLY_FROM} the runtime does not answer a client's close: call `{}.close(code, reason)` in webSocketClose, or set a compatibility date on or after {AUTO_REPLY_FROM}", ws.name),
            ));
        }
    }
}

trait KeySpan {
    fn key_span(&self) -> oxc_span::Span;
}

impl KeySpan for oxc_ast::ast::MethodDefinition<'_> {
    fn key_span(&self) -> oxc_span::Span {
        oxc_span::GetSpan::span(&self.key)
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, config_dated, findings_of, object_with};

    #[test]
    fn fixtures() {
        let old = config_dated("2026-01-10");
        let wrap = object_with;
        let fire = [
            wrap("async webSocketClose(ws, code, reason) { this.count--; }"),
            wrap("webSocketClose(ws) {}"),
            wrap("async webSocketClose(socket, code) { other.close(code); }"),
            wrap("async webSocketClose(ws) { this.members.delete(ws); }"),
        ];
        let pass = [
            wrap("async webSocketClose(ws, code, reason) { ws.close(code, reason); }"),
            wrap("async webSocketClose(ws, code) { this.drop(ws); } drop(ws) { ws.close(); }"),
            wrap("async webSocketMessage(ws, m) { ws.send(m); }"),
        ];
        assert_cases("ws-close-unanswered", &old, &fire, &pass);
        for flagged in [
            old.replace("2026-01-10", "2026-04-07"),
            old.replace(
                "\"main\"",
                "\"compatibility_flags\":[\"web_socket_auto_reply_to_close\"],\"main\"",
            ),
        ] {
            assert!(findings_of("ws-close-unanswered", &flagged, &fire[0]).is_empty());
        }
        let opted_out = old.replace("2026-01-10", "2026-10-01").replace(
            "\"main\"",
            "\"compatibility_flags\":[\"no_web_socket_auto_reply_to_close\"],\"main\"",
        );
        assert!(!findings_of("ws-close-unanswered", &opted_out, &fire[0]).is_empty());
    }
}
