//! Deliveries: claim, start, ack, fail and release of the due tasks of an alarm run.
//!
//! A delivery is named by `(id, attempt)` and its row carries `claimed` until its end is
//! recorded, so an `ack` or `fail` that arrives after its task was cancelled or replaced (even
//! by the handler itself, rescheduling its own id) changes nothing. `claim_due` and `fail` may
//! write several statements: the facade runs them inside `transactionSync`. This file never
//! writes a new task (see `queue.rs`) and never touches the native alarm (the facade does).

use super::alarm::AlarmChange;
use super::backoff::backoff_delay_ms;
use super::cron::CronSchedule;
use super::queue::{Outcome, Scheduler};
use super::recurrence::Recurrence;
use super::rows::{decode_task, storage_error, task_values, StoredTask};
use super::statements::*;
use super::task::{DeadTask, Task, TaskKind};
use crate::backend::{QueryResult, SqlBackend, SqlValue};
use crate::error::Error;
use crate::literal::push_string_literal;
use serde::Serialize;
use std::fmt::Write as _;

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
    /// A one-shot (not a retried occurrence): with marks, the facade may start and end it
    /// itself (see [`BatchMarks`]).
    pub plain: bool,
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

/// The marks of a claim's batch, one byte per delivery in claim order, shared with the facade
/// (a JS `Uint8Array`), so that the facade starts and ends the plain deliveries of a batch (a
/// one-shot claimed with the others, [`ClaimedTask::plain`]) without a call per delivery:
///
/// - [`mark::FREE`]: not started. The facade may start it by setting [`mark::STARTED`] when the
///   task is plain; any other delivery goes through [`Scheduler::start`].
/// - [`mark::STALE`]: written by the core when the task was written since its claim (replaced,
///   cancelled, retried): the facade must call [`Scheduler::start`], which reads it again.
/// - [`mark::STARTED`]: set by the facade right before the handler runs.
/// - [`mark::DONE`]: set by the facade when the handler succeeded: its acknowledgement is due.
/// - [`mark::SKIPPED`]: set by the facade when [`Scheduler::start`] said not to run it.
///
/// The facade goes through the batch in claim order and marks every delivery it passes
/// (started, done or skipped), so the marks before the delivery it runs never change again and
/// those after it are still FREE or STALE. The core reads the marks ([`Scheduler::settle_marks`])
/// before any other call touches the queue, so every call sees the queue as if each
/// acknowledgement had been made at once; each read starts where the last one left the facade
/// (it costs what changed since, not the batch's size), and the due acknowledgements are one
/// DELETE for all of them.
pub trait BatchMarks {
    /// Copies the marks from the delivery at `start` on into `into`, as many as fit; returns how
    /// many were copied (fewer at the end of the marks).
    fn read(&self, start: u32, into: &mut [u8]) -> usize;
    /// Sets the mark of the delivery at `index`.
    fn write(&self, index: u32, mark: u8);
}

/// The values of [`BatchMarks`].
pub mod mark {
    pub const FREE: u8 = 0;
    pub const STALE: u8 = 1;
    pub const STARTED: u8 = 2;
    pub const DONE: u8 = 3;
    pub const SKIPPED: u8 = 4;
}

/// Marks read through [`BatchMarks::read`] at a time: a read before the batch's end usually
/// needs two (the running delivery's and the next one's).
const MARKS_CHUNK: usize = 16;

/// The batch of the last claim, as far as its deliveries are started and ended through marks.
#[derive(Default)]
pub(super) struct Batch {
    /// The key `(id, attempt)` of each delivery of the claim, in claim order.
    keys: Vec<(String, u32)>,
    marks: Option<Box<dyn BatchMarks>>,
    /// The first mark the next read starts at: the marks before it are read and never change
    /// again (see [`BatchMarks`]).
    cursor: usize,
    /// The deliveries acknowledged through their marks so far, in claim order. One written
    /// before the batch's end may have been written inside a transaction of a handler that then
    /// rolled back, so the end writes them all again.
    acked: Vec<u32>,
    /// The deliveries acknowledged by another call (a handler's own queue call) since the
    /// facade last waited: written maybe inside a transaction that rolled back since, they are
    /// written again before the facade waits (see [`Scheduler::settle_marks_before_wait`]).
    unsure: Vec<u32>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("keys", &self.keys.len())
            .field("marked", &self.marks.is_some())
            .finish()
    }
}

