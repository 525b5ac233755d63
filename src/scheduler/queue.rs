//! The queue itself: every read and write of `_dc_tasks` and `_dc_dead_tasks`.
//!
//! One statement per call on the hot paths: `schedule` is one INSERT (an upsert when the caller
//! names the id) plus the alarm read, `claim_due` one SELECT and one UPDATE for the whole batch
//! (the batch's deliveries are counted there, and the facade makes that durable before any
//! handler runs), `ack` one DELETE or UPDATE. `claim_due`, `fail` and `retry_failed` may write
//! several statements: the facade runs them inside `transactionSync`. A delivery is named by
//! `(id, attempt)` and its row carries `claimed` until its end is recorded, so an `ack` or
//! `fail` that arrives after its task was cancelled or replaced (even by the handler itself,
//! rescheduling its own id) changes nothing.
//!
//! Memory holds only the deliveries of the current batch, and never decides anything on its
//! own across a write it did not make: a delivery touched since its claim (replaced,
//! cancelled, retried, possibly inside a transaction that then rolled back) is read again from
//! SQLite before it starts.

use super::alarm::{AlarmBook, AlarmChange};
use super::statements::*;
use super::backoff::{backoff_delay_ms, RetryPolicy};
use super::cron::CronSchedule;
use super::ids::IdGenerator;
use super::recurrence::Recurrence;
use super::rows::{decode_dead, decode_task, storage_error, task_values, StoredTask};
use super::task::{DeadTask, ListQuery, NewTask, ScheduleRequest, Task, TaskKind};
use crate::backend::{QueryResult, SqlBackend, SqlValue};
use crate::error::Error;
use serde::Serialize;
use crate::hashing::{SeededMap, SeededState};
/// `claimed` of a task claimed together with others.
const SHARED: i64 = 1;
/// `claimed` of a task claimed alone: if its invocation ends, it is the one that ended it.
const ALONE: i64 = 2;

/// A claim: the due tasks to deliver now, in due order, each with the attempt its delivery
/// has (already counted), and the tasks found delivered `attempts` times without ever
/// finishing (moved to dead letters; call `onTaskFailed`).
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

/// What [`Scheduler::start`] decided for a claimed delivery.
#[derive(Debug, Clone, PartialEq)]
pub enum Start {
    /// Cancelled or replaced since the claim (or unknown to this handle): do not run it.
    Skip,
    /// Run it as claimed.
    Run,
    /// Run it with this definition, read again from SQLite (it changed since the claim, or it
    /// recurs and its next occurrence is known now).
    Fresh(Box<Definition>),
}

/// The definition a delivery runs with.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub method: String,
    pub payload: Option<String>,
    pub scheduled_at: i64,
    /// When the task is due next, for a recurring task; `None` for a one-shot.
    pub next: Option<i64>,
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

/// A delivery of the current batch, counted in SQLite by its claim.
#[derive(Debug)]
struct Delivery {
    attempt: u32,
    /// A recurring task, or the retry of a recurring task's occurrence: its end needs the row.
    needs_row: bool,
    started: bool,
    /// Written since the claim (replaced, cancelled, retried): read it again before it starts.
    stale: bool,
}

/// A delivery taken out of the batch to be acknowledged or failed.
enum Taken {
    /// A one-shot: its row is not needed to end it.
    OneShot,
    /// The whole row, read again, and the occurrence it retries, if it is a retry.
    Full(Box<StoredTask>, Option<i64>),
}

/// A row of [`SELECT_DUE`].
struct DueRow {
    id: String,
    method: String,
    payload: Option<String>,
    recurring: bool,
    scheduled_at: i64,
    attempts: u32,
    max_attempts: u32,
    claimed: Option<i64>,
    retry_of: Option<i64>,
}

