//! `Engine` methods of the alarm queue (`schedulerXxx`). Thin: convert, call
//! [`crate::scheduler::Scheduler`], convert back.
//!
//! Alarm changes cross as one number (see [`alarm_code`]): `NaN` = leave the alarm alone,
//! `Infinity` = `deleteAlarm()`, `-Infinity` = repair later (see [`AlarmChange::Repair`]), any
//! finite number = `setAlarm(thatTime)`. Scheduling is the
//! hot path (thousands of calls in a loop), so it takes flat arguments and returns a flat array;
//! the rarer calls return serde-converted objects whose `payload` is still JSON text.

use super::engine::Engine;
use super::interop::argument_error;
use crate::error::Error;
use crate::scheduler::{millis, AlarmChange, ListAfter, ListQuery, RetryOptions, ScheduleRequest, Start, When};
use js_sys::Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Values per task in the array `schedulerClaim` returns.
const CLAIMED_FIELDS: u32 = 5;

/// One number for an [`AlarmChange`].
fn alarm_code(change: AlarmChange) -> f64 {
    match change {
        AlarmChange::Unchanged => f64::NAN,
        AlarmChange::Delete => f64::INFINITY,
        AlarmChange::Set { time } => time as f64,
        AlarmChange::Repair => f64::NEG_INFINITY,
    }
}

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, Error> {
    serde_wasm_bindgen::to_value(value).map_err(|e| argument_error("result", &e))
}

fn now_ms(now: f64) -> Result<i64, Error> {
    Ok(millis(now, "now")?)
}

