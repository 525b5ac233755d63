//! When a recurring task runs next. Missed occurrences are coalesced: the next occurrence is
//! always the first one strictly after "now", however many passed while the object slept.

use super::cron::CronSchedule;

/// The first `anchor + k * interval_ms` (k >= 0) strictly after `after_ms`: a fixed rate
/// anchored to the first due time, so runs never drift by the handlers' duration.
/// `None` only when the result would overflow.
pub fn next_every(anchor: i64, interval_ms: i64, after_ms: i64) -> Option<i64> {
    if after_ms < anchor {
        return Some(anchor);
    }
    let elapsed_intervals = after_ms.checked_sub(anchor)?.checked_div(interval_ms)?;
    let k = elapsed_intervals.checked_add(1)?;
    anchor.checked_add(k.checked_mul(interval_ms)?)
}

/// How a recurring task repeats.
#[derive(Debug, Clone)]
pub(crate) enum Recurrence {
    Every { anchor: i64, interval_ms: i64 },
    // Boxed: a parsed cron pattern is large, and `Every` is the common case.
    Cron(Box<CronSchedule>),
}

impl Recurrence {
    pub(crate) fn next_after(&self, after_ms: i64) -> Option<i64> {
        match self {
            Recurrence::Every {
                anchor,
                interval_ms,
            } => next_every(*anchor, *interval_ms, after_ms),
            Recurrence::Cron(schedule) => schedule.next_after(after_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_is_anchored_and_coalesces_missed_runs() {
        assert_eq!(next_every(1_000, 100, 0), Some(1_000));
        assert_eq!(next_every(1_000, 100, 1_000), Some(1_100));
        assert_eq!(next_every(1_000, 100, 1_099), Some(1_100));
        // Ten intervals missed while asleep: one run, back on the anchor's grid.
        assert_eq!(next_every(1_000, 100, 2_050), Some(2_100));
        assert_eq!(next_every(i64::MAX - 10, 100, i64::MAX - 5), None);
        assert_eq!(next_every(0, 0, 5), None);
    }
}