impl Batch {
    /// A delivery of the batch was written since its claim and has not started: its mark tells
    /// the facade to start it through the core.
    pub(super) fn mark_stale(&self, index: u32) {
        if let Some(marks) = &self.marks {
            if (index as usize) < self.keys.len() {
                marks.write(index, mark::STALE);
            }
        }
    }

    /// The batch is forgotten (a new handle state, a wake): its deliveries may no longer start
    /// from their marks.
    pub(super) fn forget(&mut self) {
        if let Some(marks) = &self.marks {
            for index in 0..self.keys.len() {
                marks.write(u32::try_from(index).unwrap_or(u32::MAX), mark::STALE);
            }
        }
        *self = Batch::default();
    }
}

/// A delivery of the current batch, counted in SQLite by its claim.
#[derive(Debug)]
pub(super) struct Delivery {
    pub(super) attempt: u32,
    /// A recurring task, or the retry of a recurring task's occurrence: its end needs the row.
    pub(super) needs_row: bool,
    pub(super) started: bool,
    /// Written since the claim (replaced, cancelled, retried): read it again before it starts.
    pub(super) stale: bool,
    /// Its place in the batch of its claim (the index of its mark, see [`BatchMarks`]).
    pub(super) index: u32,
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
        let Ok::<[SqlValue; 9], _>(
            [id, method, payload, kind, scheduled_at, attempts, max_attempts, claimed, retry_of],
        ) = row.try_into()
        else {
            return Err(storage_error("a claimed row has unexpected columns"));
        };
        let kind = kind
            .as_str()
            .and_then(TaskKind::parse)
            .ok_or_else(|| storage_error("unknown task kind"))?;
        Ok(DueRow {
            id: into_text(id, "id")?,
            method: into_text(method, "method")?,
            payload: match payload {
                SqlValue::Null => None,
                other => Some(into_text(other, "payload")?),
            },
            recurring: kind.is_recurring(),
            scheduled_at: scheduled_at
                .as_i64()
                .ok_or_else(|| storage_error("column scheduled_at is not an integer"))?,
            attempts: count(&attempts, "attempts")?,
            max_attempts: count(&max_attempts, "max_attempts")?,
            claimed: claimed.as_i64(),
            retry_of: retry_of.as_i64(),
        })
    }
}

impl Scheduler {
    /// Claims up to `limit` tasks due at `now_ms`, in due order, and counts their deliveries.
    /// The facade must make the claim durable (`ctx.storage.sync()`) before it runs a handler.
    ///
    /// A task still marked claimed by an earlier delivery never ended (its invocation was
    /// aborted, exceeded a limit, or was evicted). Then only one task is claimed: the first
    /// such task, alone, so that if it ends the invocation again the next claim knows it is
    /// the culprit; the others of its batch keep their count and are claimed normally later. A
    /// task claimed alone whose deliveries reached its `retry.attempts` goes to dead letters.
    /// Several statements: run inside `transactionSync`.
    pub fn claim_due(
        &mut self,
        db: &dyn SqlBackend,
        now_ms: i64,
        limit: u32,
    ) -> Result<Claim, Error> {
        self.end_batch(db)?;
        let result = db.exec_constant(
            SELECT_DUE,
            &[
                SqlValue::Integer(now_ms),
                SqlValue::Integer(i64::from(limit)),
            ],
        )?;
        let rows = result
            .rows
            .into_iter()
            .map(DueRow::decode)
            .collect::<Result<Vec<_>, _>>()?;
        let mut claim = Claim::default();
        if rows.iter().all(|row| row.claimed.is_none()) {
            if rows.is_empty() {
                return Ok(claim);
            }
            let mode = if rows.len() == 1 { ALONE } else { SHARED };
            db.exec_constant(
                CLAIM_BATCH,
                &[
                    SqlValue::Integer(now_ms),
                    SqlValue::Integer(i64::from(limit)),
                    SqlValue::Integer(mode),
                ],
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
                let full = db.exec_constant(
                    FULL_DELIVERY,
                    &[
                        SqlValue::from(row.id.as_str()),
                        SqlValue::from(i64::from(row.attempts)),
                    ],
                )?;
                let (stored, retry_of) = decode_delivery(full.first_row())?
                    .ok_or_else(|| storage_error("a claimed task vanished"))?;
                claim
                    .dead
                    .push(self.bury(db, &stored, retry_of, row.attempts, &error, now_ms)?);
                continue;
            }
            let key = [
                SqlValue::from(row.id.as_str()),
                SqlValue::from(i64::from(row.attempts)),
            ];
            db.exec_constant(CLAIM_ALONE, &key)?;
            db.exec_constant(CLEAR_SHARED, &key[..1])?;
            claim.tasks.push(self.deliver(row));
            break;
        }
        Ok(claim)
    }