/// A seed for generated task ids; `Math.random` is enough (ids are names, not secrets).
pub(crate) fn random_seed() -> u64 {
    let high = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let low = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (high << 32) | low
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

    /// Schedules one task. `kind` is `at` | `after` | `every` | `cron`; `when` is the time,
    /// delay or interval (ignored for cron); `retry` is `opts.retry` or undefined.
    /// Returns `[id, due, scheduledAt, attempts, alarmCode]`.
    #[allow(clippy::too_many_arguments)]
    #[wasm_bindgen(js_name = schedulerSchedule)]
    pub fn scheduler_schedule(
        &mut self,
        kind: &str,
        when: f64,
        expression: Option<String>,
        timezone: Option<String>,
        id: Option<String>,
        method: String,
        payload: Option<String>,
        retry: JsValue,
        now: f64,
    ) -> Result<Array, Error> {
        let now = now_ms(now)?;
        let when = match kind {
            "at" => When::At { time: when },
            "after" => When::After { delay: when },
            "every" => When::Every { interval: when },
            "cron" => When::Cron { expression: expression.unwrap_or_default(), timezone },
            other => return Err(argument_error("kind", &format!("unknown task kind `{other}`"))),
        };
        let retry: RetryOptions = if retry.is_undefined() || retry.is_null() {
            RetryOptions::default()
        } else {
            serde_wasm_bindgen::from_value(retry).map_err(|e| argument_error("retry", &e))?
        };
        let request = ScheduleRequest { id, method, payload, when, retry };
        let outcome = self.scheduler.schedule(&self.db, request, now)?;
        let task = outcome.value;
        Ok(Array::of5(
            &JsValue::from_str(&task.id),
            &JsValue::from_f64(task.due as f64),
            &JsValue::from_f64(task.scheduled_at as f64),
            &JsValue::from_f64(f64::from(task.attempts)),
            &JsValue::from_f64(alarm_code(outcome.alarm)),
        ))
    }

    /// Returns `[existed, alarmCode]`.
    #[wasm_bindgen(js_name = schedulerCancel)]
    pub fn scheduler_cancel(&mut self, id: &str) -> Result<Array, Error> {
        let outcome = self.scheduler.cancel(&self.db, id)?;
        Ok(Array::of2(&JsValue::from_bool(outcome.value), &JsValue::from_f64(alarm_code(outcome.alarm))))
    }

    /// The task, or undefined.
    #[wasm_bindgen(js_name = schedulerGet)]
    pub fn scheduler_get(&self, id: &str) -> Result<JsValue, Error> {
        let task = self.scheduler.get(&self.db, id)?;
        to_js(&task)
    }

    /// Tasks in due order. `after_id` only counts together with `after_due`.
    #[wasm_bindgen(js_name = schedulerList)]
    pub fn scheduler_list(
        &self,
        method: Option<String>,
        limit: Option<u32>,
        after_due: Option<f64>,
        after_id: Option<String>,
    ) -> Result<JsValue, Error> {
        let after = match after_due {
            Some(due) => Some(ListAfter { due: now_ms(due)?, id: after_id }),
            None => None,
        };
        let query = ListQuery { method, limit, after };
        let tasks = self.scheduler.list(&self.db, &query)?;
        to_js(&tasks)
    }

    /// Dead letters, oldest first.
    #[wasm_bindgen(js_name = schedulerFailed)]
    pub fn scheduler_failed(&self, limit: Option<u32>) -> Result<JsValue, Error> {
        let dead = self.scheduler.failed(&self.db, limit)?;
        to_js(&dead)
    }

    /// Returns `[task | undefined, alarmCode]`. Call inside `transactionSync`.
    #[wasm_bindgen(js_name = schedulerRetryFailed)]
    pub fn scheduler_retry_failed(&mut self, id: &str, now: f64) -> Result<Array, Error> {
        let now = now_ms(now)?;
        let outcome = self.scheduler.retry_failed(&self.db, id, now)?;
        Ok(match outcome {
            Some(outcome) => Array::of2(&to_js(&outcome.value)?, &JsValue::from_f64(alarm_code(outcome.alarm))),
            None => Array::of2(&JsValue::UNDEFINED, &JsValue::from_f64(f64::NAN)),
        })
    }

    /// A run starts; `armed` is what `getAlarm()` returned at its start.
    #[wasm_bindgen(js_name = schedulerBeginAlarm)]
    pub fn scheduler_begin_alarm(&mut self, armed: Option<f64>) -> Result<(), Error> {
        self.scheduler.begin_alarm(&self.db, armed.map(|t| t as i64))
    }

    /// A new handle in the middle of a run.
    #[wasm_bindgen(js_name = schedulerResumeAlarm)]
    pub fn scheduler_resume_alarm(&mut self) {
        self.scheduler.resume_alarm();
    }

    /// One flat array, since a claim is on the hot path of `alarm()`: element 0 is the dead
    /// letters (an array of dead tasks, or undefined when none), then
    /// [`CLAIMED_FIELDS`] values per task to run: `id, method, payload (JSON text or undefined),
    /// scheduledAt, attempt`. Call inside `transactionSync`.
    #[wasm_bindgen(js_name = schedulerClaim)]
    pub fn scheduler_claim(&mut self, now: f64, limit: u32) -> Result<Array, Error> {
        let now = now_ms(now)?;
        let claim = self.scheduler.claim_due(&self.db, now, limit)?;
        let out = Array::new_with_length(1 + CLAIMED_FIELDS * claim.tasks.len() as u32);
        if !claim.dead.is_empty() {
            out.set(0, to_js(&claim.dead)?);
        }
        let mut i = 1;
        for task in &claim.tasks {
            out.set(i, JsValue::from_str(&task.id));
            out.set(i + 1, JsValue::from_str(&task.method));
            out.set(i + 2, task.payload.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str));
            out.set(i + 3, JsValue::from_f64(task.scheduled_at as f64));
            out.set(i + 4, JsValue::from_f64(f64::from(task.attempts)));
            i += CLAIMED_FIELDS;
        }
        Ok(out)
    }

    /// Right before a claimed delivery's handler runs: `false` = skip it (cancelled or replaced
    /// since the claim, or claimed by another handle), `true` = run it as claimed, or
    /// `[method, payload, scheduledAt, next]` = run this definition (read again).
    #[wasm_bindgen(js_name = schedulerStart)]
    pub fn scheduler_start(&mut self, id: &str, attempt: u32, now: f64) -> Result<JsValue, Error> {
        let now = now_ms(now)?;
        Ok(match self.scheduler.start(&self.db, id, attempt, now)? {
            Start::Skip => JsValue::FALSE,
            Start::Run => JsValue::TRUE,
            Start::Fresh(definition) => Array::of4(
                &JsValue::from_str(&definition.method),
                &definition.payload.as_deref().map_or(JsValue::UNDEFINED, JsValue::from_str),
                &JsValue::from_f64(definition.scheduled_at as f64),
                &definition.next.map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64)),
            )
            .into(),
        })
    }

    /// Returns the alarm code.
    #[wasm_bindgen(js_name = schedulerAck)]
    pub fn scheduler_ack(&mut self, id: &str, attempt: u32, now: f64) -> Result<f64, Error> {
        let now = now_ms(now)?;
        let outcome = self.scheduler.ack(&self.db, id, attempt, now)?;
        Ok(alarm_code(outcome.alarm))
    }

    /// Returns `[retryAt | undefined, deadTask | undefined, alarmCode]`. Call inside
    /// `transactionSync`.
    #[wasm_bindgen(js_name = schedulerFail)]
    pub fn scheduler_fail(&mut self, id: &str, attempt: u32, error: &str, now: f64, random: f64) -> Result<Array, Error> {
        let now = now_ms(now)?;
        let failure = self.scheduler.fail(&self.db, id, attempt, error, now, random)?;
        let retry_at = failure.retry_at.map_or(JsValue::UNDEFINED, |t| JsValue::from_f64(t as f64));
        let dead = match &failure.dead {
            Some(dead) => to_js(dead)?,
            None => JsValue::UNDEFINED,
        };
        Ok(Array::of3(&retry_at, &dead, &JsValue::from_f64(alarm_code(failure.alarm))))
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
