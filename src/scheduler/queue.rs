//! The queue itself: every read and write of `_dc_tasks` and `_dc_dead_tasks`.
//!
//! One statement per call on the hot paths: `schedule` is one INSERT (an upsert when the caller
//! names the id), `claim_due` one SELECT for the whole batch, `start` one UPDATE (the delivery
//! is counted only when its handler is about to run), `ack` one DELETE or UPDATE.
//! `claim_due`, `fail` and `retry_failed` may write several statements: the facade runs them
//! inside `transactionSync`. A delivery is named by `(id, attempt)`, so an `ack` or `fail` that
//! arrives after its task was cancelled or replaced (even by the handler itself, rescheduling
//! its own id) changes nothing.

use super::alarm::{AlarmBook, AlarmChange};
use super::backoff::{backoff_delay_ms, RetryPolicy};
use super::cron::CronSchedule;
use super::ids::IdGenerator;
use super::recurrence::Recurrence;
use super::rows::{decode_dead, decode_task, storage_error, task_values, StoredTask, TASK_COLUMNS};
use super::task::{DeadTask, ListQuery, NewTask, ScheduleRequest, Task, TaskKind};
use crate::backend::{QueryResult, SqlBackend, SqlValue};
use crate::error::Error;
use serde::Serialize;
use crate::hashing::{SeededMap, SeededState};
use std::sync::LazyLock;

const PLACEHOLDERS: &str = "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16";

/// A re-registered `every`/`cron` task whose schedule is unchanged keeps its place in time:
/// an object that wakes more often than its interval must still see the task run.
const SAME_SCHEDULE: &str = "(kind IN ('every', 'cron') AND kind = excluded.kind \
AND every_ms IS excluded.every_ms AND cron IS excluded.cron AND timezone IS excluded.timezone)";

// The hot statements are built once: the same text each call also hits the platform's
// prepared-statement cache.
static INSERT: LazyLock<String> =
    LazyLock::new(|| format!("INSERT INTO _dc_tasks ({TASK_COLUMNS}) VALUES ({PLACEHOLDERS})"));
static UPSERT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "INSERT INTO _dc_tasks ({TASK_COLUMNS}) VALUES ({PLACEHOLDERS}) ON CONFLICT (id) DO UPDATE SET \
         method = excluded.method, payload = excluded.payload, max_attempts = excluded.max_attempts, \
         backoff_ms = excluded.backoff_ms, max_backoff_ms = excluded.max_backoff_ms, jitter = excluded.jitter, \
         due = CASE WHEN {SAME_SCHEDULE} THEN due ELSE excluded.due END, \
         scheduled_at = CASE WHEN {SAME_SCHEDULE} THEN scheduled_at ELSE excluded.scheduled_at END, \
         anchor = CASE WHEN {SAME_SCHEDULE} THEN anchor ELSE excluded.anchor END, \
         attempts = CASE WHEN {SAME_SCHEDULE} THEN attempts ELSE 0 END, \
         last_error = CASE WHEN {SAME_SCHEDULE} THEN last_error ELSE NULL END, \
         kind = excluded.kind, every_ms = excluded.every_ms, cron = excluded.cron, timezone = excluded.timezone \
         RETURNING due, scheduled_at, attempts, last_error"
    )
});
/// The common case, a one-shot task with a generated id and the default retry policy, binds
/// 4 values instead of 16. Each value bound to `sql.exec` costs about 1 µs in workerd, even a
/// NULL: issued from JS, 2,000 16-value INSERTs took 48 ms against 32 ms for this one (86 vs
/// 45 ms in a busier run), and S1 went from 1.6-1.9x raw to 1.0-1.3x (same-run comparisons).
/// The retry columns are written as literals of [`RetryPolicy::default`]; the optional ones
/// are left NULL. Indexed by [`one_shot_statement`].
static INSERT_ONE_SHOT: LazyLock<[String; 2]> = LazyLock::new(|| {
    let defaults = RetryPolicy::default();
    [TaskKind::At, TaskKind::After].map(|kind| {
        format!(
            "INSERT INTO _dc_tasks (id, method, payload, kind, due, scheduled_at, attempts, max_attempts, \
             backoff_ms, max_backoff_ms, jitter) VALUES (?1, ?2, ?3, '{}', ?4, ?4, 0, {}, {}, {}, {})",
            kind.as_str(),
            defaults.attempts,
            defaults.backoff_ms,
            defaults.max_backoff_ms,
            i64::from(defaults.jitter),
        )
    })
});
/// Selects the batch without counting anything: a delivery is counted by [`START`], right
/// before its handler runs, so tasks of a batch whose object dies early lose no attempt.
/// Only the columns a delivery needs to run and to be acknowledged as a one-shot (7 of 16:
/// each value crosses from JS and is converted on its own); `fail`, the `ack` of a recurring
/// task and a poison task read the whole row again ([`FULL_DELIVERY`]).
const CLAIM: &str = "SELECT id, method, payload, kind, scheduled_at, attempts, max_attempts FROM _dc_tasks \
WHERE due <= ?1 ORDER BY due, id LIMIT ?2";
/// The whole row of the delivery `(id, attempts)`.
static FULL_DELIVERY: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {TASK_COLUMNS} FROM _dc_tasks WHERE id = ?1 AND attempts = ?2"));
/// Counts a delivery: `?2` is its attempt, so the row must still hold the attempts it was
/// claimed with (a task cancelled or replaced since does not match).
const START: &str = "UPDATE _dc_tasks SET attempts = ?2 WHERE id = ?1 AND attempts = ?2 - 1";

