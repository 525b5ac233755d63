//! `alarm-without-super`: a `DurableCore` subclass that overrides `alarm()` without calling
//! `super.alarm()`. durable-core's scheduler runs on the object's one alarm; without the call
//! no scheduled task ever runs again and the queue only grows.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::{ClassElement, Expression};
use oxc_span::GetSpan;

pub const META: RuleMeta = RuleMeta {
    id: "alarm-without-super",
    severity: Severity::Error,
    category: Category::DurableCore,
    summary: "A `DurableCore` subclass overriding `alarm()` without calling `super.alarm()`: the scheduler stops.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for element in ctx.core_members_named("alarm") {
        let ClassElement::MethodDefinition(method) = element else {
            continue;
        };
        if method.r#static {
            continue;
        }
        let function = method.value.node_id.get();
        let calls_super = ctx.all_calls().any(|(node_id, call)| {
            let Some(member) = call.callee.get_member_expr() else {
                return false;
            };
            matches!(member.object(), Expression::Super(_))
                && member.static_property_name() == Some("alarm")
                && ctx.is_inside(node_id, function)
        });
        if !calls_super {
            out.push(RawFinding::at(
                META.id,
                method.key.span(),
                "this alarm() replaces durable-core's, so scheduled tasks never run: call `await super.alarm(alarmInfo)` in it",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, core_object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = core_object_with;
        let fire = [
            wrap("async alarm() { await this.cleanup(); } async cleanup() {}"),
            wrap("alarm(info) { return; }"),
            wrap("async alarm(info) { const f = () => this.other.alarm(info); f(); }"),
        ];
        let pass = [
            wrap("async alarm(info) { await super.alarm(info); this.n++; }"),
            wrap("async onStart() {}"),
            "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { async alarm() {} }".to_owned(),
            wrap("async alarm(info) { try { await super.alarm(info); } finally { this.done(); } } done() {}"),
        ];
        assert_cases("alarm-without-super", CONFIG, &fire, &pass);
    }
}
