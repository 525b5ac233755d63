//! `Engine` methods of the alarm queue (`schedulerXxx`). Thin: convert, call
//! [`crate::scheduler::Scheduler`], convert back. Every result is a typed value (the types
//! below, generated into the `.d.ts` by tsify) whose `payload` is still JSON text: the facade
//! parses it only when a handler or a caller needs it.
//!
//! Alarm changes cross as one number (see [`alarm_code`]): `NaN` = leave the alarm alone,
//! `Infinity` = `deleteAlarm()`, `-Infinity` = repair later (see [`AlarmChange::Repair`]), any
//! finite number = `setAlarm(thatTime)`.

use super::engine::Engine;
use super::interop::{argument_error, from_ts};
use crate::error::Error;
use crate::literal::push_string_literal;
use crate::scheduler::{
    millis, AlarmChange, BatchMarks, ClaimedTask, DeadTask, ListAfter, ListQuery, RetryOptions,
    ScheduleRequest, Start, Task, TaskKind, When,
};
use js_sys::{JsString, Uint8Array};
use serde::Serialize;
use std::fmt::Write as _;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

/// `opts.retry` as the user wrote it (see [`RetryOptions`]).
#[derive(Debug, Clone, Default, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Retry {
    #[tsify(optional)]
    pub attempts: Option<f64>,
    #[tsify(optional)]
    pub backoff_ms: Option<f64>,
    #[tsify(optional)]
    pub max_backoff_ms: Option<f64>,
    #[tsify(optional)]
    pub jitter: Option<bool>,
}

impl From<Retry> for RetryOptions {
    fn from(retry: Retry) -> RetryOptions {
        RetryOptions {
            attempts: retry.attempts,
            backoff_ms: retry.backoff_ms,
            max_backoff_ms: retry.max_backoff_ms,
            jitter: retry.jitter,
        }
    }
}

/// A queued task as the facade shows it (`Task` in `scheduler.ts`, before its payload is parsed).
#[derive(Debug, Clone, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct CoreTask {
    pub id: String,
    pub method: String,
    /// JSON text; absent for `undefined`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub payload: Option<String>,
    #[tsify(type = "\"at\" | \"after\" | \"every\" | \"cron\"")]
    pub kind: &'static str,
    pub due: f64,
    pub attempts: u32,
}

impl From<&Task> for CoreTask {
    fn from(task: &Task) -> CoreTask {
        CoreTask {
            id: task.id.clone(),
            method: task.method.clone(),
            payload: task.payload.clone(),
            kind: task.kind.as_str(),
            due: task.due as f64,
            attempts: task.attempts,
        }
    }
}

/// A dead letter.
#[derive(Debug, Clone, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct CoreDeadTask {
    pub task: CoreTask,
    pub error: String,
    pub failed_at: f64,
}

impl From<&DeadTask> for CoreDeadTask {
    fn from(dead: &DeadTask) -> CoreDeadTask {
        CoreDeadTask {
            task: CoreTask::from(&dead.task),
            error: dead.error.clone(),
            failed_at: dead.failed_at as f64,
        }
    }
}

/// What `schedulerCancel` did.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct Cancelled {
    pub existed: bool,
    /// The alarm code.
    pub alarm: f64,
}

/// What `schedulerRetryFailed` did: the task back in the queue, if there was such a dead letter.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct Retried {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub task: Option<CoreTask>,
    /// The alarm code.
    pub alarm: f64,
}

/// A claim: the deliveries to run now, in due order, and the dead letters it found.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct Claimed {
    /// How many deliveries `deliveries` holds.
    pub count: u32,
    /// The deliveries as one JSON array (no object per delivery), six values each: the id,
    /// the method, the payload's JSON text (or null), `scheduledAt`, the attempt (already
    /// counted, 1 on the first run), and 1 when the facade may start and end it with its mark
    /// (a one-shot, see `BatchMarks`), else 0.
    pub deliveries: String,
    /// Tasks delivered their last attempt without ever finishing: call `onTaskFailed`.
    pub dead: Vec<CoreDeadTask>,
}

/// The deliveries of a claim as [`Claimed::deliveries`].
fn deliveries_json(tasks: &[ClaimedTask]) -> String {
    let mut out = String::with_capacity(64 * tasks.len() + 2);
    out.push('[');
    for (i, task) in tasks.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        push_string_literal(&task.id, &mut out);
        out.push(',');
        push_string_literal(&task.method, &mut out);
        out.push(',');
        match &task.payload {
            Some(payload) => push_string_literal(payload, &mut out),
            None => out.push_str("null"),
        }
        let _ = write!(
            out,
            ",{},{},{}",
            task.scheduled_at,
            task.attempts,
            u8::from(task.plain)
        );
    }
    out.push(']');
    out
}

