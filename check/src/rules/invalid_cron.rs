//! `invalid-cron`: a literal cron expression passed to `this.scheduler.cron`
//! that durable-core would refuse at run time. It is parsed by the core's own
//! `CronSchedule::parse`, so the finding carries the `CRON_INVALID` message.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use durable_core::error::ErrorCode;
use durable_core::scheduler::{CronSchedule, ScheduleError};
use oxc_span::GetSpan;

pub const META: RuleMeta = RuleMeta {
    id: "invalid-cron",
    severity: Severity::Error,
    category: Category::DurableCore,
    summary: "A literal cron expression that `this.scheduler.cron` would refuse.",
};

/// True when `path` is durable-core's scheduler (`this.scheduler`).
pub fn is_scheduler(path: &[String]) -> bool {
    matches!(path, [this, s] if this == "this" && s == "scheduler")
}

/// What `this.scheduler.cron` checks before it writes a task: the expression parses and occurs.
/// The second half mirrors the scheduler's own `NewTask::validate` (crate-private in the core),
/// with the same error variant and reason.
/// Time zones are the runtime's (`Intl`), which the checker does not carry: a literal zone is
/// left to the run-time `CRON_TIMEZONE` check, and the expression is checked in UTC.
fn validate(expression: &str) -> Result<(), ScheduleError> {
    let schedule = CronSchedule::parse(expression, None)?;
    match schedule.next_after(0) {
        Some(_) => Ok(()),
        None => Err(ScheduleError::CronInvalid {
            expression: expression.to_owned(),
            field: "expression",
            reason: "it never occurs (such as 30 February)".into(),
        }),
    }
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.calls_to(&["cron"], is_scheduler) {
        let Some((expression, text)) = ctx.static_argument(call, 0) else {
            continue;
        };
        if let Err(error) = validate(&text) {
            out.push(RawFinding::at(
                META.id,
                expression.span(),
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
        let wrap = |body: &str| core_object_with(&format!("onStart() {{ {body} }} digest() {{}}"));
        let fire = [
            wrap("this.scheduler.cron('0 25 * * *', 'digest');"),
            wrap("const EVERY = '*/0 * * * *'; this.scheduler.cron(EVERY, 'digest');"),
            wrap("this.scheduler.cron('0 0 30 2 *', 'digest');"),
        ];
        let pass = [
            wrap("this.scheduler.cron('0 9 * * MON', 'digest', undefined, { timezone: 'Europe/Paris' });"),
            wrap("this.scheduler.cron('0 9 * * MON', 'digest', undefined, { timezone: 'Mars/Olympus' });"),
            wrap("this.scheduler.cron(this.expression, 'digest');"),
            wrap("this.jobs.cron('not a cron', 'digest');"),
            wrap("this.scheduler.cron('@daily', 'digest');"),
        ];
        assert_cases("invalid-cron", CONFIG, &fire, &pass);
    }

    #[test]
    fn the_message_is_the_core_message() {
        let source = "import { DurableCore } from 'durable-core';\nexport class Room extends DurableCore { a() { this.scheduler.cron('0 25 * * *', 'a'); } }";
        let found = crate::rules::testing::findings_of("invalid-cron", CONFIG, source);
        let core = durable_core::scheduler::CronSchedule::parse("0 25 * * *", None)
            .unwrap_err()
            .to_string();
        assert!(
            found[0].message.starts_with(&core),
            "{} / {core}",
            found[0].message
        );
    }
}
