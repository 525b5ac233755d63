//! The one native alarm, seen from the queue: a cache of the earliest due task and of the
//! alarm time currently armed, so that the facade calls `setAlarm` only when that time changes.
//!
//! Both halves are caches (rule 1 of DESIGN.md): the earliest due task is re-read from the
//! due-time index whenever a change may have raised it, and the armed time is whatever the
//! facade last read with `getAlarm()` or was told to set. When either is unknown the answer
//! errs towards re-arming, never towards leaving a task without an alarm.

use super::rows::storage_error;
use crate::backend::SqlBackend;
use crate::error::Error;
use serde::Serialize;

const EARLIEST: &str = "SELECT due, id FROM _dc_tasks ORDER BY due LIMIT 1";

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
}

#[derive(Debug, Clone, PartialEq)]
struct Head {
    due: i64,
    id: String,
}

#[derive(Debug, Default)]
pub(crate) struct AlarmBook {
    /// `None` until read; `Some(None)` when the queue is empty.
    earliest: Option<Option<Head>>,
    /// `None` until the facade reports it; `Some(None)` when no alarm is armed.
    armed: Option<Option<i64>>,
    /// Between `begin_alarm` and `end_alarm` changes are held back and settled once.
    in_alarm: bool,
}

impl AlarmBook {
    /// The facade read `armed` with `getAlarm()` on wake; whatever the queue holds is re-read.
    pub(crate) fn wake(&mut self, armed: Option<i64>) {
        self.armed = Some(armed);
        self.earliest = None;
        self.in_alarm = false;
    }

    /// The platform's alarm fired: it is no longer armed (`getAlarm()` is `null` meanwhile).
    pub(crate) fn begin_alarm(&mut self) {
        self.armed = Some(None);
        self.in_alarm = true;
    }

    pub(crate) fn end_alarm(&mut self) {
        self.in_alarm = false;
    }

    /// The task `id` is now due at `due` (new, replaced, retried or moved to its next run).
    pub(crate) fn note_due(&mut self, id: &str, due: i64) {
        let Some(cached) = &self.earliest else { return };
        self.earliest = match cached {
            None => Some(Some(Head { due, id: id.to_owned() })),
            Some(head) if due < head.due || (head.id == id && due == head.due) => {
                Some(Some(Head { due, id: id.to_owned() }))
            }
            // The head itself moved later: another task may now be first.
            Some(head) if head.id == id => None,
            Some(_) => return,
        };
    }

    /// The task `id` left the queue.
    pub(crate) fn note_removed(&mut self, id: &str) {
        if let Some(Some(head)) = &self.earliest {
            if head.id == id {
                self.earliest = None;
            }
        }
    }

    /// After a failed call the caller's transaction rolls back: trust nothing cached.
    pub(crate) fn forget(&mut self) {
        self.earliest = None;
    }

    /// A claim at `now` found nothing due: a cached head due by then is not in SQLite (it was
    /// written by a transaction that rolled back), so forget it.
    pub(crate) fn nothing_due_at(&mut self, now: i64) {
        if let Some(Some(head)) = &self.earliest {
            if head.due <= now {
                self.earliest = None;
            }
        }
    }

    /// What the native alarm must become, and records that the facade will make it so.
    pub(crate) fn settle(&mut self, db: &dyn SqlBackend) -> Result<AlarmChange, Error> {
        if self.in_alarm {
            return Ok(AlarmChange::Unchanged);
        }
        let wanted = self.earliest_due(db)?;
        if self.armed == Some(wanted) {
            return Ok(AlarmChange::Unchanged);
        }
        self.armed = Some(wanted);
        Ok(match wanted {
            Some(time) => AlarmChange::Set { time },
            None => AlarmChange::Delete,
        })
    }

    fn earliest_due(&mut self, db: &dyn SqlBackend) -> Result<Option<i64>, Error> {
        if let Some(cached) = &self.earliest {
            return Ok(cached.as_ref().map(|head| head.due));
        }
        let result = db.exec(EARLIEST, &[])?;
        let head = match result.first_row() {
            None => None,
            Some([due, id]) => Some(Head {
                due: due.as_i64().ok_or_else(|| storage_error("_dc_tasks.due is not an integer"))?,
                id: id
                    .as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| storage_error("_dc_tasks.id is not text"))?,
            }),
            Some(_) => return Err(storage_error("unexpected columns reading the earliest task")),
        };
        let due = head.as_ref().map(|h| h.due);
        self.earliest = Some(head);
        Ok(due)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(head: Option<(i64, &str)>) -> AlarmBook {
        AlarmBook {
            earliest: Some(head.map(|(due, id)| Head { due, id: id.into() })),
            armed: Some(head.map(|(due, _)| due)),
            in_alarm: false,
        }
    }

    #[test]
    fn an_earlier_task_becomes_the_head_a_later_one_does_not() {
        let mut book = known(Some((100, "a")));
        book.note_due("b", 200);
        assert_eq!(book.earliest, Some(Some(Head { due: 100, id: "a".into() })));
        book.note_due("c", 50);
        assert_eq!(book.earliest, Some(Some(Head { due: 50, id: "c".into() })));
    }

    #[test]
    fn moving_or_removing_the_head_forgets_it() {
        let mut book = known(Some((100, "a")));
        book.note_due("a", 150);
        assert_eq!(book.earliest, None);
        let mut book = known(Some((100, "a")));
        book.note_removed("b");
        assert!(book.earliest.is_some());
        book.note_removed("a");
        assert_eq!(book.earliest, None);
    }
}
