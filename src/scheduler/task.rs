//! What a task is, what a request to schedule one looks like, and how a request is checked
//! before anything is written.

use super::backoff::RetryPolicy;
use super::cron::CronSchedule;
use super::ScheduleError;
use crate::numbers::Decimal;
use serde::{Deserialize, Serialize};

/// The largest time a JavaScript `Date` can hold, in milliseconds either side of the epoch.
const MAX_DATE_MS: f64 = 8.64e15;
/// Longer ids would only bloat the due-time index; an id is a name, not a payload.
pub const MAX_ID_BYTES: usize = 512;
/// A retry policy beyond this is a typo, and would keep a poison task alive for days.
const MAX_ATTEMPTS: f64 = 1_000.0;

/// How a task was scheduled; `at` and `after` run once, `every` and `cron` repeat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskKind {
    At,
    After,
    Every,
    Cron,
}

impl TaskKind {
    /// Every kind, in the order of its number where a kind crosses as one
    /// (`schedulerSchedule`; the facade has them as `TASK_KINDS`).
    pub const ALL: [TaskKind; 4] = [
        TaskKind::At,
        TaskKind::After,
        TaskKind::Every,
        TaskKind::Cron,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            TaskKind::At => "at",
            TaskKind::After => "after",
            TaskKind::Every => "every",
            TaskKind::Cron => "cron",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "at" => Some(TaskKind::At),
            "after" => Some(TaskKind::After),
            "every" => Some(TaskKind::Every),
            "cron" => Some(TaskKind::Cron),
            _ => None,
        }
    }

    pub fn is_recurring(self) -> bool {
        matches!(self, TaskKind::Every | TaskKind::Cron)
    }
}

/// A queued task, as stored. Times are milliseconds since the epoch.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Task {
    pub id: String,
    pub method: String,
    /// The payload as JSON text, exactly as the facade serialized it; `None` for `undefined`.
    pub payload: Option<String>,
    pub kind: TaskKind,
    /// When the task runs next (a retry's due time includes its backoff).
    pub due: i64,
    /// The occurrence this delivery belongs to: `due` before any retry delayed it.
    pub scheduled_at: i64,
    /// Deliveries of the current occurrence so far. In a claimed task it is the delivery being
    /// made, 1 for the first run: the handler's `attempt`.
    pub attempts: u32,
    pub every_ms: Option<i64>,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub retry: RetryPolicy,
    /// The error of the last failed delivery, while the task waits for its retry.
    pub last_error: Option<String>,
}

/// A task whose attempts ran out. A recurring task leaves a dead letter for the failed
/// occurrence and goes on to its next one.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeadTask {
    pub task: Task,
    pub error: String,
    pub failed_at: i64,
}

/// When a task should run, as the facade received it (numbers straight from JavaScript).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase", tag = "kind")]
pub enum When {
    /// At a time (ms since the epoch); a past time runs at once.
    At { time: f64 },
    /// After a delay (ms) from now.
    After { delay: f64 },
    /// Every interval (ms), the first run one interval from now.
    Every { interval: f64 },
    /// On a cron expression, in `timezone` (IANA) or UTC.
    Cron {
        expression: String,
        timezone: Option<String>,
    },
}

/// `opts.retry` as the user wrote it; missing fields take [`RetryPolicy::default`].
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RetryOptions {
    pub attempts: Option<f64>,
    pub backoff_ms: Option<f64>,
    pub max_backoff_ms: Option<f64>,
    pub jitter: Option<bool>,
}

/// One call of `at`/`after`/`every`/`cron`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScheduleRequest {
    /// The same id replaces, never duplicates; generated when absent.
    pub id: Option<String>,
    pub method: String,
    pub payload: Option<String>,
    pub when: When,
    #[serde(default)]
    pub retry: RetryOptions,
}

/// Where a page of [`ListQuery`] starts: strictly after `due`, or after the task
/// (`due`, `id`) in due order when `id` is given (pass the last task of the previous page).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ListAfter {
    pub due: i64,
    pub id: Option<String>,
}

/// `list({ method?, limit?, after? })`, in due order.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
pub struct ListQuery {
    pub method: Option<String>,
    pub limit: Option<u32>,
    pub after: Option<ListAfter>,
}