impl DueRow {
    fn decode(row: Vec<SqlValue>) -> Result<DueRow, Error> {
        let Ok::<[SqlValue; 9], _>([id, method, payload, kind, scheduled_at, attempts, max_attempts, claimed, retry_of]) =
            row.try_into()
        else {
            return Err(storage_error("a claimed row has unexpected columns"));
        };
        let kind = kind.as_str().and_then(TaskKind::parse).ok_or_else(|| storage_error("unknown task kind"))?;
        Ok(DueRow {
            id: into_text(id, "id")?,
            method: into_text(method, "method")?,
            payload: match payload {
                SqlValue::Null => None,
                other => Some(into_text(other, "payload")?),
            },
            recurring: kind.is_recurring(),
            scheduled_at: scheduled_at.as_i64().ok_or_else(|| storage_error("column scheduled_at is not an integer"))?,
            attempts: count(&attempts, "attempts")?,
            max_attempts: count(&max_attempts, "max_attempts")?,
            claimed: claimed.as_i64(),
            retry_of: retry_of.as_i64(),
        })
    }
}

/// The per-object queue handle. Holds only the current batch: dropping it loses nothing.
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

    /// On each wake: `armed` is what `getAlarm()` returned, `now_ms` the time. Re-arms when the
    /// queue and the alarm disagree (after a restart, a lost alarm, or `deleteAll()`), except
    /// for [`AlarmChange::Repair`].
    pub fn wake(&mut self, db: &dyn SqlBackend, armed: Option<i64>, now_ms: i64) -> Result<AlarmChange, Error> {
        self.in_flight.clear();
        self.alarm.wake(db, armed, now_ms)
    }

    /// What the native alarm must become now (after [`AlarmChange::Repair`]).
    pub fn settle(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        self.alarm.settle(db)
    }

    /// A run of due tasks starts; `armed` is what `getAlarm()` returned at its start. Alarm
    /// changes are held back until [`Scheduler::end_alarm`].
    pub fn begin_alarm(&mut self, db: &dyn SqlBackend, armed: Option<i64>) -> Result<(), Error> {
        self.in_flight.clear();
        self.alarm.begin_alarm(db, armed)
    }

    /// A new handle in the middle of a run: hold its alarm changes back too.
    pub fn resume_alarm(&mut self) {
        self.alarm.resume_alarm();
    }

    /// The run is ending: deliveries claimed and never started are released (their count is
    /// taken back), then the one alarm change of the whole run.
    pub fn end_alarm(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        self.alarm.end_alarm();
        let released = self.release_unstarted(db);
        self.in_flight.clear();
        released?;
        self.alarm.settle(db)
    }

    /// Releases every delivery of the batch that was claimed and never started.
    fn release_unstarted(&mut self, db: &dyn SqlBackend) -> Result<(), Error> {
        let unstarted: Vec<(String, u32)> = self
            .in_flight
            .iter()
            .filter(|(_, d)| !d.started)
            .map(|(id, d)| (id.clone(), d.attempt))
            .collect();
        for (id, attempt) in unstarted {
            self.release(db, &id, attempt)?;
        }
        Ok(())
    }

    /// The earliest due time in the queue, if any.
    pub fn next_due(&mut self, db: &dyn SqlBackend) -> Result<Option<i64>, Error> {
        let result = db.exec(NEXT_DUE, &[])?;
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
        let (task, written) = self.write_new(db, new)?;
        let alarm = match written {
            Written::Guarded => self.alarm.settle_inserted(db, task.due)?,
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
                let mut values = vec![
                    SqlValue::from(task.id.as_str()),
                    SqlValue::from(task.method.as_str()),
                    SqlValue::from(task.payload.as_deref()),
                    SqlValue::Integer(task.due),
                ];
                if let Some(armed) = self.alarm.guard() {
                    values.push(SqlValue::from(armed));
                    let guarded = INSERT_ONE_SHOT_GUARDED.get(kind).ok_or_else(|| storage_error("no statement"))?;
                    if db.exec(guarded, &values)?.rows_written > 0 {
                        return Ok((task, Written::Guarded));
                    }
                    // The record changed since it was seen: a transaction rolled back meanwhile.
                    self.alarm.forget();
                    values.truncate(4);
                }
                let statement = INSERT_ONE_SHOT.get(kind).ok_or_else(|| storage_error("no statement"))?;
                let written = returned_state(db.exec(statement, &values)?)?;
                return Ok((task, written));
            }
        }
        let values = task_values(&task, new.anchor);
        if !named {
            // A generated id is new by construction: a plain INSERT (a collision of 96 random
            // bits fails loudly instead of replacing a task).
            let written = returned_state(db.exec(INSERT, &values)?)?;
            return Ok((task, written));
        }
        self.touch(&task.id);
        let result = db.exec(UPSERT, &values)?;
        match result.rows.into_iter().next().as_deref() {
            Some([due, scheduled_at, attempts, last_error, armed, earliest]) => {
                task.due = due.as_i64().ok_or_else(|| storage_error("upsert returned no due time"))?;
                task.scheduled_at = scheduled_at.as_i64().unwrap_or(task.due);
                task.attempts = attempts.as_i64().and_then(|a| u32::try_from(a).ok()).unwrap_or(0);
                task.last_error = last_error.as_str().map(str::to_owned);
                Ok((task, Written::Returned(armed.clone(), earliest.clone())))
            }
            _ => Err(storage_error("upsert returned no row")),
        }
    }

    /// A write to the task `id`: a delivery of it in the current batch must be read again
    /// before it starts (whether or not the write's transaction commits).
    fn touch(&mut self, id: &str) {
        if let Some(delivery) = self.in_flight.get_mut(id) {
            delivery.stale = true;
        }
    }

    /// Removes a task; `value` tells whether it existed.
    pub fn cancel(&mut self, db: &dyn SqlBackend, id: &str) -> Result<Outcome<bool>, Error> {
        self.touch(id);
        let deleted = db.exec(CANCEL, &[SqlValue::from(id)])?;
        let alarm = self.alarm.settle(db)?;
        Ok(Outcome { value: !deleted.rows.is_empty(), alarm })
    }

    pub fn get(&self, db: &dyn SqlBackend, id: &str) -> Result<Option<Task>, Error> {
        let result =
            db.exec(GET, &[SqlValue::from(id)])?;
        result.first_row().map(|row| decode_task(row).map(|stored| stored.task)).transpose()
    }

    /// Tasks in due order (ties by id), filtered by method, from `after`, at most `limit`.
    pub fn list(&self, db: &dyn SqlBackend, query: &ListQuery) -> Result<Vec<Task>, Error> {
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
        let sql = list(query);
        let result = db.exec(&sql, &params)?;
        result.rows.iter().map(|row| decode_task(row).map(|stored| stored.task)).collect()
    }

    /// Dead letters, oldest failure first.
    pub fn failed(&self, db: &dyn SqlBackend, limit: Option<u32>) -> Result<Vec<DeadTask>, Error> {
        let result = db.exec(
            FAILED,
            &[SqlValue::Integer(limit.map_or(-1, i64::from))],
        )?;
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
        self.touch(id);
        let Some(task) = self.restore_dead(db, id, now_ms)? else { return Ok(None) };
        let alarm = self.alarm.settle(db)?;
        Ok(Some(Outcome { value: task, alarm }))
    }

    fn restore_dead(&mut self, db: &dyn SqlBackend, id: &str, now_ms: i64) -> Result<Option<Task>, Error> {
        let key = [SqlValue::from(id)];
        let result = db.exec(
            DEAD,
            &key,
        )?;
        let Some(row) = result.first_row() else { return Ok(None) };
        let dead = decode_task(row)?;
        let mut restored = None;
        if dead.task.kind.is_recurring() {
            // The live task keeps its occurrence in `scheduled_at`; the retried one rides on
            // the same row until it ends, then the row is due at that occurrence again.
            let live = db.exec(
                RETRY_OCCURRENCE,
                &[SqlValue::from(id), SqlValue::Integer(now_ms), SqlValue::Integer(dead.task.scheduled_at)],
            )?;
            restored = live.first_row().map(decode_task).transpose()?.map(|stored| stored.task);
        }
        let task = match restored {
            Some(task) => task,
            None => {
                let task = Task { due: now_ms, attempts: 0, last_error: None, ..dead.task };
                db.exec(
                    REPLACE,
                    &task_values(&task, dead.anchor),
                )?;
                task
            }
        };
        db.exec(FORGET_DEAD, &key)?;
        Ok(Some(task))
    }

    /// Claims up to `limit` tasks due at `now_ms`, in due order, and counts their deliveries.
    /// The facade must make the claim durable (`ctx.storage.sync()`) before it runs a handler.
    ///
    /// A task still marked claimed by an earlier delivery never ended (its invocation was
    /// aborted, exceeded a limit, or was evicted). Then only one task is claimed: the first
    /// such task, alone, so that if it ends the invocation again the next claim knows it is
    /// the culprit; the others of its batch keep their count and are claimed normally later. A
    /// task claimed alone whose deliveries reached its `retry.attempts` goes to dead letters.
    /// Several statements: run inside `transactionSync`.
    pub fn claim_due(&mut self, db: &dyn SqlBackend, now_ms: i64, limit: u32) -> Result<Claim, Error> {
        let result = db.exec(SELECT_DUE, &[SqlValue::Integer(now_ms), SqlValue::Integer(i64::from(limit))])?;
        let rows = result.rows.into_iter().map(DueRow::decode).collect::<Result<Vec<_>, _>>()?;
        let mut claim = Claim::default();
        if rows.iter().all(|row| row.claimed.is_none()) {
            if rows.is_empty() {
                return Ok(claim);
            }
            let mode = if rows.len() == 1 { ALONE } else { SHARED };
            db.exec(
                CLAIM_BATCH,
                &[SqlValue::Integer(now_ms), SqlValue::Integer(i64::from(limit)), SqlValue::Integer(mode)],
            )?;
            claim.tasks.reserve(rows.len());
            for row in rows {
                claim.tasks.push(self.deliver(row));
            }
            return Ok(claim);
        }
        for row in rows {
            let Some(claimed) = row.claimed else { continue };
            if claimed == ALONE && row.attempts >= row.max_attempts {
                let error = format!(
                    "delivered {} times without finishing: the invocation ended during the handler \
                     (ctx.abort(), an exceeded CPU or memory limit, eviction, crash or deploy)",
                    row.attempts
                );
                let full = db.exec(FULL_DELIVERY, &[SqlValue::from(row.id.as_str()), SqlValue::from(i64::from(row.attempts))])?;
                let (stored, retry_of) = decode_delivery(full.first_row())?.ok_or_else(|| storage_error("a claimed task vanished"))?;
                claim.dead.push(self.bury(db, &stored, retry_of, row.attempts, &error, now_ms)?);
                continue;
            }
            let key = [SqlValue::from(row.id.as_str()), SqlValue::from(i64::from(row.attempts))];
            db.exec(CLAIM_ALONE, &key)?;
            db.exec(CLEAR_SHARED, &key[..1])?;
            claim.tasks.push(self.deliver(row));
            break;
        }
        Ok(claim)
    }

    /// Records the claimed delivery of `row` (already counted in SQLite) and hands it out.
    fn deliver(&mut self, row: DueRow) -> ClaimedTask {
        let attempt = row.attempts.saturating_add(1);
        self.in_flight.insert(
            row.id.clone(),
            Delivery { attempt, needs_row: row.recurring || row.retry_of.is_some(), started: false, stale: false },
        );
        ClaimedTask {
            id: row.id,
            method: row.method,
            payload: row.payload,
            scheduled_at: row.retry_of.unwrap_or(row.scheduled_at),
            attempts: attempt,
        }
    }

    /// The handler of the claimed delivery `(id, attempt)` is about to run. Its count is
    /// already durable; this decides whether and with which definition it runs: skipped when
    /// cancelled or replaced since the claim (or not claimed by this handle: after a new
    /// handle, claim again), read again when written since the claim or when it recurs (its
    /// next occurrence is computed at `now_ms`).
    pub fn start(&mut self, db: &dyn SqlBackend, id: &str, attempt: u32, now_ms: i64) -> Result<Start, Error> {
        let Some(delivery) = self.in_flight.get_mut(id) else { return Ok(Start::Skip) };
        if delivery.attempt != attempt {
            return Ok(Start::Skip);
        }
        if delivery.started {
            return Ok(Start::Run);
        }
        if !delivery.stale && !delivery.needs_row {
            delivery.started = true;
            return Ok(Start::Run);
        }
        let full = db.exec(FULL_DELIVERY, &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))])?;
        let Some((stored, retry_of)) = decode_delivery(full.first_row())? else {
            self.in_flight.remove(id);
            return Ok(Start::Skip);
        };
        let task = &stored.task;
        let next = match retry_of {
            Some(_) => Some(task.scheduled_at),
            None => recurrence(&stored)?.and_then(|r| r.next_after(now_ms.max(task.scheduled_at))),
        };
        if let Some(delivery) = self.in_flight.get_mut(id) {
            delivery.started = true;
            delivery.needs_row = task.kind.is_recurring() || retry_of.is_some();
        }
        Ok(Start::Fresh(Box::new(Definition {
            method: task.method.clone(),
            payload: task.payload.clone(),
            scheduled_at: retry_of.unwrap_or(task.scheduled_at),
            next,
        })))
    }

    /// Whether the delivery `(id, attempt)` of the current batch is still claimed by this handle.
    pub fn is_current(&self, id: &str, attempt: u32) -> bool {
        self.in_flight.get(id).is_some_and(|claimed| claimed.attempt == attempt)
    }

    /// The handler of `(id, attempt)` succeeded: a one-shot is removed, a recurring task moves
    /// to its first occurrence after `now_ms` (missed ones coalesced), a retried occurrence
    /// gives the row back to the live occurrence. `value` is false when the delivery was no
    /// longer current (nothing changed).
    pub fn ack(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        now_ms: i64,
    ) -> Result<Outcome<bool>, Error> {
        let value = match self.take_delivery(db, id, attempt, false)? {
            None => false,
            Some(Taken::Full(delivery, retry_of)) => self.end_occurrence(db, &delivery, retry_of, now_ms)?,
            Some(Taken::OneShot) => {
                let key = [SqlValue::from(id), SqlValue::Integer(i64::from(attempt))];
                db.exec(ACK_ONE_SHOT, &key)?.rows_written > 0
            }
        };
        let alarm = self.alarm.settle(db)?;
        Ok(Outcome { value, alarm })
    }

    /// A delivery claimed but not run: it was never attempted, so its count is taken back and
    /// it stays due. False when it was not claimed (or no longer is).
    pub fn release(&mut self, db: &dyn SqlBackend, id: &str, attempt: u32) -> Result<bool, Error> {
        self.in_flight.remove(id);
        let result = db.exec(RELEASE, &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))])?;
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
        let (retry_at, dead) = self.fail_delivery(db, id, attempt, error, now_ms, random)?;
        let alarm = self.alarm.settle(db)?;
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
        let Some(Taken::Full(delivery, retry_of)) = self.take_delivery(db, id, attempt, true)? else {
            return Ok((None, None));
        };
        if attempt >= delivery.task.retry.attempts {
            return Ok((None, Some(self.bury(db, &delivery, retry_of, attempt, error, now_ms)?)));
        }
        let delay = backoff_delay_ms(attempt, &delivery.task.retry, random);
        let retry_at = now_ms.saturating_add(delay);
        db.exec(
            RETRY_LATER,
            &[
                SqlValue::from(id),
                SqlValue::Integer(i64::from(attempt)),
                SqlValue::Integer(retry_at),
                SqlValue::from(error),
            ],
        )?;
        Ok((Some(retry_at), None))
    }

    /// The claimed delivery `(id, attempt)`: a one-shot of this batch is ended from memory
    /// (unless `full`), anything else, or a delivery unknown to this handle (rebuilt mid-batch),
    /// is read again from SQLite; `None` when the task is gone or was replaced since.
    fn take_delivery(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        full: bool,
    ) -> Result<Option<Taken>, Error> {
        if let Some(claimed) = self.in_flight.remove(id) {
            if claimed.attempt == attempt && !full && !claimed.needs_row {
                return Ok(Some(Taken::OneShot));
            }
        }
        let result = db.exec(FULL_DELIVERY, &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))])?;
        Ok(decode_delivery(result.first_row())?.map(|(stored, retry_of)| Taken::Full(Box::new(stored), retry_of)))
    }

    /// Writes the dead letter of `delivery` (after `deliveries` attempts; of the occurrence
    /// `retry_of` when it was a retry), then ends its occurrence.
    fn bury(
        &mut self,
        db: &dyn SqlBackend,
        delivery: &StoredTask,
        retry_of: Option<i64>,
        deliveries: u32,
        error: &str,
        now_ms: i64,
    ) -> Result<DeadTask, Error> {
        let scheduled_at = retry_of.unwrap_or(delivery.task.scheduled_at);
        let dead = Task { attempts: deliveries, scheduled_at, ..delivery.task.clone() };
        let mut values = task_values(&dead, delivery.anchor);
        values.push(SqlValue::from(error));
        values.push(SqlValue::Integer(now_ms));
        db.exec(
            BURY,
            &values,
        )?;
        self.end_occurrence(db, delivery, retry_of, now_ms)?;
        Ok(DeadTask { task: dead, error: error.to_owned(), failed_at: now_ms })
    }

    /// Ends the current occurrence of `delivery`: a retried occurrence gives the row back to the
    /// live one, a recurring task moves to its next occurrence, a one-shot is removed. Returns
    /// whether the delivery was still current.
    fn end_occurrence(
        &mut self,
        db: &dyn SqlBackend,
        delivery: &StoredTask,
        retry_of: Option<i64>,
        now_ms: i64,
    ) -> Result<bool, Error> {
        let task = &delivery.task;
        let key = [SqlValue::from(task.id.as_str()), SqlValue::Integer(i64::from(task.attempts))];
        if retry_of.is_some() {
            let restored = db.exec(
                END_RETRY,
                &key,
            )?;
            return Ok(restored.rows_written > 0);
        }
        let after = now_ms.max(task.scheduled_at);
        let next = recurrence(delivery)?.and_then(|r| r.next_after(after));
        let result: QueryResult = match next {
            Some(next) => {
                let [id, attempts] = key;
                db.exec(
                    NEXT_OCCURRENCE,
                    &[id, attempts, SqlValue::Integer(next)],
                )?
            }
            None => db.exec(END_ONE_SHOT, &key)?,
        };
        Ok(result.rows_written > 0)
    }
}

/// What a write of a new task tells about the alarm.
enum Written {
    /// A guarded INSERT wrote: the state last seen still holds.
    Guarded,
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

/// A row of [`FULL_DELIVERY`], if there is one.
fn decode_delivery(row: Option<&[SqlValue]>) -> Result<Option<(StoredTask, Option<i64>)>, Error> {
    let Some(row) = row else { return Ok(None) };
    let stored = decode_task(row)?;
    let retry_of = row.get(16).and_then(SqlValue::as_i64);
    Ok(Some((stored, retry_of)))
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