    /// Records the claimed delivery of `row` (already counted in SQLite) and hands it out.
    fn deliver(&mut self, row: DueRow) -> ClaimedTask {
        let attempt = row.attempts.saturating_add(1);
        let needs_row = row.recurring || row.retry_of.is_some();
        let index = u32::try_from(self.batch.keys.len()).unwrap_or(u32::MAX);
        self.batch.keys.push((row.id.clone(), attempt));
        self.in_flight.insert(
            row.id.clone(),
            Delivery {
                attempt,
                needs_row,
                started: false,
                stale: false,
                index,
            },
        );
        ClaimedTask {
            id: row.id,
            method: row.method,
            payload: row.payload,
            scheduled_at: row.retry_of.unwrap_or(row.scheduled_at),
            attempts: attempt,
            plain: !needs_row,
        }
    }

    /// The facade starts and ends the plain deliveries of the last claim through `marks` (all
    /// [`mark::FREE`] now, one per delivery of the claim).
    pub fn set_marks(&mut self, marks: Box<dyn BatchMarks>) {
        self.batch.cursor = 0;
        self.batch.acked.clear();
        self.batch.unsure.clear();
        self.batch.marks = Some(marks);
    }

    /// Reads the marks of the batch: a delivery the facade started counts as started, and the
    /// deliveries whose handler succeeded are acknowledged, all in one DELETE. Call before
    /// anything else touches the queue (every call of the wasm layer does). Nothing to do
    /// without marks.
    pub fn settle_marks(&mut self, db: &dyn SqlBackend) -> Result<(), Error> {
        self.settle_batch(db, false, false)
    }

    /// [`Scheduler::settle_marks`] right before the facade waits (a handler returned a
    /// promise): an acknowledgement made early, maybe inside a handler's transaction that
    /// rolled back since, is made again, so that it becomes durable with whatever is awaited,
    /// as it was when each acknowledgement was made right after its handler.
    pub fn settle_marks_before_wait(&mut self, db: &dyn SqlBackend) -> Result<(), Error> {
        self.settle_batch(db, false, true)
    }

    /// The batch ends: its due acknowledgements are made (those made earlier again, see
    /// `Batch`) and its marks forgotten. Deliveries that never started stay claimed until
    /// [`Scheduler::end_alarm`] releases them. The batch is forgotten even on error.
    pub fn end_batch(&mut self, db: &dyn SqlBackend) -> Result<(), Error> {
        let settled = self.settle_batch(db, true, true);
        self.batch = Batch::default();
        settled
    }

    /// `again`: the acknowledgements another call made since the last wait are made again (see
    /// `Batch`). At the `end`, every acknowledgement of the batch is made (again).
    fn settle_batch(&mut self, db: &dyn SqlBackend, end: bool, again: bool) -> Result<(), Error> {
        let fresh = self.read_marks(end);
        let batch = &mut self.batch;
        let included = if end {
            std::mem::take(&mut batch.acked)
        } else if again {
            let mut included = std::mem::take(&mut batch.unsure);
            included.extend_from_slice(&fresh);
            included
        } else {
            // Made by another call: maybe inside a handler's transaction.
            batch.unsure.extend_from_slice(&fresh);
            fresh
        };
        if included.is_empty() {
            return Ok(());
        }
        let mut keys = String::from("{");
        let included_keys = || {
            included
                .iter()
                .filter_map(|&index| batch.keys.get(index as usize))
        };
        for (n, (id, attempt)) in included_keys().enumerate() {
            if n > 0 {
                keys.push(',');
            }
            push_string_literal(id, &mut keys);
            let _ = write!(keys, ":{attempt}");
        }
        keys.push('}');
        if db.exec_constant(ACK_BATCH, &[SqlValue::from(keys)]).is_ok() {
            return Ok(());
        }
        // One acknowledgement refused (a trigger, a constraint) must not take the others with
        // it: each is made on its own, and the first error is returned.
        let mut first_error = None;
        for (id, attempt) in included_keys() {
            let key = [
                SqlValue::from(id.as_str()),
                SqlValue::Integer(i64::from(*attempt)),
            ];
            if let Err(error) = db.exec_constant(ACK_ONE_SHOT, &key) {
                first_error.get_or_insert(error);
            }
        }
        // Before the end, the call that settles is another task's (a handler's own queue call,
        // a start): a refused acknowledgement must not fail it. The end makes every
        // acknowledgement of the batch again and reports the refusal there.
        if !end {
            return Ok(());
        }
        first_error.map_or(Ok(()), |error| Err(error.into()))
    }

