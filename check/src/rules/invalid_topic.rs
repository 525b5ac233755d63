//! `invalid-topic`: a literal topic or subscription pattern that durable-core's fan-out would
//! refuse at run time (`this.sockets.publish`, `connections`, `count`, `presence`;
//! `connection.subscribe`/`unsubscribe`). It is parsed by the core's own `parse_topic` /
//! `parse_filter`, so the finding carries the `TOPIC_INVALID` message.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use durable_core::error::ErrorCode;
use durable_core::fanout::topic::{parse_filter, parse_topic};
use oxc_span::GetSpan;

pub const META: RuleMeta = RuleMeta {
    id: "invalid-topic",
    severity: Severity::Error,
    category: Category::DurableCore,
    summary:
        "A literal topic or pattern that `this.sockets` / `connection.subscribe` would refuse.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    let durable_core = ctx
        .classes
        .iter()
        .any(|c| c.kind == crate::analysis::ObjectKind::DurableCore);
    if !durable_core {
        return;
    }
    for call in ctx.method_calls() {
        let on_sockets = call
            .receiver
            .as_deref()
            .is_some_and(|p| matches!(p, [this, s] if this == "this" && s == "sockets"));
        // Publish topics are exact; the other calls take patterns.
        let exact = match call.method.as_str() {
            "publish" if on_sockets => true,
            "connections" | "count" | "presence" if on_sockets => false,
            "subscribe" | "unsubscribe" if !on_sockets => false,
            _ => continue,
        };
        if !on_sockets
            && ctx
                .object_class(call.node_id)
                .is_none_or(|c| c.kind != crate::analysis::ObjectKind::DurableCore)
        {
            continue;
        }
        let Some((topic, text)) = ctx.static_argument(call, 0) else {
            continue;
        };
        let result = if exact {
            parse_topic(&text).map(|_| ())
        } else {
            parse_filter(&text).map(|_| ())
        };
        if let Err(error) = result {
            out.push(RawFinding::at(
                META.id,
                topic.span(),
                format!("{error} ({} at run time)", error.code()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, core_object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| core_object_with(&format!("onConnect(conn) {{ {body} }}"));
        let fire = [
            wrap("this.sockets.publish('room/*', 'hi');"),
            wrap("conn.subscribe('room//typing');"),
            wrap("conn.subscribe('a/**/b');"),
            wrap("this.sockets.count('');"),
        ];
        let pass = [
            wrap("this.sockets.publish('room/lobby', 'hi');"),
            wrap("conn.subscribe('room/**', { presence: true });"),
            wrap("conn.subscribe(`room/${this.name}`);"),
            "export class Plain { go(bus) { bus.subscribe('a//b'); } }".to_owned(),
        ];
        assert_cases("invalid-topic", CONFIG, &fire, &pass);
    }
}