/// A claim: the due tasks to deliver now, in due order, each with the `attempts` its delivery
/// will have (call [`Scheduler::start`] right before running it), and the tasks found delivered
/// `attempts` times without ever finishing (moved to dead letters; call `onTaskFailed`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Claim {
    pub tasks: Vec<ClaimedTask>,
    pub dead: Vec<DeadTask>,
}

/// A task of a claim: what its handler needs. `attempts` is the delivery's attempt.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClaimedTask {
    pub id: String,
    pub method: String,
    pub payload: Option<String>,
    pub scheduled_at: i64,
    pub attempts: u32,
}

/// What became of a failed delivery.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Failure {
    /// When the retry is due, if one is left.
    pub retry_at: Option<i64>,
    /// The dead letter, when the attempts ran out: call `onTaskFailed`.
    pub dead: Option<DeadTask>,
    pub alarm: AlarmChange,
}

/// A call's result and what the native alarm must become.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome<T> {
    pub value: T,
    pub alarm: AlarmChange,
}

/// A delivery of the current batch. `attempt` is the delivery's attempt; SQLite holds one
/// less until the delivery is started.
#[derive(Debug)]
struct Delivery {
    attempt: u32,
    scheduled_at: i64,
    recurring: bool,
    started: bool,
}

impl Delivery {
    /// The `attempts` column of the task while this delivery is current.
    fn stored_attempts(&self) -> u32 {
        if self.started {
            self.attempt
        } else {
            self.attempt.saturating_sub(1)
        }
    }
}

/// A delivery taken out of the batch to be acknowledged or failed (already counted).
enum Taken {
    /// A one-shot: its row is not needed to end it.
    OneShot,
    /// The whole row, read again.
    Full(Box<StoredTask>),
}

/// The per-object queue handle. Holds only caches: dropping it loses nothing.
#[derive(Debug)]
pub struct Scheduler {
    ids: IdGenerator,
    alarm: AlarmBook,
    /// Deliveries claimed and not yet acknowledged, failed or released, by task id (ids users
    /// choose: hashed with a secret seed, see `crate::hashing`).
    in_flight: SeededMap<String, Delivery>,
}

