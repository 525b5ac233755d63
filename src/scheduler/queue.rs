//! The queue itself: writing, reading, cancelling and restoring tasks in `_dc_tasks` and
//! `_dc_dead_tasks`, and the alarm run's bounds. Deliveries (claim, start, ack, fail) are in
//! `delivery.rs`, every statement in `statements.rs`.
//!
//! One statement per call on the hot paths: `schedule` is one INSERT (an upsert when the caller
//! names the id) plus the alarm read. `retry_failed` may write several statements: the facade
//! runs it inside `transactionSync`.
//!
//! Memory holds only the deliveries of the current batch, and never decides anything on its
//! own across a write it did not make: a delivery touched since its claim (replaced,
//! cancelled, retried, possibly inside a transaction that then rolled back) is read again from
//! SQLite before it starts.

use super::alarm::{AlarmBook, AlarmChange};
use super::backoff::RetryPolicy;
use super::delivery::{Batch, Delivery};
use super::ids::IdGenerator;
use super::rows::{decode_dead, decode_task, storage_error, task_values};
use super::statements::*;
use super::task::{DeadTask, ListQuery, NewTask, ScheduleRequest, Task, TaskKind};
use crate::backend::{QueryResult, SqlBackend, SqlValue};
use crate::error::Error;
use crate::hashing::{SeededMap, SeededState};
use serde::Serialize;

/// A call's result and what the native alarm must become.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome<T> {
    pub value: T,
    pub alarm: AlarmChange,
}

/// The per-object queue handle. Holds only the current batch: dropping it loses nothing.
#[derive(Debug)]
pub struct Scheduler {
    ids: IdGenerator,
    pub(super) alarm: AlarmBook,
    /// Deliveries claimed and not yet acknowledged, failed or released, by task id (ids users
    /// choose: hashed with a secret seed, see `crate::hashing`).
    pub(super) in_flight: SeededMap<String, Delivery>,
    /// The batch of the last claim, with its marks when the facade runs it with marks.
    pub(super) batch: Batch,
}

impl Scheduler {
    /// `seed` (random, from the facade) seeds the ids of tasks scheduled without one.
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(seed: u64) -> Self {
        Scheduler::with_hasher(seed, SeededState::default())
    }

    /// As [`Scheduler::new`], with the secret seed of the in-flight table.
    pub fn with_hasher(seed: u64, hasher: SeededState) -> Self {
        Scheduler {
            ids: IdGenerator::new(seed),
            alarm: AlarmBook::default(),
            in_flight: SeededMap::with_hasher(hasher),
            batch: Batch::default(),
        }
    }

    /// On each wake: `armed` is what `getAlarm()` returned, `now_ms` the time. Re-arms when the
    /// queue and the alarm disagree (after a restart, a lost alarm, or `deleteAll()`), except
    /// for [`AlarmChange::Repair`].
    pub fn wake(
        &mut self,
        db: &dyn SqlBackend,
        armed: Option<i64>,
        now_ms: i64,
    ) -> Result<AlarmChange, Error> {
        self.in_flight.clear();
        self.batch.forget();
        self.alarm.wake(db, armed, now_ms)
    }

    /// What the native alarm must become now (after [`AlarmChange::Repair`]).
    pub fn settle(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        self.settle_marks(db)?;
        self.alarm.settle(db)
    }

    /// A run of due tasks starts; `armed` is what `getAlarm()` returned at its start. Alarm
    /// changes are held back until [`Scheduler::end_alarm`].
    pub fn begin_alarm(&mut self, db: &dyn SqlBackend, armed: Option<i64>) -> Result<(), Error> {
        self.in_flight.clear();
        self.batch.forget();
        self.alarm.begin_alarm(db, armed)
    }

    /// A new handle in the middle of a run: hold its alarm changes back too.
    pub fn resume_alarm(&mut self) {
        self.alarm.resume_alarm();
    }

