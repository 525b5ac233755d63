//! The columns of `_dc_tasks` and `_dc_dead_tasks`, and rows decoded into [`Task`]s without
//! trusting their shape (a decoding failure is a storage error, never a panic).

use super::backoff::RetryPolicy;
use super::task::{DeadTask, Task, TaskKind};
use crate::backend::{BackendError, SqlValue};
use crate::error::Error;

const TASK_COLUMN_COUNT: usize = 16;

pub(crate) fn storage_error(message: &str) -> Error {
    Error::Storage(BackendError {
        message: format!("scheduler: {message}"),
    })
}

/// A stored task and the anchor of an `every` task (kept apart: users never see it).
#[derive(Debug, Clone)]
pub(crate) struct StoredTask {
    pub task: Task,
    pub anchor: Option<i64>,
}

fn integer(row: &[SqlValue], i: usize, name: &str) -> Result<i64, Error> {
    row.get(i)
        .and_then(SqlValue::as_i64)
        .ok_or_else(|| storage_error(&format!("column {name} is not an integer")))
}

fn optional_integer(row: &[SqlValue], i: usize) -> Option<i64> {
    row.get(i).and_then(SqlValue::as_i64)
}

fn text(row: &[SqlValue], i: usize, name: &str) -> Result<String, Error> {
    row.get(i)
        .and_then(SqlValue::as_str)
        .map(str::to_owned)
        .ok_or_else(|| storage_error(&format!("column {name} is not text")))
}

fn optional_text(row: &[SqlValue], i: usize) -> Option<String> {
    row.get(i).and_then(SqlValue::as_str).map(str::to_owned)
}

fn count(value: i64) -> u32 {
    u32::try_from(value.max(0)).unwrap_or(u32::MAX)
}

/// Decodes the first task columns (`statements::task_columns!`) of `row`.
pub(crate) fn decode_task(row: &[SqlValue]) -> Result<StoredTask, Error> {
    if row.len() < TASK_COLUMN_COUNT {
        return Err(storage_error("a task row has too few columns"));
    }
    let kind_text = text(row, 3, "kind")?;
    let kind = TaskKind::parse(&kind_text)
        .ok_or_else(|| storage_error(&format!("unknown task kind `{kind_text}`")))?;
    let task = Task {
        id: text(row, 0, "id")?,
        method: text(row, 1, "method")?,
        payload: optional_text(row, 2),
        kind,
        due: integer(row, 4, "due")?,
        scheduled_at: integer(row, 5, "scheduled_at")?,
        every_ms: optional_integer(row, 6),
        cron: optional_text(row, 8),
        timezone: optional_text(row, 9),
        attempts: count(integer(row, 10, "attempts")?),
        retry: RetryPolicy {
            attempts: count(integer(row, 11, "max_attempts")?),
            backoff_ms: integer(row, 12, "backoff_ms")?,
            max_backoff_ms: integer(row, 13, "max_backoff_ms")?,
            jitter: integer(row, 14, "jitter")? != 0,
        },
        last_error: optional_text(row, 15),
    };
    Ok(StoredTask {
        task,
        anchor: optional_integer(row, 7),
    })
}

/// Decodes task columns (`statements::task_columns!`) followed by `error, failed_at`.
pub(crate) fn decode_dead(row: &[SqlValue]) -> Result<DeadTask, Error> {
    let stored = decode_task(row)?;
    Ok(DeadTask {
        task: stored.task,
        error: text(row, TASK_COLUMN_COUNT, "error")?,
        failed_at: integer(row, TASK_COLUMN_COUNT + 1, "failed_at")?,
    })
}

/// The values of a task in task columns (`statements::task_columns!`) order, for writing it whole.
pub(crate) fn task_values(task: &Task, anchor: Option<i64>) -> Vec<SqlValue> {
    vec![
        SqlValue::from(task.id.as_str()),
        SqlValue::from(task.method.as_str()),
        SqlValue::from(task.payload.clone()),
        SqlValue::from(task.kind.as_str()),
        SqlValue::Integer(task.due),
        SqlValue::Integer(task.scheduled_at),
        SqlValue::from(task.every_ms),
        SqlValue::from(anchor),
        SqlValue::from(task.cron.clone()),
        SqlValue::from(task.timezone.clone()),
        SqlValue::Integer(i64::from(task.attempts)),
        SqlValue::Integer(i64::from(task.retry.attempts)),
        SqlValue::Integer(task.retry.backoff_ms),
        SqlValue::Integer(task.retry.max_backoff_ms),
        SqlValue::Integer(i64::from(task.retry.jitter)),
        SqlValue::from(task.last_error.clone()),
    ]
}