impl Scheduler {
    /// `seed` (random, from the facade) seeds the ids of tasks scheduled without one.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(seed: u64) -> Self {
        Scheduler::with_hasher(seed, SeededState::default())
    }

    /// As [`Scheduler::new`], with the secret seed of the in-flight table.
    pub fn with_hasher(seed: u64, hasher: SeededState) -> Self {
        Scheduler { ids: IdGenerator::new(seed), alarm: AlarmBook::default(), in_flight: SeededMap::with_hasher(hasher) }
    }

    /// On each wake: `armed` is what `getAlarm()` returned. Re-arms when the queue and the
    /// alarm disagree (after a restart, a lost alarm, or `deleteAll()`).
    pub fn wake(&mut self, db: &dyn SqlBackend, armed: Option<i64>) -> Result<AlarmChange, Error> {
        self.alarm.wake(armed);
        self.in_flight.clear();
        self.alarm.settle(db)
    }

    /// `alarm()` started: hold alarm changes back until [`Scheduler::end_alarm`].
    pub fn begin_alarm(&mut self) {
        self.alarm.begin_alarm();
        self.in_flight.clear();
    }

    /// `alarm()` is ending: the one alarm change of the whole run. Unacknowledged claims are
    /// forgotten here (they stay due in SQLite and are delivered again). The earliest due time
    /// is re-read from SQLite (one indexed SELECT per run), so a cache left wrong by a rolled-back
    /// transaction cannot keep re-arming the alarm for a task that does not exist.
    pub fn end_alarm(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        self.alarm.end_alarm();
        self.alarm.forget();
        self.in_flight.clear();
        let change = self.alarm.settle(db);
        self.forget_on_error(change)
    }

    /// The earliest due time in the queue, if any.
    pub fn next_due(&mut self, db: &dyn SqlBackend) -> Result<Option<i64>, Error> {
        let result = db.exec("SELECT min(due) FROM _dc_tasks", &[])?;
        Ok(result.scalar().and_then(SqlValue::as_i64))
    }

    /// Adds a task, or replaces the task of the same id. Checks everything first: on error
    /// nothing is written.
    pub fn schedule(
        &mut self,
        db: &dyn SqlBackend,
        request: ScheduleRequest,
        now_ms: i64,
    ) -> Result<Outcome<Task>, Error> {
        let new = NewTask::validate(request, now_ms)?;
        let written = self.write_new(db, new);
        let task = self.forget_on_error(written)?;
        self.alarm.note_due(&task.id, task.due);
        let alarm = self.settle(db)?;
        Ok(Outcome { value: task, alarm })
    }

    fn write_new(&mut self, db: &dyn SqlBackend, new: NewTask) -> Result<Task, Error> {
        let (id, named) = match new.id {
            Some(id) => (id, true),
            None => (self.ids.next_id(), false),
        };
        let mut task = Task {
            id,
            method: new.method,
            payload: new.payload,
            kind: new.kind,
            due: new.due,
            scheduled_at: new.due,
            attempts: 0,
            every_ms: new.every_ms,
            cron: new.cron,
            timezone: new.timezone,
            retry: new.retry,
            last_error: None,
        };
        if !named {
            if let Some(statement) = one_shot_statement(&task) {
                let values = [
                    SqlValue::from(task.id.as_str()),
                    SqlValue::from(task.method.as_str()),
                    SqlValue::from(task.payload.as_deref()),
                    SqlValue::Integer(task.due),
                ];
                db.exec(statement, &values)?;
                return Ok(task);
            }
        }
        let values = task_values(&task, new.anchor);
        if !named {
            // A generated id is new by construction: a plain INSERT (a collision of 96 random
            // bits fails loudly instead of replacing a task).
            db.exec(&INSERT, &values)?;
            return Ok(task);
        }
        let result = db.exec(&UPSERT, &values)?;
        match result.first_row() {
            Some([due, scheduled_at, attempts, last_error]) => {
                task.due = due.as_i64().ok_or_else(|| storage_error("upsert returned no due time"))?;
                task.scheduled_at = scheduled_at.as_i64().unwrap_or(task.due);
                task.attempts = attempts.as_i64().and_then(|a| u32::try_from(a).ok()).unwrap_or(0);
                task.last_error = last_error.as_str().map(str::to_owned);
            }
            _ => return Err(storage_error("upsert returned no row")),
        }
        // A claimed delivery of the replaced task must not run; one of an unchanged recurring
        // task is still the same delivery.
        let same_delivery = self.in_flight.get(&task.id).is_some_and(|claimed| {
            claimed.stored_attempts() == task.attempts && claimed.scheduled_at == task.scheduled_at
        });
        if !same_delivery {
            self.in_flight.remove(&task.id);
        }
        Ok(task)
    }

    /// Removes a task; `value` tells whether it existed.
    pub fn cancel(&mut self, db: &dyn SqlBackend, id: &str) -> Result<Outcome<bool>, Error> {
        let deleted = db
            .exec("DELETE FROM _dc_tasks WHERE id = ?1 RETURNING id", &[SqlValue::from(id)])
            .map_err(Error::from);
        let existed = !self.forget_on_error(deleted)?.rows.is_empty();
        self.in_flight.remove(id);
        self.alarm.note_removed(id);
        let alarm = self.settle(db)?;
        Ok(Outcome { value: existed, alarm })
    }

    pub fn get(&self, db: &dyn SqlBackend, id: &str) -> Result<Option<Task>, Error> {
        let result =
            db.exec(&format!("SELECT {TASK_COLUMNS} FROM _dc_tasks WHERE id = ?1"), &[SqlValue::from(id)])?;
        result.first_row().map(|row| decode_task(row).map(|stored| stored.task)).transpose()
    }

    /// Tasks in due order (ties by id), filtered by method, from `after`, at most `limit`.
    pub fn list(&self, db: &dyn SqlBackend, query: &ListQuery) -> Result<Vec<Task>, Error> {
        let mut sql = format!("SELECT {TASK_COLUMNS} FROM _dc_tasks WHERE 1");
        let mut params = Vec::new();
        if let Some(method) = &query.method {
            params.push(SqlValue::from(method.as_str()));
            sql.push_str(&format!(" AND method = ?{}", params.len()));
        }
        if let Some(after) = &query.after {
            params.push(SqlValue::Integer(after.due));
            let due = params.len();
            match &after.id {
                Some(id) => {
                    params.push(SqlValue::from(id.as_str()));
                    sql.push_str(&format!(" AND (due, id) > (?{due}, ?{})", params.len()));
                }
                None => sql.push_str(&format!(" AND due > ?{due}")),
            }
        }
        params.push(SqlValue::Integer(query.limit.map_or(-1, i64::from)));
        sql.push_str(&format!(" ORDER BY due, id LIMIT ?{}", params.len()));
        let result = db.exec(&sql, &params)?;
        result.rows.iter().map(|row| decode_task(row).map(|stored| stored.task)).collect()
    }

    /// Dead letters, oldest failure first.
    pub fn failed(&self, db: &dyn SqlBackend, limit: Option<u32>) -> Result<Vec<DeadTask>, Error> {
        let result = db.exec(
            &format!(
                "SELECT {TASK_COLUMNS}, error, failed_at FROM _dc_dead_tasks ORDER BY failed_at, id LIMIT ?1"
            ),
            &[SqlValue::Integer(limit.map_or(-1, i64::from))],
        )?;
        result.rows.iter().map(|row| decode_dead(row)).collect()
    }

    /// Puts a dead letter back in the queue, due now with its attempts reset, and returns the
    /// task; `None` when there is no dead letter of that id. A one-shot takes its id back (it
    /// replaces a live task of that id, as scheduling does). A recurring task whose id is
    /// still live is only made due now: its current definition wins over the dead snapshot.
    /// Several statements: run inside `transactionSync`.
    pub fn retry_failed(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        now_ms: i64,
    ) -> Result<Option<Outcome<Task>>, Error> {
        let retried = self.restore_dead(db, id, now_ms);
        let Some(task) = self.forget_on_error(retried)? else { return Ok(None) };
        self.in_flight.remove(&task.id);
        self.alarm.note_due(&task.id, task.due);
        let alarm = self.settle(db)?;
        Ok(Some(Outcome { value: task, alarm }))
    }

    fn restore_dead(&mut self, db: &dyn SqlBackend, id: &str, now_ms: i64) -> Result<Option<Task>, Error> {
        let key = [SqlValue::from(id)];
        let result = db.exec(
            &format!("SELECT {TASK_COLUMNS}, error, failed_at FROM _dc_dead_tasks WHERE id = ?1"),
            &key,
        )?;
        let Some(row) = result.first_row() else { return Ok(None) };
        let dead = decode_task(row)?;
        let mut restored = None;
        if dead.task.kind.is_recurring() {
            let live = db.exec(
                &format!("UPDATE _dc_tasks SET due = ?2 WHERE id = ?1 RETURNING {TASK_COLUMNS}"),
                &[SqlValue::from(id), SqlValue::Integer(now_ms)],
            )?;
            restored = live.first_row().map(decode_task).transpose()?.map(|stored| stored.task);
        }
        let task = match restored {
            Some(task) => task,
            None => {
                let task = Task { due: now_ms, attempts: 0, last_error: None, ..dead.task };
                db.exec(
                    &format!("INSERT OR REPLACE INTO _dc_tasks ({TASK_COLUMNS}) VALUES ({PLACEHOLDERS})"),
                    &task_values(&task, dead.anchor),
                )?;
                task
            }
        };
        db.exec("DELETE FROM _dc_dead_tasks WHERE id = ?1", &key)?;
        Ok(Some(task))
    }

    /// Selects up to `limit` tasks due at `now_ms`, in due order, to deliver now. Counts
    /// nothing and removes nothing: [`Scheduler::start`] counts each delivery right before its
    /// handler runs. Several statements when a task turns out to have been delivered `attempts`
    /// times without finishing: run inside `transactionSync`.
    pub fn claim_due(&mut self, db: &dyn SqlBackend, now_ms: i64, limit: u32) -> Result<Claim, Error> {
        let claimed = self.claim(db, now_ms, limit);
        self.forget_on_error(claimed)
    }

    fn claim(&mut self, db: &dyn SqlBackend, now_ms: i64, limit: u32) -> Result<Claim, Error> {
        let result = db.exec(CLAIM, &[SqlValue::Integer(now_ms), SqlValue::Integer(i64::from(limit))])?;
        if result.rows.is_empty() {
            // A cached head that is due but not in SQLite was written by a rolled-back transaction.
            self.alarm.nothing_due_at(now_ms);
        }
        let mut claim = Claim { tasks: Vec::with_capacity(result.rows.len()), dead: Vec::new() };
        for row in result.rows {
            let Ok::<[SqlValue; 7], _>([id, method, payload, kind, scheduled_at, attempts, max_attempts]) = row.try_into()
            else {
                return Err(storage_error("a claimed row has unexpected columns"));
            };
            let id = into_text(id, "id")?;
            let deliveries = count(&attempts, "attempts")?;
            if deliveries >= count(&max_attempts, "max_attempts")? {
                let error = format!(
                    "delivered {deliveries} times without finishing: the object stopped during the handler \
                     (eviction, crash, deploy or an exceeded limit)"
                );
                let full = db.exec(&FULL_DELIVERY, &[SqlValue::from(id.as_str()), attempts])?;
                let stored = full
                    .first_row()
                    .map(decode_task)
                    .transpose()?
                    .ok_or_else(|| storage_error("a claimed task vanished"))?;
                claim.dead.push(self.bury(db, &stored, deliveries, &error, now_ms)?);
                continue;
            }
            let kind = kind.as_str().and_then(TaskKind::parse).ok_or_else(|| storage_error("unknown task kind"))?;
            let scheduled_at =
                scheduled_at.as_i64().ok_or_else(|| storage_error("column scheduled_at is not an integer"))?;
            let attempt = deliveries.saturating_add(1);
            self.in_flight.insert(
                id.clone(),
                Delivery { attempt, scheduled_at, recurring: kind.is_recurring(), started: false },
            );
            claim.tasks.push(ClaimedTask {
                id,
                method: into_text(method, "method")?,
                payload: match payload {
                    SqlValue::Null => None,
                    other => Some(into_text(other, "payload")?),
                },
                scheduled_at,
                attempts: attempt,
            });
        }
        Ok(claim)
    }

    /// The handler of the claimed delivery `(id, attempt)` is about to run: counts the delivery
    /// (the task's `attempts` becomes `attempt`). False when it must not run: cancelled or
    /// replaced since the claim, or not claimed by this handle (after a new handle, claim again).
    pub fn start(&mut self, db: &dyn SqlBackend, id: &str, attempt: u32) -> Result<bool, Error> {
        let Some(delivery) = self.in_flight.get_mut(id) else { return Ok(false) };
        if delivery.attempt != attempt {
            return Ok(false);
        }
        if delivery.started {
            return Ok(true);
        }
        let result = db.exec(START, &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))])?;
        if result.rows_written == 0 {
            self.in_flight.remove(id);
            return Ok(false);
        }
        delivery.started = true;
        Ok(true)
    }

    /// Whether the delivery `(id, attempt)` of the current batch should still run: false once
    /// its task was cancelled or replaced by an earlier handler.
    pub fn is_current(&self, id: &str, attempt: u32) -> bool {
        self.in_flight.get(id).is_some_and(|claimed| claimed.attempt == attempt)
    }

    /// The handler of `(id, attempt)` succeeded: a one-shot is removed, a recurring task moves
    /// to its first occurrence after `now_ms` (missed ones coalesced). `value` is false when
    /// the delivery was no longer current (nothing changed).
    pub fn ack(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        now_ms: i64,
    ) -> Result<Outcome<bool>, Error> {
        let acked = self.ack_delivery(db, id, attempt, now_ms);
        let value = self.forget_on_error(acked)?;
        let alarm = self.settle(db)?;
        Ok(Outcome { value, alarm })
    }

    fn ack_delivery(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        now_ms: i64,
    ) -> Result<bool, Error> {
        match self.take_delivery(db, id, attempt, false)? {
            None => Ok(false),
            Some(Taken::Full(delivery)) => self.advance_or_remove(db, &delivery, now_ms),
            Some(Taken::OneShot) => {
                let key = [SqlValue::from(id), SqlValue::Integer(i64::from(attempt))];
                let removed = db.exec("DELETE FROM _dc_tasks WHERE id = ?1 AND attempts = ?2", &key)?;
                self.alarm.note_removed(id);
                Ok(removed.rows_written > 0)
            }
        }
    }

    /// A delivery claimed but not run: it was never attempted. Not started, nothing was counted;
    /// started, its count is taken back. It stays due. (The facade needs it no longer: it
    /// simply does not start what it will not run.)
    pub fn release(&mut self, db: &dyn SqlBackend, id: &str, attempt: u32) -> Result<bool, Error> {
        if let Some(claimed) = self.in_flight.remove(id) {
            if claimed.attempt == attempt && !claimed.started {
                return Ok(true);
            }
        }
        let result = db.exec(
            "UPDATE _dc_tasks SET attempts = attempts - 1 WHERE id = ?1 AND attempts = ?2",
            &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))],
        )?;
        Ok(result.rows_written > 0)
    }

    /// The handler of `(id, attempt)` threw `error`: retried after the backoff of its policy
    /// (`random` in [0, 1) spreads it when jitter is on), or, on its last attempt, moved to
    /// dead letters. Several statements: run inside `transactionSync`.
    pub fn fail(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        error: &str,
        now_ms: i64,
        random: f64,
    ) -> Result<Failure, Error> {
        let failed = self.fail_delivery(db, id, attempt, error, now_ms, random);
        let (retry_at, dead) = self.forget_on_error(failed)?;
        let alarm = self.settle(db)?;
        Ok(Failure { retry_at, dead, alarm })
    }

    fn fail_delivery(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        error: &str,
        now_ms: i64,
        random: f64,
    ) -> Result<(Option<i64>, Option<DeadTask>), Error> {
        let Some(Taken::Full(delivery)) = self.take_delivery(db, id, attempt, true)? else { return Ok((None, None)) };
        if attempt >= delivery.task.retry.attempts {
            return Ok((None, Some(self.bury(db, &delivery, attempt, error, now_ms)?)));
        }
        let delay = backoff_delay_ms(attempt, &delivery.task.retry, random);
        let retry_at = now_ms.saturating_add(delay);
        db.exec(
            "UPDATE _dc_tasks SET due = ?3, last_error = ?4 WHERE id = ?1 AND attempts = ?2",
            &[
                SqlValue::from(id),
                SqlValue::Integer(i64::from(attempt)),
                SqlValue::Integer(retry_at),
                SqlValue::from(error),
            ],
        )?;
        self.alarm.note_due(id, retry_at);
        Ok((Some(retry_at), None))
    }

    /// The claimed delivery `(id, attempt)`: a one-shot of this batch is ended from memory
    /// (unless `full`), anything else, or a delivery unknown to this handle (rebuilt mid-batch),
    /// is read again from SQLite; `None` when the task is gone or was replaced since. A delivery
    /// acknowledged or failed without [`Scheduler::start`] is counted now: it was delivered.
    fn take_delivery(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        full: bool,
    ) -> Result<Option<Taken>, Error> {
        if let Some(claimed) = self.in_flight.remove(id) {
            if claimed.attempt == attempt {
                if !claimed.started {
                    let counted = db.exec(START, &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))])?;
                    if counted.rows_written == 0 {
                        return Ok(None);
                    }
                }
                if !full && !claimed.recurring {
                    return Ok(Some(Taken::OneShot));
                }
            }
        }
        let result = db.exec(&FULL_DELIVERY, &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))])?;
        Ok(result.first_row().map(decode_task).transpose()?.map(|stored| Taken::Full(Box::new(stored))))
    }

    /// Writes the dead letter of `delivery` (after `deliveries` attempts), then retires its
    /// occurrence.
    fn bury(
        &mut self,
        db: &dyn SqlBackend,
        delivery: &StoredTask,
        deliveries: u32,
        error: &str,
        now_ms: i64,
    ) -> Result<DeadTask, Error> {
        let dead = Task { attempts: deliveries, ..delivery.task.clone() };
        let mut values = task_values(&dead, delivery.anchor);
        values.push(SqlValue::from(error));
        values.push(SqlValue::Integer(now_ms));
        db.exec(
            &format!("INSERT OR REPLACE INTO _dc_dead_tasks ({TASK_COLUMNS}, error, failed_at) VALUES ({PLACEHOLDERS}, ?17, ?18)"),
            &values,
        )?;
        self.advance_or_remove(db, delivery, now_ms)?;
        Ok(DeadTask { task: dead, error: error.to_owned(), failed_at: now_ms })
    }

    /// Ends the current occurrence of `delivery`: the next one of a recurring task, or
    /// removal. Returns whether the delivery was still current.
    fn advance_or_remove(
        &mut self,
        db: &dyn SqlBackend,
        delivery: &StoredTask,
        now_ms: i64,
    ) -> Result<bool, Error> {
        let task = &delivery.task;
        let key = [SqlValue::from(task.id.as_str()), SqlValue::Integer(i64::from(task.attempts))];
        let after = now_ms.max(task.scheduled_at);
        let next = recurrence(delivery)?.and_then(|r| r.next_after(after));
        let result: QueryResult = match next {
            Some(next) => {
                let [id, attempts] = key;
                let moved = db.exec(
                    "UPDATE _dc_tasks SET due = ?3, scheduled_at = ?3, attempts = 0, last_error = NULL \
                     WHERE id = ?1 AND attempts = ?2",
                    &[id, attempts, SqlValue::Integer(next)],
                )?;
                self.alarm.note_due(&task.id, next);
                moved
            }
            None => {
                let removed = db.exec("DELETE FROM _dc_tasks WHERE id = ?1 AND attempts = ?2", &key)?;
                self.alarm.note_removed(&task.id);
                removed
            }
        };
        Ok(result.rows_written > 0)
    }

    fn settle(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        let change = self.alarm.settle(db);
        self.forget_on_error(change)
    }

    fn forget_on_error<T>(&mut self, result: Result<T, Error>) -> Result<T, Error> {
        if result.is_err() {
            self.alarm.forget();
        }
        result
    }
}