/// A JavaScript time or duration as whole milliseconds: finite and within `Date`'s range,
/// rounded down.
pub fn millis(value: f64, argument: &'static str) -> Result<i64, ScheduleError> {
    if !value.is_finite() {
        return Err(ScheduleError::schedule(
            argument,
            format!("{} is not a finite number of milliseconds", Decimal(value)),
        ));
    }
    if value.abs() > MAX_DATE_MS {
        return Err(ScheduleError::schedule(
            argument,
            format!("{} is outside the range of a Date", Decimal(value)),
        ));
    }
    Ok(value.floor() as i64)
}

/// A request that passed every check, ready to be written.
#[derive(Debug, Clone)]
pub(crate) struct NewTask {
    pub id: Option<String>,
    pub method: String,
    pub payload: Option<String>,
    pub kind: TaskKind,
    pub due: i64,
    pub every_ms: Option<i64>,
    pub anchor: Option<i64>,
    pub cron: Option<String>,
    pub timezone: Option<String>,
    pub retry: RetryPolicy,
}

impl NewTask {
    /// Checks `request` against `now_ms` and computes the first due time.
    pub(crate) fn validate(
        request: ScheduleRequest,
        now_ms: i64,
    ) -> Result<NewTask, ScheduleError> {
        if request.method.is_empty() {
            return Err(ScheduleError::Method {
                method: request.method,
                reason: "the method name is empty".into(),
            });
        }
        if let Some(id) = &request.id {
            if id.is_empty() || id.len() > MAX_ID_BYTES {
                return Err(ScheduleError::schedule(
                    "id",
                    format!("an id must be 1 to {MAX_ID_BYTES} bytes long"),
                ));
            }
        }
        let retry = resolve_retry(&request.retry)?;
        let mut task = NewTask {
            id: request.id,
            method: request.method,
            payload: request.payload,
            kind: TaskKind::At,
            due: now_ms,
            every_ms: None,
            anchor: None,
            cron: None,
            timezone: None,
            retry,
        };
        match request.when {
            When::At { time } => task.due = millis(time, "time")?,
            When::After { delay } => {
                let delay = millis(delay, "delay")?;
                if delay < 0 {
                    return Err(ScheduleError::schedule(
                        "delay",
                        format!("{delay} ms is negative"),
                    ));
                }
                task.kind = TaskKind::After;
                task.due = add(now_ms, delay, "delay")?;
            }
            When::Every { interval } => {
                if interval.is_nan() || interval <= 0.0 {
                    return Err(ScheduleError::schedule(
                        "interval",
                        format!("{} ms is not a positive interval", Decimal(interval)),
                    ));
                }
                // A fractional interval rounds up so that it never becomes zero.
                let interval = millis(interval.ceil(), "interval")?;
                task.kind = TaskKind::Every;
                task.due = add(now_ms, interval, "interval")?;
                task.every_ms = Some(interval);
                task.anchor = Some(task.due);
            }
            When::Cron {
                expression,
                timezone,
            } => {
                let schedule = CronSchedule::parse(&expression, timezone.as_deref())?;
                task.due =
                    schedule
                        .next_after(now_ms)
                        .ok_or_else(|| ScheduleError::CronInvalid {
                            expression: expression.clone(),
                            field: "expression",
                            reason: "it never occurs (such as 30 February)".into(),
                        })?;
                task.kind = TaskKind::Cron;
                task.cron = Some(expression);
                task.timezone = timezone;
            }
        }
        Ok(task)
    }
}

fn add(now_ms: i64, delta: i64, argument: &'static str) -> Result<i64, ScheduleError> {
    now_ms
        .checked_add(delta)
        .filter(|t| (*t as f64).abs() <= MAX_DATE_MS)
        .ok_or_else(|| {
            ScheduleError::schedule(
                argument,
                "the due time would be outside the range of a Date",
            )
        })
}