/// The facade's marks of a batch (a `Uint8Array` it keeps for the run).
struct JsMarks(Uint8Array);

impl BatchMarks for JsMarks {
    fn read(&self, start: u32, into: &mut [u8]) -> usize {
        let wanted = u32::try_from(into.len()).unwrap_or(u32::MAX);
        let marks = self.0.subarray(start, start.saturating_add(wanted));
        let length = marks.length() as usize;
        // `copy_to` wants a slice of the view's own length.
        into.get_mut(..length).map_or(0, |into| {
            marks.copy_to(into);
            length
        })
    }

    fn write(&self, index: u32, mark: u8) {
        self.0.set_index(index, mark);
    }
}

/// The definition a started delivery runs with, read again since its claim.
#[derive(Debug, Clone, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct Fresh {
    pub method: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub payload: Option<String>,
    pub scheduled_at: f64,
    /// When a recurring task is due next; absent for a one-shot.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub next: Option<f64>,
}

/// What `schedulerFail` did.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct Failed {
    /// The dead letter, when the attempts ran out: call `onTaskFailed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub dead: Option<CoreDeadTask>,
    /// The alarm code.
    pub alarm: f64,
}

/// One number for an [`AlarmChange`].
fn alarm_code(change: AlarmChange) -> f64 {
    match change {
        AlarmChange::Unchanged => f64::NAN,
        AlarmChange::Delete => f64::INFINITY,
        AlarmChange::Set { time } => time as f64,
        AlarmChange::Repair => f64::NEG_INFINITY,
    }
}

/// `value` as its generated TypeScript type.
fn typed<T: Tsify + Serialize>(value: &T) -> Result<Ts<T>, Error> {
    Ts::from_rust(value).map_err(|e| argument_error("result", &e))
}

fn now_ms(now: f64) -> Result<i64, Error> {
    Ok(millis(now, "now")?)
}

#[wasm_bindgen]
extern "C" {
    /// The runtime's `crypto.getRandomValues`, the facade's one random source.
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    pub(crate) fn get_random_values(words: &mut [u32]);
}

/// A seed for generated task ids, drawn from `crypto.getRandomValues` like the handle's hash
/// seed: ids are names, not secrets, but `Math.random`'s state can be recovered from a few of
/// its outputs, and with it every id to come.
pub(crate) fn random_seed() -> u64 {
    let mut words = [0u32; 2];
    get_random_values(&mut words);
    let [high, low] = words;
    (u64::from(high) << 32) | u64::from(low)
}

#[wasm_bindgen]
impl Engine {
    /// On each wake, with what `getAlarm()` returned and the time. Returns the alarm code.
    #[wasm_bindgen(js_name = schedulerWake)]
    pub fn scheduler_wake(&mut self, armed: Option<f64>, now: f64) -> Result<f64, Error> {
        let armed = armed.map(|t| t as i64);
        let now = now_ms(now)?;
        self.scheduler.wake(&self.db, armed, now).map(alarm_code)
    }

    /// What the alarm must become now. Returns the alarm code.
    #[wasm_bindgen(js_name = schedulerSettle)]
    pub fn scheduler_settle(&mut self) -> Result<f64, Error> {
        self.scheduler.settle(&self.db).map(alarm_code)
    }

    /// Schedules one task. `kind` is the kind's index in `TaskKind::ALL` (a number: no string
    /// crosses for it); `when` is the time,
    /// delay or interval (ignored for cron); `retry` is `opts.retry` or undefined.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = schedulerSchedule)]
    pub fn scheduler_schedule(
        &mut self,
        kind: u32,
        when: f64,
        expression: Option<String>,
        timezone: Option<String>,
        id: Option<String>,
        method: JsString,
        payload: Option<JsString>,
        retry: Option<Ts<Retry>>,
        now: f64,
    ) -> Result<JsValue, Error> {
        let now = now_ms(now)?;
        let when = match TaskKind::ALL.get(kind as usize) {
            Some(TaskKind::At) => When::At { time: when },
            Some(TaskKind::After) => When::After { delay: when },
            Some(TaskKind::Every) => When::Every { interval: when },
            Some(TaskKind::Cron) => When::Cron {
                expression: expression.unwrap_or_default(),
                timezone,
            },
            None => {
                return Err(argument_error(
                    "kind",
                    &format!("unknown task kind `{kind}`"),
                ))
            }
        };
        let retry = match retry {
            Some(retry) => RetryOptions::from(from_ts(&retry, "retry")?),
            None => RetryOptions::default(),
        };
        // The method and payload are JS strings already: lent to the backend, they are bound
        // as they are, and the generated id comes back as the string its INSERT bound.
        let method_text = String::from(&method);
        let payload_text = payload.as_ref().map(String::from);
        // Room for the generated id the INSERT keeps as well (see `JsSqlBackend::lending`).
        let mut lent = Vec::with_capacity(3);
        lent.push((method_text.clone(), JsValue::from(method)));
        if let (Some(text), Some(js)) = (&payload_text, payload) {
            lent.push((text.clone(), js.into()));
        }
        let request = ScheduleRequest {
            id,
            method: method_text,
            payload: payload_text,
            when,
            retry,
        };
        let (scheduler, db, scheduled) = (&mut self.scheduler, &self.db, &mut self.scheduled);
        db.lending(lent, || {
            let outcome = scheduler.schedule(db, request, now)?;
            let task = outcome.value;
            *scheduled = [
                task.due as f64,
                f64::from(task.attempts),
                alarm_code(outcome.alarm),
            ];
            Ok(db.js_text(&task.id))
        })
    }

