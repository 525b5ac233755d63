//! `bcw-outside-constructor`: `ctx.blockConcurrencyWhile` anywhere but the constructor. It
//! stops every other event of the object until the callback ends; per request, it serialises
//! the object and caps its throughput. The platform's guidance is to use it in the constructor,
//! for set-up that must finish before the first event.

use super::{Category, RuleMeta};
use crate::analysis::{is_ctx, FileCtx};
use crate::diagnostic::{RawFinding, Severity};

pub const META: RuleMeta = RuleMeta {
    id: "bcw-outside-constructor",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "`blockConcurrencyWhile` outside the constructor: per request, it caps the object's throughput.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.calls_to(&["blockConcurrencyWhile"], is_ctx) {
        if ctx.object_class(call.node_id).is_none() {
            continue;
        }
        let Some(member) = ctx.member_of(call.node_id) else {
            continue;
        };
        if member.is_constructor {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            call.name_span(),
            format!(
                "blockConcurrencyWhile in `{}` holds every other event of the object each time it runs: move the set-up to the constructor, or use `ctx.storage.transactionSync` for atomic writes",
                member.name
            ),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    const HEAD: &str = "import { DurableObject } from 'cloudflare:workers';\n";

    #[test]
    fn fixtures() {
        let fire = [
            "export class Room extends DurableObject { async fetch() { await this.ctx.blockConcurrencyWhile(async () => {}); return new Response(); } }",
            "export class Room extends DurableObject { async hit() { const c = this.ctx; await c.blockConcurrencyWhile(async () => {}); } }",
            "export class Room extends DurableObject { go = async () => { await this.ctx.blockConcurrencyWhile(async () => {}); } }",
        ];
        let pass = [
            "export class Room extends DurableObject { constructor(ctx, env) { super(ctx, env); ctx.blockConcurrencyWhile(async () => {}); } }",
            "export class Room extends DurableObject { constructor(ctx, env) { super(ctx, env); this.ctx.blockConcurrencyWhile(async () => { await this.load(); }); } async load() {} }",
            "export class Room extends DurableObject { async hit() { await this.queue.blockConcurrencyWhile(async () => {}); } }",
            "export class Helper { run(ctx) { return ctx.blockConcurrencyWhile(async () => {}); } }",
        ];
        let fire: Vec<String> = fire.iter().map(|s| format!("{HEAD}{s}")).collect();
        let pass: Vec<String> = pass.iter().map(|s| format!("{HEAD}{s}")).collect();
        assert_cases("bcw-outside-constructor", CONFIG, &fire, &pass);
    }
}