    /// Reads the marks written since the last read: a delivery the facade started counts as
    /// started, and one marked done is acknowledged here (out of the batch's deliveries, into
    /// `Batch::acked`) and returned, in claim order. Before the `end` the read stops at the first
    /// delivery the facade has not reached (FREE or STALE, see [`BatchMarks`]), and the next one
    /// starts again at the last one reached while it is STARTED (it may still be marked done);
    /// at the end every mark left is read.
    fn read_marks(&mut self, end: bool) -> Vec<u32> {
        let mut fresh = Vec::new();
        let batch = &mut self.batch;
        let Some(marks) = &batch.marks else {
            return fresh;
        };
        let in_flight = &mut self.in_flight;
        let mut chunk = [mark::FREE; MARKS_CHUNK];
        let mut index = batch.cursor;
        let mut last = mark::FREE;
        let len = batch.keys.len();
        'read: while index < len {
            let Some(wanted) = chunk.get_mut(..MARKS_CHUNK.min(len - index)) else {
                break;
            };
            let read = marks.read(u32::try_from(index).unwrap_or(u32::MAX), wanted);
            if read == 0 {
                break;
            }
            for &mark in wanted.iter().take(read) {
                let Some((id, attempt)) = batch.keys.get(index) else {
                    break 'read;
                };
                let this_delivery =
                    |d: &Delivery| d.attempt == *attempt && d.index as usize == index;
                match mark {
                    mark::STARTED => {
                        if let Some(delivery) = in_flight.get_mut(id).filter(|d| this_delivery(d)) {
                            delivery.started = true;
                        }
                    }
                    mark::DONE => {
                        if in_flight.get(id).is_some_and(this_delivery) {
                            in_flight.remove(id);
                        }
                        let index = u32::try_from(index).unwrap_or(u32::MAX);
                        batch.acked.push(index);
                        fresh.push(index);
                    }
                    mark::SKIPPED => {}
                    _ if end => {}
                    _ => break 'read,
                }
                last = mark;
                index += 1;
            }
        }
        batch.cursor = if last == mark::STARTED && index > batch.cursor {
            index - 1
        } else {
            index
        };
        fresh
    }

    /// The handler of the claimed delivery `(id, attempt)` is about to run. Its count is
    /// already durable; this decides whether and with which definition it runs: skipped when
    /// cancelled or replaced since the claim (or not claimed by this handle: after a new
    /// handle, claim again), read again when written since the claim or when it recurs (its
    /// next occurrence is computed at `now_ms`).
    pub fn start(
        &mut self,
        db: &dyn SqlBackend,
        id: &str,
        attempt: u32,
        now_ms: i64,
    ) -> Result<Start, Error> {
        self.settle_marks(db)?;
        let Some(delivery) = self.in_flight.get_mut(id) else {
            return Ok(Start::Skip);
        };
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
        let full = db.exec_constant(
            FULL_DELIVERY,
            &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))],
        )?;
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
        self.in_flight
            .get(id)
            .is_some_and(|claimed| claimed.attempt == attempt)
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
        self.settle_marks(db)?;
        let value = match self.take_delivery(db, id, attempt, false)? {
            None => false,
            Some(Taken::Full(delivery, retry_of)) => {
                self.end_occurrence(db, &delivery, retry_of, now_ms)?
            }
            Some(Taken::OneShot) => {
                let key = [SqlValue::from(id), SqlValue::Integer(i64::from(attempt))];
                db.exec_constant(ACK_ONE_SHOT, &key)?.rows_written > 0
            }
        };
        let alarm = self.alarm.settle(db)?;
        Ok(Outcome { value, alarm })
    }

    /// A delivery claimed but not run: it was never attempted, so its count is taken back and
    /// it stays due. False when it was not claimed (or no longer is).
    pub fn release(&mut self, db: &dyn SqlBackend, id: &str, attempt: u32) -> Result<bool, Error> {
        self.in_flight.remove(id);
        let result = db.exec_constant(
            RELEASE,
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
        self.settle_marks(db)?;
        let Some(Taken::Full(delivery, retry_of)) = self.take_delivery(db, id, attempt, true)?
        else {
            return Ok(Failure {
                retry_at: None,
                dead: None,
                alarm: self.alarm.settle(db)?,
            });
        };
        let (retry_at, dead) = if attempt >= delivery.task.retry.attempts {
            (
                None,
                Some(self.bury(db, &delivery, retry_of, attempt, error, now_ms)?),
            )
        } else {
            let retry_at =
                now_ms.saturating_add(backoff_delay_ms(attempt, &delivery.task.retry, random));
            let values = [
                SqlValue::from(id),
                SqlValue::Integer(i64::from(attempt)),
                SqlValue::Integer(retry_at),
                SqlValue::from(error),
            ];
            db.exec_constant(RETRY_LATER, &values)?;
            (Some(retry_at), None)
        };
        let alarm = self.alarm.settle(db)?;
        Ok(Failure {
            retry_at,
            dead,
            alarm,
        })
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
        let result = db.exec_constant(
            FULL_DELIVERY,
            &[SqlValue::from(id), SqlValue::Integer(i64::from(attempt))],
        )?;
        Ok(decode_delivery(result.first_row())?
            .map(|(stored, retry_of)| Taken::Full(Box::new(stored), retry_of)))
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
        let dead = Task {
            attempts: deliveries,
            scheduled_at,
            ..delivery.task.clone()
        };
        let mut values = task_values(&dead, delivery.anchor);
        values.push(SqlValue::from(error));
        values.push(SqlValue::Integer(now_ms));
        db.exec_constant(BURY, &values)?;
        self.end_occurrence(db, delivery, retry_of, now_ms)?;
        Ok(DeadTask {
            task: dead,
            error: error.to_owned(),
            failed_at: now_ms,
        })
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
        let key = [
            SqlValue::from(task.id.as_str()),
            SqlValue::Integer(i64::from(task.attempts)),
        ];
        if retry_of.is_some() {
            let restored = db.exec_constant(END_RETRY, &key)?;
            return Ok(restored.rows_written > 0);
        }
        let after = now_ms.max(task.scheduled_at);
        let next = recurrence(delivery)?.and_then(|r| r.next_after(after));
        let result: QueryResult = match next {
            Some(next) => {
                let [id, attempts] = key;
                db.exec_constant(NEXT_OCCURRENCE, &[id, attempts, SqlValue::Integer(next)])?
            }
            None => db.exec_constant(END_ONE_SHOT, &key)?,
        };
        Ok(result.rows_written > 0)
    }
}

