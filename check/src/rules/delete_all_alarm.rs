//! `delete-all-alarm`: `ctx.storage.deleteAll()` without `deleteAlarm()`, when the compatibility
//! date is before 2026-02-24. Before that date `deleteAll()` leaves the alarm in place: it
//! fires on an object whose state is gone. From that date on `deleteAll()` deletes it too.

use super::{Category, RuleMeta};
use crate::analysis::{is_storage, FileCtx};
use crate::diagnostic::{RawFinding, Severity};

pub const META: RuleMeta = RuleMeta {
    id: "delete-all-alarm",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "`deleteAll()` without `deleteAlarm()` on a compatibility date before 2026-02-24: the alarm survives.",
};

/// The compatibility date from which `deleteAll()` deletes the alarm as well.
pub const DELETES_ALARM_FROM: &str = "2026-02-24";

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    // The change is tied to the date alone (the changelog names no flag).
    if ctx.config.date_on_or_after(DELETES_ALARM_FROM) {
        return;
    }
    for call in ctx.calls_to(&["deleteAll"], is_storage) {
        let function = ctx.function_of(call.node_id);
        let paired = ctx
            .calls_to(&["deleteAlarm"], is_storage)
            .any(|other| ctx.function_of(other.node_id) == function);
        if paired {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            call.name_span(),
            format!("before compatibility date {DELETES_ALARM_FROM}, deleteAll() keeps the alarm, which then fires on an empty object: call `await ctx.storage.deleteAlarm()` as well, or move the compatibility date forward"),
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, config_dated, findings_of, object_with, CONFIG};

    #[test]
    fn fixtures() {
        let old = config_dated("2025-06-01");
        let wrap = |body: &str| object_with(&format!("async reset() {{ {body} }}"));
        let fire = [
            wrap("await this.ctx.storage.deleteAll();"),
            wrap("const s = this.ctx.storage; await s.deleteAll();"),
            wrap("await this.ctx.storage.deleteAll(); const f = async () => { await this.ctx.storage.deleteAlarm(); };"),
        ];
        let pass = [
            wrap("await this.ctx.storage.deleteAlarm(); await this.ctx.storage.deleteAll();"),
            wrap("const s = this.ctx.storage; await s.deleteAll(); await s.deleteAlarm();"),
            wrap("await this.cache.deleteAll();"),
        ];
        assert_cases("delete-all-alarm", &old, &fire, &pass);
        // From the platform's change on, the same code is fine.
        let new = old.replace("2025-06-01", "2026-02-24");
        for source in &fire {
            assert!(findings_of("delete-all-alarm", &new, source).is_empty());
        }
        assert!(findings_of("delete-all-alarm", CONFIG, &fire[0]).is_empty());
    }
}