    /// Of the task the last `schedulerSchedule` wrote: its due time (`0`), attempts (`1`) or
    /// alarm code (`2`). Plain numbers, so the result of a schedule builds no object here.
    #[wasm_bindgen(js_name = schedulerScheduled)]
    pub fn scheduler_scheduled(&self, field: usize) -> f64 {
        self.scheduled.get(field).copied().unwrap_or(f64::NAN)
    }

    #[wasm_bindgen(js_name = schedulerCancel)]
    pub fn scheduler_cancel(&mut self, id: &str) -> Result<Ts<Cancelled>, Error> {
        let outcome = self.scheduler.cancel(&self.db, id)?;
        typed(&Cancelled {
            existed: outcome.value,
            alarm: alarm_code(outcome.alarm),
        })
    }

    /// The task, or undefined.
    #[wasm_bindgen(js_name = schedulerGet)]
    pub fn scheduler_get(&mut self, id: &str) -> Result<Option<Ts<CoreTask>>, Error> {
        let task = self.scheduler.get(&self.db, id)?;
        task.as_ref()
            .map(|task| typed(&CoreTask::from(task)))
            .transpose()
    }

    /// Tasks in due order. `after_id` only counts together with `after_due`.
    #[wasm_bindgen(js_name = schedulerList)]
    pub fn scheduler_list(
        &mut self,
        method: Option<String>,
        limit: Option<u32>,
        after_due: Option<f64>,
        after_id: Option<String>,
    ) -> Result<Vec<Ts<CoreTask>>, Error> {
        let after = match after_due {
            Some(due) => Some(ListAfter {
                due: now_ms(due)?,
                id: after_id,
            }),
            None => None,
        };
        let query = ListQuery {
            method,
            limit,
            after,
        };
        let tasks = self.scheduler.list(&self.db, &query)?;
        tasks
            .iter()
            .map(|task| typed(&CoreTask::from(task)))
            .collect()
    }

    /// Dead letters, oldest first.
    #[wasm_bindgen(js_name = schedulerFailed)]
    pub fn scheduler_failed(&self, limit: Option<u32>) -> Result<Vec<Ts<CoreDeadTask>>, Error> {
        let dead = self.scheduler.failed(&self.db, limit)?;
        dead.iter()
            .map(|dead| typed(&CoreDeadTask::from(dead)))
            .collect()
    }

    /// Call inside `transactionSync`.
    #[wasm_bindgen(js_name = schedulerRetryFailed)]
    pub fn scheduler_retry_failed(&mut self, id: &str, now: f64) -> Result<Ts<Retried>, Error> {
        let now = now_ms(now)?;
        let retried = match self.scheduler.retry_failed(&self.db, id, now)? {
            Some(outcome) => Retried {
                task: Some(CoreTask::from(&outcome.value)),
                alarm: alarm_code(outcome.alarm),
            },
            None => Retried {
                task: None,
                alarm: alarm_code(AlarmChange::Unchanged),
            },
        };
        typed(&retried)
    }

    /// A run starts; `armed` is what `getAlarm()` returned at its start.
    #[wasm_bindgen(js_name = schedulerBeginAlarm)]
    pub fn scheduler_begin_alarm(&mut self, armed: Option<f64>) -> Result<(), Error> {
        self.scheduler
            .begin_alarm(&self.db, armed.map(|t| t as i64))
    }

    /// A new handle in the middle of a run.
    #[wasm_bindgen(js_name = schedulerResumeAlarm)]
    pub fn scheduler_resume_alarm(&mut self) {
        self.scheduler.resume_alarm();
    }

