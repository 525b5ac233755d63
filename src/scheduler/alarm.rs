//! The one native alarm, seen from the queue: what it should be (the earliest due task) and what
//! the scheduler last armed, both read from SQLite, so that the facade calls `setAlarm` only
//! when that time changes.
//!
//! Memory is never trusted on its own (rule 7 of DESIGN.md). A schedule inside a transaction
//! that rolls back takes its row, its `setAlarm` and the record of that `setAlarm`
//! (`_dc_alarm`) back with it; a memory of them would outlive the rollback and leave a later
//! task without an alarm. So every decision rests on state read in the same statement as the
//! write. The common one-shot INSERT is *covered*: it writes only while the record holds an
//! alarm armed at or before its due time (`statements::INSERT_ONE_SHOT_COVERED`), and then
//! nothing changes, since that alarm's run re-arms for whatever is left. Otherwise the write
//! returns the state and the decision is made from that. Memory (the time this handle last
//! recorded or read, [`AlarmBook::may_cover`]) only chooses which of the two to try first: a
//! rollback since can make it wrong, never the decision.

use super::rows::storage_error;
use crate::backend::{SqlBackend, SqlValue};
use crate::error::Error;
use serde::Serialize;

use super::statements::{RECORD, STATE};

/// What the facade must do with the native alarm after a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "camelCase")]
pub enum AlarmChange {
    /// The armed alarm is already right: do not call `setAlarm`.
    Unchanged,
    /// Call `setAlarm(time)` (a time already past fires at once).
    Set { time: i64 },
    /// The queue is empty: call `deleteAlarm()`.
    Delete,
    /// On wake: a task is already due and no alarm is armed. Either the alarm is firing right
    /// now (`getAlarm()` is `null` meanwhile) or it was lost. If `alarm()` does not start in
    /// this invocation, call [`super::Scheduler::settle`] and apply what it returns; if it
    /// starts, its run re-arms. Nothing was recorded.
    Repair,
}

/// The queue's view of the alarm: the earliest due time and the armed time on record.
#[derive(Debug, Clone, Copy, PartialEq)]
struct AlarmState {
    wanted: Option<i64>,
    /// `None` when the record is missing (unknown: re-arm).
    armed: Option<Option<i64>>,
}

#[derive(Debug, Default)]
pub(crate) struct AlarmBook {
    /// Between `begin_alarm` and `end_alarm` changes are held back and settled once.
    in_alarm: bool,
    /// The armed time this handle last recorded or read, `None` when unknown or nothing is
    /// armed. A hint only: a transaction that rolled back since may have restored another.
    armed_hint: Option<i64>,
}

impl AlarmBook {
    /// The facade read `armed` with `getAlarm()` on wake. `now` tells a task already due from a
    /// later one (see [`AlarmChange::Repair`]).
    pub(crate) fn wake(
        &mut self,
        db: &dyn SqlBackend,
        armed: Option<i64>,
        now: i64,
    ) -> Result<AlarmChange, Error> {
        self.in_alarm = false;
        let state = read(db)?;
        if state.armed != Some(armed) {
            record(db, armed)?;
        }
        self.armed_hint = armed;
        match (armed, state.wanted) {
            (None, Some(due)) if due <= now => Ok(AlarmChange::Repair),
            _ => self.settle(db),
        }
    }

    /// A run of due tasks starts; `armed` is what `getAlarm()` returned at its start (`null`
    /// while the platform's alarm fires).
    pub(crate) fn begin_alarm(
        &mut self,
        db: &dyn SqlBackend,
        armed: Option<i64>,
    ) -> Result<(), Error> {
        let state = read(db)?;
        if state.armed != Some(armed) {
            record(db, armed)?;
        }
        // Acknowledgements move the earliest due time without a decision until the run ends.
        self.armed_hint = None;
        self.in_alarm = true;
        Ok(())
    }

    /// A new handle mid-run: hold changes back as the run's first handle did.
    pub(crate) fn resume_alarm(&mut self) {
        self.in_alarm = true;
    }

    pub(crate) fn end_alarm(&mut self) {
        self.in_alarm = false;
    }

    /// What the native alarm must become, recorded in the same transaction as the caller's
    /// write (the facade applies it right after).
    pub(crate) fn settle(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        if self.in_alarm {
            self.armed_hint = None;
            return Ok(AlarmChange::Unchanged);
        }
        let state = read(db)?;
        self.settle_with(db, state)
    }

    /// Whether a covered INSERT of a task due at `due` is worth trying: the alarm this handle
    /// last saw armed covers it. If the INSERT wrote, the alarm is [`AlarmChange::Unchanged`]
    /// (the INSERT's own condition, not this hint, makes that true).
    pub(crate) fn may_cover(&self, due: i64) -> bool {
        !self.in_alarm && self.armed_hint.is_some_and(|armed| armed <= due)
    }

    /// A covered INSERT did not write: the hint is wrong (a transaction rolled back since).
    pub(crate) fn forget(&mut self) {
        self.armed_hint = None;
    }

    /// [`AlarmBook::settle`] with the state columns (`statements::state_columns!`) a write returned.
    pub(crate) fn settle_returned(
        &mut self,
        db: &dyn SqlBackend,
        armed: &SqlValue,
        due: &SqlValue,
    ) -> Result<AlarmChange, Error> {
        let state = decode_state(armed, due)?;
        self.settle_with(db, state)
    }

    fn settle_with(
        &mut self,
        db: &dyn SqlBackend,
        state: AlarmState,
    ) -> Result<AlarmChange, Error> {
        if self.in_alarm {
            self.armed_hint = None;
            return Ok(AlarmChange::Unchanged);
        }
        self.armed_hint = state.wanted;
        if state.armed == Some(state.wanted) {
            return Ok(AlarmChange::Unchanged);
        }
        record(db, state.wanted)?;
        Ok(match state.wanted {
            Some(time) => AlarmChange::Set { time },
            None => AlarmChange::Delete,
        })
    }
}

fn read(db: &dyn SqlBackend) -> Result<AlarmState, Error> {
    let result = db.exec_constant(STATE, &[])?;
    match result.first_row() {
        Some([armed, wanted]) => decode_state(armed, wanted),
        _ => Err(storage_error("unexpected columns reading the alarm state")),
    }
}

fn decode_state(armed: &SqlValue, wanted: &SqlValue) -> Result<AlarmState, Error> {
    let armed = match armed {
        SqlValue::Null => None,
        SqlValue::Text(text) if text == "none" => Some(None),
        other => {
            Some(Some(other.as_i64().ok_or_else(|| {
                storage_error("_dc_alarm.armed is not an integer")
            })?))
        }
    };
    Ok(AlarmState {
        wanted: optional_time(wanted, "_dc_tasks.due")?,
        armed,
    })
}

fn optional_time(value: &SqlValue, name: &str) -> Result<Option<i64>, Error> {
    match value {
        SqlValue::Null => Ok(None),
        other => other
            .as_i64()
            .map(Some)
            .ok_or_else(|| storage_error(&format!("{name} is not an integer"))),
    }
}

fn record(db: &dyn SqlBackend, armed: Option<i64>) -> Result<(), Error> {
    db.exec_constant(RECORD, &[SqlValue::from(armed)])?;
    Ok(())
}
