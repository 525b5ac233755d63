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
//! returns (this re-arms correctly after a restart or a lost alarm). [`AlarmChange::Repair`]
//! means a task is due and nothing is armed: the alarm may be firing right now, so the facade
//! calls [`Scheduler::settle`] after the waking event only if no run started meanwhile.
//!
//! The alarm the scheduler asked for is recorded in `_dc_alarm`, in the same transaction as
//! the write that asked for it, and every decision reads it and the earliest due time from
//! SQLite: a transaction that rolls back takes the task, its `setAlarm` and the record back
//! together, and nothing in memory can disagree afterwards (G2).
//!
//! `alarm()` runs the queue like this:
//!
//! 1. [`Scheduler::begin_alarm`] with what `getAlarm()` returned at the run's start (`null`
//!    while the platform's alarm fires); alarm changes are held back until the run ends, so a
//!    batch of 2,000 tasks costs one `setAlarm`, not 2,000.
//! 2. Loop: [`Scheduler::claim_due`]`(now, batch)` inside `transactionSync`: it counts the
//!    delivery of every task of the batch. Then `await ctx.storage.sync()`, once per batch,
//!    before any handler runs: a handler that ends its invocation (`ctx.abort()`, an exceeded
//!    CPU or memory limit) has used an attempt durably (G3). Call `onTaskFailed` for each task
//!    in `dead`. Stop when nothing was claimed.
//! 3. For each claimed task, in order: stop once the time budget or the task budget of the
//!    run is spent. Otherwise [`Scheduler::start`] it: skip it when an earlier handler
//!    cancelled or replaced it; run the definition it returns when it was written since the
//!    claim or recurs (G4). Then [`Scheduler::ack`] on success or [`Scheduler::fail`] (inside
//!    `transactionSync`) on a throw, calling `onTaskFailed` when it returns a dead letter. A
//!    failed `ack` leaves the delivery for redelivery (and ends the run). If the object got a
//!    new handle meanwhile, call [`Scheduler::resume_alarm`] on it and claim again.
//!    With marks ([`BatchMarks`], given to [`Scheduler::set_marks`] after the claim), the
//!    facade starts and ends a plain delivery (a one-shot nothing wrote since its claim) itself:
//!    the core reads the marks before any other call that touches the queue, and
//!    [`Scheduler::end_batch`] acknowledges the ones marked done in one statement.
//! 4. Always (in `finally`): [`Scheduler::end_alarm`], which releases deliveries claimed and
//!    never started (their count is taken back), and apply its change. When work is left the
//!    change arms the alarm at a time already past, so the platform runs the rest at once in a
//!    fresh invocation.
//!
//! A task leaves the queue (or moves to its next occurrence) only when its delivery's end is
//! recorded. Until then its row is marked `claimed`: the next claim that finds such a task knows
//! that an invocation ended during its batch. Which handler ended it is unknown, so that task
//! is claimed alone; if it ends the invocation again, it was the culprit, and on its last
//! attempt it goes to dead letters (so a poison task cannot stall the queue, even with more
//! attempts than the platform's alarm retries). The other tasks of that batch keep their count:
//! each may have run, its acknowledgement lost with the invocation, and `attempt` says so
//! (unless the facade still knows, from the same isolate, that one never started: it then
//! gives its count back with [`Scheduler::release`]).
//! Delivery is at-least-once.

mod alarm;
mod backoff;
mod cron;
mod delivery;
mod ids;
mod lifecycle;
mod queue;
mod recurrence;
mod rows;
mod statements;
mod task;
mod zone;

pub use alarm::AlarmChange;
pub use backoff::{backoff_delay_ms, RetryPolicy};
pub use cron::CronSchedule;
pub use delivery::{mark, BatchMarks, Claim, ClaimedTask, Definition, Failure, Start};
pub use lifecycle::{is_lifecycle_method, LIFECYCLE_METHODS, LIFECYCLE_METHOD_PREFIX};
pub use queue::{Outcome, Scheduler};
pub use recurrence::next_every;
pub use task::{
    millis, DeadTask, ListAfter, ListQuery, RetryOptions, ScheduleRequest, Task, TaskKind, When,
    MAX_ID_BYTES,
};
pub use zone::{set_zone_lookup, Resolved, Zone, ZoneLookup, ZoneOffset};

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
    Schedule {
        argument: &'static str,
        reason: String,
    },
    /// The cron expression does not parse; `field` names the part at fault.
    #[error("invalid cron expression `{expression}`: {field}: {reason}")]
    CronInvalid {
        expression: String,
        field: &'static str,
        reason: String,
    },
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
        ScheduleError::Schedule {
            argument,
            reason: reason.into(),
        }
    }
}