    /// The run is ending: deliveries claimed and never started are released (their count is
    /// taken back), then the one alarm change of the whole run. The batch is forgotten even
    /// when a release fails.
    pub fn end_alarm(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        self.alarm.end_alarm();
        let acked = self.end_batch(db);
        let unstarted: Vec<(String, u32)> = self
            .in_flight
            .drain()
            .filter(|(_, d)| !d.started)
            .map(|(id, d)| (id, d.attempt))
            .collect();
        for (id, attempt) in unstarted {
            db.exec_constant(
                RELEASE,
                &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))],
            )?;
        }
        acked?;
        self.alarm.settle(db)
    }

    /// The earliest due time in the queue, if any.
    pub fn next_due(&mut self, db: &dyn SqlBackend) -> Result<Option<i64>, Error> {
        self.settle_marks(db)?;
        let result = db.exec_constant(NEXT_DUE, &[])?;
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
        self.settle_marks(db)?;
        let new = NewTask::validate(request, now_ms)?;
        let (task, written) = self.write_new(db, new)?;
        let alarm = match written {
            Written::Covered => AlarmChange::Unchanged,
            Written::Returned(armed, due) => self.alarm.settle_returned(db, &armed, &due)?,
        };
        Ok(Outcome { value: task, alarm })
    }

    /// Writes the task; returns it with what the write tells about the alarm.
    fn write_new(&mut self, db: &dyn SqlBackend, new: NewTask) -> Result<(Task, Written), Error> {
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
            if let Some(kind) = one_shot_index(&task) {
                // The payload (up to 2 MB) is moved into its binding and back, not copied.
                let mut values = [
                    SqlValue::from(task.id.as_str()),
                    SqlValue::from(task.method.as_str()),
                    SqlValue::from(task.payload.take()),
                    SqlValue::Integer(task.due),
                ];
                let written = self.insert_one_shot(db, kind, task.due, &values);
                if let SqlValue::Text(payload) = std::mem::replace(&mut values[2], SqlValue::Null) {
                    task.payload = Some(payload);
                }
                return Ok((task, written?));
            }
        }
        let values = task_values(&task, new.anchor);
        if !named {
            // A generated id is new by construction: a plain INSERT (a collision of 96 random
            // bits fails loudly instead of replacing a task).
            let written = returned_state(db.exec_constant(INSERT, &values)?)?;
            return Ok((task, written));
        }
        self.touch(&task.id);
        let result = db.exec_constant(UPSERT, &values)?;
        match result.rows.into_iter().next().as_deref() {
            Some([due, scheduled_at, attempts, last_error, armed, earliest]) => {
                task.due = due
                    .as_i64()
                    .ok_or_else(|| storage_error("upsert returned no due time"))?;
                task.scheduled_at = scheduled_at.as_i64().unwrap_or(task.due);
                task.attempts = attempts
                    .as_i64()
                    .and_then(|a| u32::try_from(a).ok())
                    .unwrap_or(0);
                task.last_error = last_error.as_str().map(str::to_owned);
                Ok((task, Written::Returned(armed.clone(), earliest.clone())))
            }
            _ => Err(storage_error("upsert returned no row")),
        }
    }

    /// The narrow INSERT of a one-shot `values` due at `due`: covered when this handle's last
    /// view of the alarm says it may be, else (or when it was not) returning the state.
    fn insert_one_shot(
        &mut self,
        db: &dyn SqlBackend,
        kind: usize,
        due: i64,
        values: &[SqlValue],
    ) -> Result<Written, Error> {
        if self.alarm.may_cover(due) {
            let covered = *INSERT_ONE_SHOT_COVERED
                .get(kind)
                .ok_or_else(|| storage_error("no statement"))?;
            if db.exec_constant(covered, values)?.rows_written > 0 {
                return Ok(Written::Covered);
            }
            // Not covered after all: a transaction rolled back since the hint was made.
            self.alarm.forget();
        }
        let statement = *INSERT_ONE_SHOT
            .get(kind)
            .ok_or_else(|| storage_error("no statement"))?;
        returned_state(db.exec_constant(statement, values)?)
    }

    /// A write to the task `id`: a delivery of it in the current batch must be read again
    /// before it starts (whether or not the write's transaction commits).
    fn touch(&mut self, id: &str) {
        if let Some(delivery) = self.in_flight.get_mut(id) {
            delivery.stale = true;
            if !delivery.started {
                self.batch.mark_stale(delivery.index);
            }
        }
    }

    /// Removes a task; `value` tells whether it existed.
    pub fn cancel(&mut self, db: &dyn SqlBackend, id: &str) -> Result<Outcome<bool>, Error> {
        self.settle_marks(db)?;
        self.touch(id);
        let deleted = db.exec_constant(CANCEL, &[SqlValue::from(id)])?;
        let alarm = self.alarm.settle(db)?;
        Ok(Outcome {
            value: !deleted.rows.is_empty(),
            alarm,
        })
    }

    pub fn get(&mut self, db: &dyn SqlBackend, id: &str) -> Result<Option<Task>, Error> {
        self.settle_marks(db)?;
        let result = db.exec_constant(GET, &[SqlValue::from(id)])?;
        result
            .first_row()
            .map(|row| decode_task(row).map(|stored| stored.task))
            .transpose()
    }

    /// Tasks in due order (ties by id), filtered by method, from `after`, at most `limit`.
    pub fn list(&mut self, db: &dyn SqlBackend, query: &ListQuery) -> Result<Vec<Task>, Error> {
        self.settle_marks(db)?;
        let mut params = vec![SqlValue::Integer(query.limit.map_or(-1, i64::from))];
        if let Some(method) = &query.method {
            params.push(SqlValue::from(method.as_str()));
        }
        if let Some(after) = &query.after {
            params.push(SqlValue::Integer(after.due));
            if let Some(id) = &after.id {
                params.push(SqlValue::from(id.as_str()));
            }
        }
        let result = db.exec_constant(list(query), &params)?;
        result
            .rows
            .iter()
            .map(|row| decode_task(row).map(|stored| stored.task))
            .collect()
    }

    /// Dead letters, oldest failure first.
    pub fn failed(&self, db: &dyn SqlBackend, limit: Option<u32>) -> Result<Vec<DeadTask>, Error> {
        let result = db.exec_constant(FAILED, &[SqlValue::Integer(limit.map_or(-1, i64::from))])?;
        result.rows.iter().map(|row| decode_dead(row)).collect()
    }

    /// Puts a dead letter back in the queue, due now with its attempts reset, and returns the
    /// task; `None` when there is no dead letter of that id. A one-shot takes its id back (it
    /// replaces a live task of that id, as scheduling does). The failed occurrence of a
    /// recurring task whose id is still a live recurring task runs again (its `scheduledAt` is the failed
    /// occurrence's) before the live task's next occurrence, which keeps its due time: no
    /// occurrence is lost. Several statements: run inside `transactionSync`.
    pub fn retry_failed(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        now_ms: i64,
    ) -> Result<Option<Outcome<Task>>, Error> {
        self.settle_marks(db)?;
        self.touch(id);
        let key = [SqlValue::from(id)];
        let result = db.exec_constant(DEAD, &key)?;
        let Some(row) = result.first_row() else {
            return Ok(None);
        };
        let dead = decode_task(row)?;
        let mut restored = None;
        if dead.task.kind.is_recurring() {
            // The live task keeps its occurrence in `scheduled_at`; the retried one rides on
            // the same row until it ends, then the row is due at that occurrence again.
            let live = db.exec_constant(
                RETRY_OCCURRENCE,
                &[
                    SqlValue::from(id),
                    SqlValue::Integer(now_ms),
                    SqlValue::Integer(dead.task.scheduled_at),
                ],
            )?;
            restored = live
                .first_row()
                .map(decode_task)
                .transpose()?
                .map(|stored| stored.task);
        }
        let task = match restored {
            Some(task) => task,
            None => {
                let task = Task {
                    due: now_ms,
                    attempts: 0,
                    last_error: None,
                    ..dead.task
                };
                db.exec_constant(REPLACE, &task_values(&task, dead.anchor))?;
                task
            }
        };
        db.exec_constant(FORGET_DEAD, &key)?;
        let alarm = self.alarm.settle(db)?;
        Ok(Some(Outcome { value: task, alarm }))
    }
}

/// What a write of a new task tells about the alarm.
enum Written {
    /// A covered INSERT wrote: the alarm on record, at or before the task's due time, covers it.
    Covered,
    /// The write returned state columns (`statements::state_columns!`): the armed time on record and the earliest due time.
    Returned(SqlValue, SqlValue),
}

/// The state columns (`statements::state_columns!`) a write returned.
fn returned_state(result: QueryResult) -> Result<Written, Error> {
    match result.rows.into_iter().next().as_deref() {
        Some([armed, due]) => Ok(Written::Returned(armed.clone(), due.clone())),
        _ => Err(storage_error("a write returned no alarm state")),
    }
}

/// Which narrow INSERT writes a new `task` (0: `at`, 1: `after`), when it is a one-shot with the
/// default retry policy.
fn one_shot_index(task: &Task) -> Option<usize> {
    if task.retry != RetryPolicy::default() || task.scheduled_at != task.due {
        return None;
    }
    match task.kind {
        TaskKind::At => Some(0),
        TaskKind::After => Some(1),
        TaskKind::Every | TaskKind::Cron => None,
    }
}
