//! `timer-in-object`: `setTimeout` or `setInterval` inside a Durable Object. A timer is not
//! durable (eviction or a deploy drops it) and a pending one keeps the object from
//! hibernating, so it is billed while it waits. Use an alarm (or `this.scheduler`).

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};

pub const META: RuleMeta = RuleMeta {
    id: "timer-in-object",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "`setTimeout`/`setInterval` in an object: not durable, and it keeps the object from hibernating.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for (node_id, call) in ctx.all_calls() {
        let name = ["setTimeout", "setInterval"]
            .into_iter()
            .find(|n| ctx.is_global_call(&call.callee, n));
        let Some(name) = name else { continue };
        if ctx.object_class(node_id).is_none() {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            call.span,
            format!("{name} in a Durable Object is lost on eviction and keeps the object from hibernating: schedule the work with `ctx.storage.setAlarm` (or `this.scheduler` in durable-core)"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        assert_cases(
            "timer-in-object",
            CONFIG,
            &[
                "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { hit() { setTimeout(() => this.flush(), 1000); } flush() {} }",
                "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { constructor(c, e) { super(c, e); setInterval(() => {}, 5000); } }",
                "export class Room { async hit() { await new Promise((r) => globalThis.setTimeout(r, 10)); } }",
            ],
            &[
                "export default { async fetch() { await new Promise((r) => setTimeout(r, 10)); return new Response(); } };",
                "import { DurableObject } from 'cloudflare:workers';\nconst setTimeout = (f) => f();\nexport class Room extends DurableObject { hit() { setTimeout(() => {}); } }",
                "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { async hit() { await this.ctx.storage.setAlarm(Date.now() + 1000); } }",
                "export class Plain { hit() { setTimeout(() => {}, 1); } }",
            ],
        );
    }
}