fn resolve_retry(options: &RetryOptions) -> Result<RetryPolicy, ScheduleError> {
    let defaults = RetryPolicy::default();
    let attempts = match options.attempts {
        None => defaults.attempts,
        Some(n) if (1.0..=MAX_ATTEMPTS).contains(&n) && n.fract() == 0.0 => n as u32,
        Some(n) => {
            return Err(ScheduleError::schedule(
                "retry.attempts",
                format!(
                    "{} is not a whole number from 1 to {}",
                    Decimal(n),
                    Decimal(MAX_ATTEMPTS)
                ),
            ))
        }
    };
    let non_negative =
        |value: Option<f64>, argument: &'static str| -> Result<Option<i64>, ScheduleError> {
            match value {
                None => Ok(None),
                Some(v) if v >= 0.0 => millis(v, argument).map(Some),
                Some(v) => Err(ScheduleError::schedule(
                    argument,
                    format!("{} ms is negative or not a number", Decimal(v)),
                )),
            }
        };
    let backoff_ms =
        non_negative(options.backoff_ms, "retry.backoffMs")?.unwrap_or(defaults.backoff_ms);
    let max_backoff_ms = match non_negative(options.max_backoff_ms, "retry.maxBackoffMs")? {
        Some(max) if max < backoff_ms => {
            return Err(ScheduleError::schedule(
                "retry.maxBackoffMs",
                format!("{max} ms is below retry.backoffMs ({backoff_ms} ms)"),
            ))
        }
        Some(max) => max,
        // A base above the default cap raises the cap rather than being silently cut.
        None => defaults.max_backoff_ms.max(backoff_ms),
    };
    Ok(RetryPolicy {
        attempts,
        backoff_ms,
        max_backoff_ms,
        jitter: options.jitter.unwrap_or(defaults.jitter),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorCode;

    fn request(when: When) -> ScheduleRequest {
        ScheduleRequest {
            id: None,
            method: "tick".into(),
            payload: None,
            when,
            retry: RetryOptions::default(),
        }
    }

    fn code(when: When) -> &'static str {
        NewTask::validate(request(when), 0).unwrap_err().code()
    }

    #[test]
    fn refuses_times_and_intervals_out_of_range() {
        assert_eq!(code(When::At { time: f64::NAN }), "TASK_SCHEDULE");
        assert_eq!(
            code(When::At {
                time: f64::INFINITY
            }),
            "TASK_SCHEDULE"
        );
        assert_eq!(code(When::At { time: 9e15 }), "TASK_SCHEDULE");
        assert_eq!(code(When::After { delay: -1.0 }), "TASK_SCHEDULE");
        assert_eq!(code(When::Every { interval: 0.0 }), "TASK_SCHEDULE");
        assert_eq!(code(When::Every { interval: -5.0 }), "TASK_SCHEDULE");
        assert_eq!(code(When::Every { interval: f64::NAN }), "TASK_SCHEDULE");
        assert_eq!(
            code(When::Cron {
                expression: "0 0 30 2 *".into(),
                timezone: None
            }),
            "CRON_INVALID"
        );
    }

    #[test]
    fn computes_first_due_times() {
        let at = NewTask::validate(request(When::At { time: 1_234.9 }), 0).unwrap();
        assert_eq!((at.kind, at.due), (TaskKind::At, 1_234));
        let after = NewTask::validate(request(When::After { delay: 30.0 }), 1_000).unwrap();
        assert_eq!((after.kind, after.due), (TaskKind::After, 1_030));
        let every = NewTask::validate(request(When::Every { interval: 0.5 }), 1_000).unwrap();
        assert_eq!(
            (every.due, every.every_ms, every.anchor),
            (1_001, Some(1), Some(1_001))
        );
    }

    #[test]
    fn checks_retry_options_and_names_them() {
        let mut r = request(When::After { delay: 0.0 });
        r.retry.attempts = Some(0.0);
        match NewTask::validate(r.clone(), 0).unwrap_err() {
            ScheduleError::Schedule { argument, .. } => assert_eq!(argument, "retry.attempts"),
            other => panic!("{other:?}"),
        }
        r.retry = RetryOptions {
            backoff_ms: Some(500.0),
            max_backoff_ms: Some(100.0),
            ..Default::default()
        };
        assert_eq!(
            NewTask::validate(r.clone(), 0).unwrap_err().code(),
            "TASK_SCHEDULE"
        );
        r.retry = RetryOptions {
            backoff_ms: Some(120_000.0),
            ..Default::default()
        };
        let policy = NewTask::validate(r, 0).unwrap().retry;
        assert_eq!(
            (policy.backoff_ms, policy.max_backoff_ms),
            (120_000, 120_000)
        );
    }

    #[test]
    fn refuses_empty_methods_and_ids() {
        let mut r = request(When::After { delay: 0.0 });
        r.method = String::new();
        assert_eq!(NewTask::validate(r, 0).unwrap_err().code(), "TASK_METHOD");
        let mut r = request(When::After { delay: 0.0 });
        r.id = Some(String::new());
        assert_eq!(NewTask::validate(r, 0).unwrap_err().code(), "TASK_SCHEDULE");
    }
}