/// The narrow INSERT of a new `task`, when it is a one-shot with the default retry policy.
fn one_shot_statement(task: &Task) -> Option<&'static str> {
    if task.retry != RetryPolicy::default() || task.scheduled_at != task.due {
        return None;
    }
    let [at, after] = &*INSERT_ONE_SHOT;
    match task.kind {
        TaskKind::At => Some(at),
        TaskKind::After => Some(after),
        TaskKind::Every | TaskKind::Cron => None,
    }
}

/// How `delivery` repeats; `None` for a one-shot.
fn recurrence(delivery: &StoredTask) -> Result<Option<Recurrence>, Error> {
    let task = &delivery.task;
    if !task.kind.is_recurring() {
        return Ok(None);
    }
    if let (Some(interval_ms), Some(anchor)) = (task.every_ms, delivery.anchor) {
        return Ok(Some(Recurrence::Every { anchor, interval_ms }));
    }
    let expression = task
        .cron
        .as_deref()
        .ok_or_else(|| storage_error("a recurring task has neither interval nor cron"))?;
    let schedule = CronSchedule::parse(expression, task.timezone.as_deref()).map_err(Error::from)?;
    Ok(Some(Recurrence::Cron(Box::new(schedule))))
}

fn into_text(value: SqlValue, name: &str) -> Result<String, Error> {
    match value {
        SqlValue::Text(text) => Ok(text),
        _ => Err(storage_error(&format!("column {name} is not text"))),
    }
}

fn count(value: &SqlValue, name: &str) -> Result<u32, Error> {
    let value = value.as_i64().ok_or_else(|| storage_error(&format!("column {name} is not an integer")))?;
    Ok(u32::try_from(value.max(0)).unwrap_or(u32::MAX))
}
