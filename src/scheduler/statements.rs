//! Every SQL statement of the scheduler, as `const` text composed at compile time.
//!
//! One style: each statement is a constant, so the same text goes to `sql.exec` each call and
//! hits the platform's prepared-statement cache, and nothing is formatted per call. The shared
//! pieces (column lists, the covered condition) are `macro_rules!` literals so that `concat!` can
//! build the statements from them; a statement with variants (the one-shot INSERTs, `list`'s
//! filters) is one constant per variant. This module never executes anything and holds no state.

use super::task::ListQuery;

/// The task columns, in the order `rows::decode_task` reads them.
macro_rules! task_columns {
    () => {
        "id, method, payload, kind, due, scheduled_at, every_ms, anchor, \
         cron, timezone, attempts, max_attempts, backoff_ms, max_backoff_ms, jitter, last_error"
    };
}

/// One placeholder per task column.
macro_rules! task_placeholders {
    () => {
        "?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16"
    };
}

/// The armed time on record (`'none'` when nothing is armed, NULL when the record is missing)
/// and the earliest due time. Also appended to the RETURNING clause of a write, which then
/// returns the state with its own row included: no second statement.
macro_rules! state_columns {
    () => {
        "(SELECT ifnull(armed, 'none') FROM _dc_alarm WHERE id = 0) AS armed, \
         (SELECT due FROM _dc_tasks ORDER BY due LIMIT 1) AS due"
    };
}

/// The source of a covered INSERT's row: the alarm record, when the time armed on it (`NULL`
/// when nothing is armed) is at or before the task's due time `?4`. No row, no write.
macro_rules! covered {
    () => {
        " FROM _dc_alarm WHERE id = 0 AND armed <= ?4"
    };
}

/// A re-registered `every`/`cron` task whose schedule is unchanged keeps its place in time:
/// an object that wakes more often than its interval must still see the task run.
macro_rules! same_schedule {
    () => {
        "(kind IN ('every', 'cron') AND kind = excluded.kind AND every_ms IS excluded.every_ms \
         AND cron IS excluded.cron AND timezone IS excluded.timezone)"
    };
}

/// The narrow INSERT's columns and the literals of `RetryPolicy::default` (attempts, backoff,
/// cap, jitter) it writes; `tests::one_shot_literals_are_the_default_policy` keeps them equal.
macro_rules! one_shot_insert {
    () => {
        "INSERT INTO _dc_tasks (id, method, payload, kind, due, scheduled_at, attempts, max_attempts, \
         backoff_ms, max_backoff_ms, jitter)"
    };
}
macro_rules! default_policy {
    () => {
        "5, 1000, 60000, 1"
    };
}

// The alarm record.
pub(crate) const STATE: &str = concat!("SELECT ", state_columns!());
pub(crate) const RECORD: &str = "INSERT OR REPLACE INTO _dc_alarm (id, armed) VALUES (0, ?1)";

