//! The one native alarm, seen from the queue: what it should be (the earliest due task) and what
//! the scheduler last armed, both read from SQLite, so that the facade calls `setAlarm` only
//! when that time changes.
//!
//! Memory is never trusted on its own (rule 7 of DESIGN.md). A schedule inside a transaction
//! that rolls back takes its row, its `setAlarm` and the record of that `setAlarm`
//! (`_dc_alarm`) back with it; a memory of them would outlive the rollback and leave a later
//! task without an alarm. So every decision rests on state read in the same statement as the
//! write, or on the last state seen *validated* by the write: the common one-shot INSERT only
//! inserts while the record still holds the armed time last seen (a rollback since would have
//! restored another one, see [`AlarmBook::guard`]); otherwise the write reads the state itself.

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

/// The state as this handle last saw it in SQLite, after its own decision.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Seen {
    earliest: Option<i64>,
    armed: Option<i64>,
}

#[derive(Debug, Default)]
pub(crate) struct AlarmBook {
    /// Between `begin_alarm` and `end_alarm` changes are held back and settled once.
    in_alarm: bool,
    /// Valid only as long as the record still holds `armed`: a transaction that changed the
    /// earliest due time and then rolled back also rolled back the record of the alarm it set.
    seen: Option<Seen>,
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
        self.seen = Some(Seen {
            earliest: state.wanted,
            armed,
        });
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
        self.seen = None;
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
            self.seen = None;
            return Ok(AlarmChange::Unchanged);
        }
        let state = read(db)?;
        self.settle_with(db, state)
    }

    /// The armed time last seen, when a one-shot INSERT may decide from it: the INSERT is then
    /// guarded by the guard of [`super::statements::INSERT_ONE_SHOT_GUARDED`] and, if it wrote, [`AlarmBook::settle_inserted`] decides.
    pub(crate) fn guard(&self) -> Option<Option<i64>> {
        if self.in_alarm {
            return None;
        }
        self.seen.map(|seen| seen.armed)
    }

    /// A guarded INSERT of a task due at `due` wrote: the state seen is still the state, plus it.
    pub(crate) fn settle_inserted(
        &mut self,
        db: &dyn SqlBackend,
        due: i64,
    ) -> Result<AlarmChange, Error> {
        let Some(seen) = self.seen else {
            return self.settle(db);
        };
        let earliest = seen.earliest.map_or(due, |e| e.min(due));
        self.settle_with(
            db,
            AlarmState {
                wanted: Some(earliest),
                armed: Some(seen.armed),
            },
        )
    }

    /// A guarded INSERT did not write: something rolled back since the state was seen.
    pub(crate) fn forget(&mut self) {
        self.seen = None;
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
            self.seen = None;
            return Ok(AlarmChange::Unchanged);
        }
        self.seen = Some(Seen {
            earliest: state.wanted,
            armed: state.wanted,
        });
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
