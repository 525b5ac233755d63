//! `set-alarm-overwrite`: `ctx.storage.setAlarm` in a function that never reads the current
//! alarm (`getAlarm()`). An object has one alarm and `setAlarm` replaces it: a later call
//! silently cancels the earlier, often sooner, one. Compare with `getAlarm()` first, or keep one
//! place that arms the alarm. `alarm()` itself is exempt: while it runs `getAlarm()` is `null`
//! and re-arming there is the normal pattern.

use super::{Category, RuleMeta};
use crate::analysis::{is_storage, FileCtx};
use crate::diagnostic::{RawFinding, Severity};

pub const META: RuleMeta = RuleMeta {
    id: "set-alarm-overwrite",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "`setAlarm` without comparing with `getAlarm()`: it replaces the pending alarm.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.calls_to(&["setAlarm"], is_storage) {
        if ctx
            .member_of(call.node_id)
            .is_some_and(|m| m.name == "alarm")
        {
            continue;
        }
        let function = ctx.function_of(call.node_id);
        let compared = ctx.calls_to(&["getAlarm"], is_storage).any(|other| {
            function.is_some_and(|f| {
                ctx.is_inside(other.node_id, f) || ctx.function_of(other.node_id) == Some(f)
            })
        });
        if compared {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            call.name_span(),
            "setAlarm replaces the object's one pending alarm: read `await ctx.storage.getAlarm()` first and only move it earlier (or keep a single place that arms it)",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = object_with;
        let fire = [
            wrap("async remind(at) { await this.ctx.storage.setAlarm(at); }"),
            wrap("async remind(at) { const s = this.ctx.storage; s.setAlarm(at); }"),
            wrap("constructor(ctx, env) { super(ctx, env); ctx.storage.setAlarm(Date.now() + 60000); }"),
        ];
        let pass = [
            wrap("async remind(at) { const current = await this.ctx.storage.getAlarm(); if (current === null || at < current) await this.ctx.storage.setAlarm(at); }"),
            wrap("async alarm() { await this.work(); await this.ctx.storage.setAlarm(Date.now() + 60000); } async work() {}"),
            wrap("async remind(at) { await this.timers.setAlarm(at); }"),
        ];
        assert_cases("set-alarm-overwrite", CONFIG, &fire, &pass);
    }
}