/// A row of [`FULL_DELIVERY`], if there is one.
fn decode_delivery(row: Option<&[SqlValue]>) -> Result<Option<(StoredTask, Option<i64>)>, Error> {
    let Some(row) = row else { return Ok(None) };
    let stored = decode_task(row)?;
    let retry_of = row.get(16).and_then(SqlValue::as_i64);
    Ok(Some((stored, retry_of)))
}

/// How `delivery` repeats; `None` for a one-shot.
fn recurrence(delivery: &StoredTask) -> Result<Option<Recurrence>, Error> {
    let task = &delivery.task;
    if !task.kind.is_recurring() {
        return Ok(None);
    }
    if let (Some(interval_ms), Some(anchor)) = (task.every_ms, delivery.anchor) {
        return Ok(Some(Recurrence::Every {
            anchor,
            interval_ms,
        }));
    }
    let expression = task
        .cron
        .as_deref()
        .ok_or_else(|| storage_error("a recurring task has neither interval nor cron"))?;
    let schedule =
        CronSchedule::parse(expression, task.timezone.as_deref()).map_err(Error::from)?;
    Ok(Some(Recurrence::Cron(Box::new(schedule))))
}

fn into_text(value: SqlValue, name: &str) -> Result<String, Error> {
    match value {
        SqlValue::Text(text) => Ok(text),
        _ => Err(storage_error(&format!("column {name} is not text"))),
    }
}

fn count(value: &SqlValue, name: &str) -> Result<u32, Error> {
    let value = value
        .as_i64()
        .ok_or_else(|| storage_error(&format!("column {name} is not an integer")))?;
    Ok(u32::try_from(value.max(0)).unwrap_or(u32::MAX))
}