    /// Claims the due tasks of a batch and counts their deliveries. Call inside
    /// `transactionSync`. `marks`: the facade starts and ends the batch's plain deliveries
    /// through them (zeroed, at least `limit` long; see `BatchMarks`).
    #[wasm_bindgen(js_name = schedulerClaim)]
    pub fn scheduler_claim(
        &mut self,
        now: f64,
        limit: u32,
        marks: Option<Uint8Array>,
    ) -> Result<Ts<Claimed>, Error> {
        let now = now_ms(now)?;
        let claim = self.scheduler.claim_due(&self.db, now, limit)?;
        if let Some(marks) = marks {
            if marks.length() as usize >= claim.tasks.len() {
                self.scheduler.set_marks(Box::new(JsMarks(marks)));
            }
        }
        typed(&Claimed {
            count: u32::try_from(claim.tasks.len()).unwrap_or(u32::MAX),
            deliveries: deliveries_json(&claim.tasks),
            dead: claim.dead.iter().map(CoreDeadTask::from).collect(),
        })
    }

    /// Reads the marks of the batch (acknowledges the deliveries marked done). Every other
    /// call does it first; the facade calls this before it waits for anything.
    #[wasm_bindgen(js_name = schedulerSettleMarks)]
    pub fn scheduler_settle_marks(&mut self) -> Result<(), Error> {
        self.scheduler.settle_marks_before_wait(&self.db)
    }

    /// The batch of the last claim ends: acknowledges the deliveries marked done and forgets
    /// the marks.
    #[wasm_bindgen(js_name = schedulerEndBatch)]
    pub fn scheduler_end_batch(&mut self) -> Result<(), Error> {
        self.scheduler.end_batch(&self.db)
    }

    /// Right before a claimed delivery's handler runs: `false` = skip it (cancelled or replaced
    /// since the claim, or claimed by another handle), `true` = run it as claimed, or the
    /// definition to run (read again).
    #[wasm_bindgen(js_name = schedulerStart, unchecked_return_type = "boolean | Fresh")]
    pub fn scheduler_start(&mut self, id: &str, attempt: u32, now: f64) -> Result<JsValue, Error> {
        let now = now_ms(now)?;
        Ok(match self.scheduler.start(&self.db, id, attempt, now)? {
            Start::Skip => JsValue::FALSE,
            Start::Run => JsValue::TRUE,
            Start::Fresh(definition) => typed(&Fresh {
                method: definition.method,
                payload: definition.payload,
                scheduled_at: definition.scheduled_at as f64,
                next: definition.next.map(|t| t as f64),
            })?
            .into(),
        })
    }

    /// A delivery claimed by an invocation that ended before its handler started: its count is
    /// taken back. False when it is no longer claimed so.
    #[wasm_bindgen(js_name = schedulerRelease)]
    pub fn scheduler_release(&mut self, id: &str, attempt: u32) -> Result<bool, Error> {
        self.scheduler.release(&self.db, id, attempt)
    }

    /// Returns the alarm code.
    #[wasm_bindgen(js_name = schedulerAck)]
    pub fn scheduler_ack(&mut self, id: &str, attempt: u32, now: f64) -> Result<f64, Error> {
        let now = now_ms(now)?;
        let outcome = self.scheduler.ack(&self.db, id, attempt, now)?;
        Ok(alarm_code(outcome.alarm))
    }

    /// Call inside `transactionSync`.
    #[wasm_bindgen(js_name = schedulerFail)]
    pub fn scheduler_fail(
        &mut self,
        id: &str,
        attempt: u32,
        error: &str,
        now: f64,
        random: f64,
    ) -> Result<Ts<Failed>, Error> {
        let now = now_ms(now)?;
        let failure = self
            .scheduler
            .fail(&self.db, id, attempt, error, now, random)?;
        typed(&Failed {
            dead: failure.dead.as_ref().map(CoreDeadTask::from),
            alarm: alarm_code(failure.alarm),
        })
    }

    /// Returns the alarm code of the whole run.
    #[wasm_bindgen(js_name = schedulerEndAlarm)]
    pub fn scheduler_end_alarm(&mut self) -> Result<f64, Error> {
        self.scheduler.end_alarm(&self.db).map(alarm_code)
    }

    /// The earliest due time, or undefined.
    #[wasm_bindgen(js_name = schedulerNextDue)]
    pub fn scheduler_next_due(&mut self) -> Result<Option<f64>, Error> {
        let due = self.scheduler.next_due(&self.db)?;
        Ok(due.map(|t| t as f64))
    }
}