// Writing tasks.
pub(crate) const INSERT: &str = concat!(
    "INSERT INTO _dc_tasks (",
    task_columns!(),
    ") VALUES (",
    task_placeholders!(),
    ") RETURNING ",
    state_columns!()
);
pub(crate) const UPSERT: &str = concat!(
    "INSERT INTO _dc_tasks (", task_columns!(), ") VALUES (", task_placeholders!(), ") ON CONFLICT (id) DO UPDATE SET \
     method = excluded.method, payload = excluded.payload, max_attempts = excluded.max_attempts, \
     backoff_ms = excluded.backoff_ms, max_backoff_ms = excluded.max_backoff_ms, jitter = excluded.jitter, \
     due = CASE WHEN ", same_schedule!(), " THEN due ELSE excluded.due END, \
     scheduled_at = CASE WHEN ", same_schedule!(), " THEN scheduled_at ELSE excluded.scheduled_at END, \
     anchor = CASE WHEN ", same_schedule!(), " THEN anchor ELSE excluded.anchor END, \
     attempts = CASE WHEN ", same_schedule!(), " THEN attempts ELSE 0 END, \
     last_error = CASE WHEN ", same_schedule!(), " THEN last_error ELSE NULL END, \
     claimed = CASE WHEN ", same_schedule!(), " THEN claimed ELSE NULL END, \
     retry_of = CASE WHEN ", same_schedule!(), " THEN retry_of ELSE NULL END, \
     kind = excluded.kind, every_ms = excluded.every_ms, cron = excluded.cron, timezone = excluded.timezone \
     RETURNING due, scheduled_at, attempts, last_error, ", state_columns!()
);
/// The common case, a one-shot task with a generated id and the default retry policy, binds
/// 4 values instead of 16: each value bound to `sql.exec` has a cost, even a NULL (figures in
/// docs/reports/). The optional columns are left NULL. Indexed by `queue::one_shot_index`
/// (0: `at`, 1: `after`).
pub(crate) const INSERT_ONE_SHOT: [&str; 2] = [
    concat!(
        one_shot_insert!(),
        " VALUES (?1, ?2, ?3, 'at', ?4, ?4, 0, ",
        default_policy!(),
        ") RETURNING ",
        state_columns!()
    ),
    concat!(
        one_shot_insert!(),
        " VALUES (?1, ?2, ?3, 'after', ?4, ?4, 0, ",
        default_policy!(),
        ") RETURNING ",
        state_columns!()
    ),
];
/// The same INSERT, covered: it writes only while the alarm on record is armed at or before
/// the task's due time, so that alarm already covers it and the decision needs no read (see
/// `AlarmBook::may_cover`). The hot path of `at`/`after` with a generated id.
pub(crate) const INSERT_ONE_SHOT_COVERED: [&str; 2] = [
    concat!(
        one_shot_insert!(),
        " SELECT ?1, ?2, ?3, 'at', ?4, ?4, 0, ",
        default_policy!(),
        covered!()
    ),
    concat!(
        one_shot_insert!(),
        " SELECT ?1, ?2, ?3, 'after', ?4, ?4, 0, ",
        default_policy!(),
        covered!()
    ),
];
pub(crate) const REPLACE: &str = concat!(
    "INSERT OR REPLACE INTO _dc_tasks (",
    task_columns!(),
    ") VALUES (",
    task_placeholders!(),
    ")"
);
pub(crate) const CANCEL: &str = "DELETE FROM _dc_tasks WHERE id = ?1 RETURNING id";

// Reading tasks.
pub(crate) const NEXT_DUE: &str = "SELECT min(due) FROM _dc_tasks";
pub(crate) const GET: &str = concat!("SELECT ", task_columns!(), " FROM _dc_tasks WHERE id = ?1");

/// A page of `list`: `?1` is the limit, then the filters' values in the order they appear.
macro_rules! list_page {
    ($($filter:literal),*) => {
        concat!("SELECT ", task_columns!(), " FROM _dc_tasks WHERE 1", $($filter,)* " ORDER BY due, id LIMIT ?1")
    };
}

/// `list`'s query for the filters `query` sets; it binds the limit, then the method and the
/// position after which to start, when given.
pub(crate) fn list(query: &ListQuery) -> &'static str {
    let after_task = query.after.as_ref().map(|after| after.id.is_some());
    match (query.method.is_some(), after_task) {
        (false, None) => list_page!(),
        (false, Some(false)) => list_page!(" AND due > ?2"),
        (false, Some(true)) => list_page!(" AND (due, id) > (?2, ?3)"),
        (true, None) => list_page!(" AND method = ?2"),
        (true, Some(false)) => list_page!(" AND method = ?2", " AND due > ?3"),
        (true, Some(true)) => list_page!(" AND method = ?2", " AND (due, id) > (?3, ?4)"),
    }
}

// Dead letters.
pub(crate) const FAILED: &str = concat!(
    "SELECT ",
    task_columns!(),
    ", error, failed_at FROM _dc_dead_tasks ORDER BY failed_at, id LIMIT ?1"
);
pub(crate) const DEAD: &str = concat!(
    "SELECT ",
    task_columns!(),
    ", error, failed_at FROM _dc_dead_tasks WHERE id = ?1"
);
pub(crate) const RETRY_OCCURRENCE: &str = concat!(
    "UPDATE _dc_tasks SET retry_of = ?3, due = ?2, attempts = 0, last_error = NULL, claimed = NULL \
     WHERE id = ?1 AND kind IN ('every', 'cron') RETURNING ",
    task_columns!()
);
pub(crate) const FORGET_DEAD: &str = "DELETE FROM _dc_dead_tasks WHERE id = ?1";
pub(crate) const BURY: &str = concat!(
    "INSERT OR REPLACE INTO _dc_dead_tasks (",
    task_columns!(),
    ", error, failed_at) VALUES (",
    task_placeholders!(),
    ", ?17, ?18)"
);

