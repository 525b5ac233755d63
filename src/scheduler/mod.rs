//! The alarm queue: many scheduled tasks per object, multiplexed onto the one native alarm.
//!
//! This module owns the queue in `_dc_tasks` (indexed by due time) and the dead letters in
//! `_dc_dead_tasks`: scheduling with idempotent ids, due-order claiming, acknowledgement,
//! retries with backoff, the next-occurrence math of `every` and `cron` tasks, and the
//! bookkeeping that tells the facade when the native alarm must change.
//!
//! It never runs a handler, never reads a clock or a random source (time and randomness are
//! arguments), and never calls `setAlarm`: each queue-changing call returns an
//! [`AlarmChange`] and the facade applies it.
//!
//! # How the facade drives it
//!
//! On every wake, after migrations and inside `blockConcurrencyWhile`, the facade reads
//! `ctx.storage.getAlarm()` and passes it to [`Scheduler::wake`], applying the change it
//! returns (this re-arms correctly after a restart or a lost alarm).
//!
//! `alarm()` runs the queue like this:
//!
//! 1. [`Scheduler::begin_alarm`]: the platform's alarm is now spent; alarm changes are held
//!    back until the run ends, so a batch of 2,000 tasks costs one `setAlarm`, not 2,000.
//! 2. Loop: [`Scheduler::claim_due`]`(now, batch)` inside `transactionSync`. Call
//!    `onTaskFailed` for each task in `dead` (tasks delivered `attempts` times that never
//!    finished: the object died under them). Stop when `tasks` is empty.
//! 3. For each claimed task, in order: stop once the time budget or the task budget of the
//!    run is spent (unstarted deliveries were never counted: nothing to undo). Otherwise
//!    [`Scheduler::start`] it, which counts the delivery right before the handler runs and is
//!    false when an earlier handler of the batch cancelled or replaced it (skip it); then run
//!    `this[method](payload, { id, attempt: task.attempts, scheduledAt, firedAt })`, then
//!    [`Scheduler::ack`] on success or [`Scheduler::fail`] (inside `transactionSync`) on a
//!    throw, calling `onTaskFailed` when it returns a dead letter. A failed `ack` leaves the
//!    delivery for redelivery. If the object got a new handle meanwhile, call
//!    [`Scheduler::begin_alarm`] on it and claim again.
//! 4. Always (in `finally`): [`Scheduler::end_alarm`] and apply its change. When work is left
//!    the change arms the alarm at a time already past, so the platform runs the rest at once
//!    in a fresh invocation.
//!
//! A claim is durable-safe: claiming counts and removes nothing; starting a delivery only
//! counts it (`attempts + 1`), so if the object dies during one handler, only that task loses
//! an attempt. A task leaves the queue (or moves to its next occurrence) only when it is
//! acknowledged, so a task whose object died mid-handler is still due and runs again, with
//! `attempt` one higher. Delivery is at-least-once.

mod alarm;
mod backoff;
mod cron;
mod ids;
mod queue;
mod recurrence;
mod rows;
mod task;

pub use alarm::AlarmChange;
pub use backoff::{backoff_delay_ms, RetryPolicy};
pub use cron::CronSchedule;
pub use queue::{Claim, ClaimedTask, Definition, Failure, Outcome, Scheduler, Start};
pub use recurrence::next_every;
pub use task::{millis, DeadTask, ListAfter, ListQuery, RetryOptions, ScheduleRequest, Task, TaskKind, When};

use crate::error::ErrorCode;
use thiserror::Error;

/// Why a task could not be scheduled. Nothing is persisted when one is returned.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum ScheduleError {
    /// The facade found no such method on the object (or the name is empty).
    #[error("`{method}` cannot be scheduled: {reason}")]
    Method { method: String, reason: String },
    /// The facade could not serialize the payload as JSON.
    #[error("the task payload is not JSON-serializable: {reason}")]
    Payload { reason: String },
    /// A time, delay, interval, id or retry option is out of range.
    #[error("invalid `{argument}`: {reason}")]
    Schedule { argument: &'static str, reason: String },
    /// The cron expression does not parse; `field` names the part at fault.
    #[error("invalid cron expression `{expression}`: {field}: {reason}")]
    CronInvalid { expression: String, field: &'static str, reason: String },
    /// The time zone is not an IANA name this build knows.
    #[error("unknown time zone `{zone}`: use an IANA name such as `Europe/Paris` or `UTC`")]
    CronTimezone { zone: String },
}

impl ErrorCode for ScheduleError {
    fn code(&self) -> &'static str {
        match self {
            ScheduleError::Method { .. } => "TASK_METHOD",
            ScheduleError::Payload { .. } => "TASK_PAYLOAD",
            ScheduleError::Schedule { .. } => "TASK_SCHEDULE",
            ScheduleError::CronInvalid { .. } => "CRON_INVALID",
            ScheduleError::CronTimezone { .. } => "CRON_TIMEZONE",
        }
    }
}

impl ScheduleError {
    pub(crate) fn schedule(argument: &'static str, reason: impl Into<String>) -> Self {
        ScheduleError::Schedule { argument, reason: reason.into() }
    }
}