// Deliveries.
/// The due batch, with what tells a fresh task from one whose last delivery never ended.
pub(crate) const SELECT_DUE: &str =
    "SELECT id, method, payload, kind, scheduled_at, attempts, max_attempts, claimed, \
     retry_of FROM _dc_tasks WHERE due <= ?1 ORDER BY due, id LIMIT ?2";
/// Counts the delivery of every task of the batch [`SELECT_DUE`] returned, in the same
/// transaction: the facade confirms it (`ctx.storage.sync()`) before any handler runs, so a
/// handler that ends its invocation (`ctx.abort()`, an exceeded limit) has used an attempt.
pub(crate) const CLAIM_BATCH: &str =
    "UPDATE _dc_tasks SET attempts = attempts + 1, claimed = ?3 WHERE id IN \
     (SELECT id FROM _dc_tasks WHERE due <= ?1 ORDER BY due, id LIMIT ?2)";
/// Claims one task alone (after a batch that never ended, the likely culprit is run by itself).
pub(crate) const CLAIM_ALONE: &str =
    "UPDATE _dc_tasks SET attempts = attempts + 1, claimed = 2 WHERE id = ?1 AND attempts = ?2";
/// The other tasks of a batch that never ended: they keep their count (each may have run, its
/// acknowledgement lost with the invocation) and are claimed normally again.
pub(crate) const CLEAR_SHARED: &str =
    "UPDATE _dc_tasks SET claimed = NULL WHERE claimed = 1 AND id <> ?1";
/// The whole row of the claimed delivery `(id, attempts)`, and the occurrence it retries.
pub(crate) const FULL_DELIVERY: &str = concat!(
    "SELECT ",
    task_columns!(),
    ", retry_of FROM _dc_tasks WHERE id = ?1 AND attempts = ?2 AND claimed IS NOT NULL"
);
pub(crate) const ACK_ONE_SHOT: &str =
    "DELETE FROM _dc_tasks WHERE id = ?1 AND attempts = ?2 AND claimed IS NOT NULL";
/// The acknowledgements of a batch's plain deliveries, all at once: `?1` is a JSON object of
/// `id: attempts` (see `BatchMarks`). Each key is found by the primary key.
pub(crate) const ACK_BATCH: &str =
    "DELETE FROM _dc_tasks WHERE claimed IS NOT NULL AND (id, attempts) IN \
     (SELECT key, value FROM json_each(?1))";
pub(crate) const RELEASE: &str =
    "UPDATE _dc_tasks SET attempts = attempts - 1, claimed = NULL WHERE id = ?1 AND attempts = ?2 AND claimed IS NOT NULL";
pub(crate) const RETRY_LATER: &str =
    "UPDATE _dc_tasks SET due = ?3, last_error = ?4, claimed = NULL WHERE id = ?1 AND attempts = ?2";
pub(crate) const END_RETRY: &str =
    "UPDATE _dc_tasks SET due = scheduled_at, retry_of = NULL, attempts = 0, \
     last_error = NULL, claimed = NULL WHERE id = ?1 AND attempts = ?2";
pub(crate) const NEXT_OCCURRENCE: &str =
    "UPDATE _dc_tasks SET due = ?3, scheduled_at = ?3, attempts = 0, \
     last_error = NULL, claimed = NULL WHERE id = ?1 AND attempts = ?2";
pub(crate) const END_ONE_SHOT: &str = "DELETE FROM _dc_tasks WHERE id = ?1 AND attempts = ?2";

#[cfg(test)]
mod tests {
    use super::super::backoff::RetryPolicy;

    #[test]
    fn one_shot_literals_are_the_default_policy() {
        let d = RetryPolicy::default();
        let expected = format!(
            "{}, {}, {}, {}",
            d.attempts,
            d.backoff_ms,
            d.max_backoff_ms,
            i64::from(d.jitter)
        );
        assert_eq!(default_policy!(), expected);
    }
}
