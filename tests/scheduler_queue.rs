//! The alarm queue on a real SQLite (rusqlite): ordering, idempotent ids, coalescing,
//! claim/ack/fail, dead letters, redelivery after a crash, and alarm bookkeeping.

#[path = "support/rusqlite_backend.rs"]
mod support;
#[path = "support/chrono_tz_zones.rs"]
mod zones;

use durable_core::backend::{SqlBackend, SqlValue};
use durable_core::scheduler::{
    AlarmChange, ListAfter, ListQuery, RetryOptions, ScheduleRequest, Scheduler, Start, Task,
    TaskKind, When,
};
use durable_core::ErrorCode;
use std::collections::HashMap;
use support::RusqliteBackend;

fn open() -> RusqliteBackend {
    zones::install();
    RusqliteBackend::with_core_tables()
}

/// A run of due tasks starts with nothing armed (the platform's alarm is firing).
fn begin(s: &mut Scheduler, db: &RusqliteBackend) {
    s.begin_alarm(db, None).unwrap();
}

/// `start`, as a yes/no: whether the delivery runs.
trait Started {
    fn started(
        &mut self,
        db: &RusqliteBackend,
        id: &str,
        attempt: u32,
    ) -> Result<bool, durable_core::Error>;
}

impl Started for Scheduler {
    fn started(
        &mut self,
        db: &RusqliteBackend,
        id: &str,
        attempt: u32,
    ) -> Result<bool, durable_core::Error> {
        self.start(db, id, attempt, 0)
            .map(|start| start != Start::Skip)
    }
}

fn request(id: Option<&str>, method: &str, when: When) -> ScheduleRequest {
    ScheduleRequest {
        id: id.map(str::to_owned),
        method: method.into(),
        payload: Some(format!("{{\"m\":\"{method}\"}}")),
        when,
        retry: RetryOptions::default(),
    }
}

fn at(time: i64) -> When {
    When::At { time: time as f64 }
}

fn count(db: &RusqliteBackend, table: &str) -> i64 {
    db.exec(&format!("SELECT count(*) FROM {table}"), &[])
        .unwrap()
        .scalar()
        .and_then(SqlValue::as_i64)
        .unwrap()
}

/// Claims, starts, runs and acknowledges everything due at `now`, as the facade's alarm() does;
/// returns the ids in the order they ran.
fn run_due(db: &RusqliteBackend, scheduler: &mut Scheduler, now: i64) -> Vec<String> {
    begin(scheduler, db);
    let mut ran = Vec::new();
    loop {
        let claim = db.atomically(|| scheduler.claim_due(db, now, 50)).unwrap();
        assert!(claim.dead.is_empty());
        if claim.tasks.is_empty() {
            break;
        }
        for task in claim.tasks {
            assert!(scheduler.is_current(&task.id, task.attempts));
            assert!(scheduler.started(db, &task.id, task.attempts).unwrap());
            ran.push(task.id.clone());
            assert!(
                scheduler
                    .ack(db, &task.id, task.attempts, now)
                    .unwrap()
                    .value
            );
        }
    }
    scheduler.end_alarm(db).unwrap();
    ran
}

#[test]
fn tasks_run_in_due_order_ties_by_id() {
    let db = open();
    let mut s = Scheduler::new(1);
    for (id, due) in [("c", 300), ("a", 100), ("d", 100), ("b", 200)] {
        s.schedule(&db, request(Some(id), "m", at(due)), 0).unwrap();
    }
    assert_eq!(run_due(&db, &mut s, 150), ["a", "d"]);
    assert_eq!(run_due(&db, &mut s, 1_000), ["b", "c"]);
    assert_eq!(count(&db, "_dc_tasks"), 0);
}

#[test]
fn the_same_id_replaces_and_never_duplicates() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.schedule(&db, request(Some("renewal"), "renew", at(5_000)), 0)
        .unwrap();
    let replaced = s
        .schedule(&db, request(Some("renewal"), "renew2", at(9_000)), 0)
        .unwrap()
        .value;
    assert_eq!((replaced.method.as_str(), replaced.due), ("renew2", 9_000));
    assert_eq!(count(&db, "_dc_tasks"), 1);
    assert_eq!(s.get(&db, "renewal").unwrap().unwrap().method, "renew2");
}

#[test]
fn re_registering_a_recurring_task_on_every_wake_keeps_one_task_and_its_place_in_time() {
    let db = open();
    let every = || request(Some("tick"), "tick", When::Every { interval: 60_000.0 });
    let first = Scheduler::new(1).schedule(&db, every(), 0).unwrap().value;
    assert_eq!(first.due, 60_000);
    // Woken every 30 s, the object registers the task again: it must still fire at 60 s.
    for wake in 1..=5 {
        let mut s = Scheduler::new(wake);
        s.wake(&db, Some(60_000), 0).unwrap();
        let again = s
            .schedule(&db, every(), wake as i64 * 30_000 - 29_000)
            .unwrap();
        assert_eq!(again.value.due, 60_000);
        assert_eq!(again.alarm, AlarmChange::Unchanged);
    }
    assert_eq!(count(&db, "_dc_tasks"), 1);
    // A changed interval is a new schedule.
    let changed = Scheduler::new(9)
        .schedule(
            &db,
            request(Some("tick"), "tick", When::Every { interval: 10_000.0 }),
            100_000,
        )
        .unwrap();
    assert_eq!(changed.value.due, 110_000);
    let cron = |expr: &str| {
        request(
            Some("digest"),
            "digest",
            When::Cron {
                expression: expr.into(),
                timezone: Some("Europe/Paris".into()),
            },
        )
    };
    let mut s = Scheduler::new(3);
    let weekly = s.schedule(&db, cron("0 9 * * MON"), 0).unwrap().value.due;
    assert_eq!(
        s.schedule(&db, cron("0 9 * * MON"), 3_600_000)
            .unwrap()
            .value
            .due,
        weekly
    );
    assert_eq!(count(&db, "_dc_tasks"), 2);
}

#[test]
fn generated_ids_come_from_the_seed() {
    let db = open();
    let a = Scheduler::new(5)
        .schedule(&db, request(None, "m", at(1)), 0)
        .unwrap()
        .value;
    let db2 = open();
    let b = Scheduler::new(5)
        .schedule(&db2, request(None, "m", at(1)), 0)
        .unwrap()
        .value;
    assert_eq!(a.id, b.id);
    assert_eq!(a.id.len(), 24);
    let mut s = Scheduler::new(6);
    let ids: std::collections::HashSet<String> = (0..100)
        .map(|_| {
            s.schedule(&db, request(None, "m", at(1)), 0)
                .unwrap()
                .value
                .id
        })
        .collect();
    assert_eq!(ids.len(), 100);
}

#[test]
fn every_coalesces_runs_missed_while_asleep_and_stays_on_its_grid() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.schedule(
        &db,
        request(Some("tick"), "tick", When::Every { interval: 1_000.0 }),
        500,
    )
    .unwrap();
    // Due at 1_500; the object sleeps until 10_700: one run, next at 11_500.
    assert_eq!(run_due(&db, &mut s, 10_700), ["tick"]);
    let task = s.get(&db, "tick").unwrap().unwrap();
    assert_eq!(
        (task.due, task.scheduled_at, task.attempts),
        (11_500, 11_500, 0)
    );
}

#[test]
fn cron_coalesces_to_the_next_occurrence_after_now() {
    let db = open();
    let mut s = Scheduler::new(1);
    let hour = 3_600_000;
    let task = s
        .schedule(
            &db,
            request(
                Some("h"),
                "h",
                When::Cron {
                    expression: "0 * * * *".into(),
                    timezone: None,
                },
            ),
            10,
        )
        .unwrap()
        .value;
    assert_eq!(task.due, hour);
    assert_eq!(run_due(&db, &mut s, 5 * hour + 17), ["h"]);
    assert_eq!(s.get(&db, "h").unwrap().unwrap().due, 6 * hour);
}

#[test]
fn a_failing_task_is_retried_with_backoff_then_dead_lettered() {
    let db = open();
    let mut s = Scheduler::new(1);
    let mut r = request(Some("pay"), "charge", at(0));
    r.retry = RetryOptions {
        attempts: Some(3.0),
        backoff_ms: Some(100.0),
        max_backoff_ms: None,
        jitter: Some(false),
    };
    s.schedule(&db, r, 0).unwrap();
    let mut now = 0;
    let mut retries = Vec::new();
    loop {
        begin(&mut s, &db);
        let claim = db.atomically(|| s.claim_due(&db, now, 10)).unwrap();
        let task = &claim.tasks[0];
        let failure = db
            .atomically(|| s.fail(&db, &task.id, task.attempts, "card declined", now, 0.5))
            .unwrap();
        s.end_alarm(&db).unwrap();
        match failure.retry_at {
            Some(retry_at) => {
                retries.push(retry_at - now);
                now = retry_at;
            }
            None => {
                let dead = failure.dead.unwrap();
                assert_eq!(
                    (dead.task.attempts, dead.error.as_str()),
                    (3, "card declined")
                );
                break;
            }
        }
    }
    assert_eq!(retries, [100, 200]);
    assert_eq!(count(&db, "_dc_tasks"), 0);
    let failed = s.failed(&db, None).unwrap();
    assert_eq!(failed.len(), 1);
    assert_eq!(
        (
            failed[0].task.id.as_str(),
            failed[0].task.payload.as_deref()
        ),
        ("pay", Some("{\"m\":\"charge\"}"))
    );

    // retryFailed puts it back, due now, attempts reset.
    let retried = db
        .atomically(|| s.retry_failed(&db, "pay", 5_000))
        .unwrap()
        .unwrap();
    assert_eq!((retried.value.due, retried.value.attempts), (5_000, 0));
    assert_eq!(retried.alarm, AlarmChange::Set { time: 5_000 });
    assert!(s.failed(&db, None).unwrap().is_empty());
    assert_eq!(run_due(&db, &mut s, 5_000), ["pay"]);
    assert!(db
        .atomically(|| s.retry_failed(&db, "pay", 6_000))
        .unwrap()
        .is_none());
}

#[test]
fn a_recurring_task_whose_attempts_run_out_leaves_a_dead_letter_and_keeps_recurring() {
    let db = open();
    let mut s = Scheduler::new(1);
    let mut r = request(Some("tick"), "tick", When::Every { interval: 1_000.0 });
    r.retry.attempts = Some(1.0);
    s.schedule(&db, r, 0).unwrap();
    let claim = db.atomically(|| s.claim_due(&db, 1_000, 10)).unwrap();
    let failure = db
        .atomically(|| s.fail(&db, "tick", claim.tasks[0].attempts, "boom", 1_000, 0.0))
        .unwrap();
    assert_eq!(failure.dead.unwrap().task.kind, TaskKind::Every);
    let live = s.get(&db, "tick").unwrap().unwrap();
    assert_eq!((live.due, live.attempts), (2_000, 0));
    // retryFailed of a live recurring task runs it now and keeps its definition.
    let retried = db
        .atomically(|| s.retry_failed(&db, "tick", 1_500))
        .unwrap()
        .unwrap();
    assert_eq!(retried.value.due, 1_500);
    assert_eq!(count(&db, "_dc_tasks"), 1);
}

#[test]
fn a_task_claimed_but_never_acknowledged_runs_again_with_a_higher_attempt() {
    let db = open();
    let mut first_life = Scheduler::new(1);
    first_life
        .schedule(&db, request(Some("a"), "m", at(10)), 0)
        .unwrap();
    first_life
        .schedule(&db, request(Some("b"), "m", at(20)), 0)
        .unwrap();
    begin(&mut first_life, &db);
    let claim = db
        .atomically(|| first_life.claim_due(&db, 100, 10))
        .unwrap();
    assert_eq!(
        claim.tasks.iter().map(|t| t.attempts).collect::<Vec<_>>(),
        [1, 1]
    );
    first_life.ack(&db, "a", 1, 100).unwrap();
    assert!(first_life.started(&db, "b", 1).unwrap());
    drop(first_life); // the object dies while running "b"

    let mut second_life = Scheduler::new(2);
    assert_eq!(
        second_life.wake(&db, None, 0).unwrap(),
        AlarmChange::Set { time: 20 }
    );
    begin(&mut second_life, &db);
    let claim = db
        .atomically(|| second_life.claim_due(&db, 200, 10))
        .unwrap();
    assert_eq!(claim.tasks.len(), 1);
    assert_eq!(
        (
            claim.tasks[0].id.as_str(),
            claim.tasks[0].attempts,
            claim.tasks[0].scheduled_at
        ),
        ("b", 2, 20)
    );
    assert!(second_life.ack(&db, "b", 2, 200).unwrap().value);
    assert_eq!(second_life.end_alarm(&db).unwrap(), AlarmChange::Unchanged);
    assert_eq!(count(&db, "_dc_tasks"), 0);
}

#[test]
fn a_task_that_kills_its_object_every_time_ends_in_dead_letters() {
    let db = open();
    let mut r = request(Some("poison"), "m", at(0));
    r.retry.attempts = Some(2.0);
    Scheduler::new(1).schedule(&db, r, 0).unwrap();
    for life in 0..2 {
        let mut s = Scheduler::new(life);
        let claim = db.atomically(|| s.claim_due(&db, 10, 10)).unwrap();
        assert_eq!(claim.tasks.len(), 1, "delivery {}", life + 1);
        assert!(s.started(&db, "poison", claim.tasks[0].attempts).unwrap()); // then the object dies
    }
    let mut s = Scheduler::new(9);
    let claim = db.atomically(|| s.claim_due(&db, 10, 10)).unwrap();
    assert!(claim.tasks.is_empty());
    assert_eq!(claim.dead.len(), 1);
    assert_eq!(claim.dead[0].task.attempts, 2);
    assert!(claim.dead[0].error.contains("without finishing"));
    assert_eq!(
        (count(&db, "_dc_tasks"), count(&db, "_dc_dead_tasks")),
        (0, 1)
    );
}

#[test]
fn a_batch_whose_invocation_ended_keeps_its_counts_and_confirms_its_first_task_alone() {
    // The claim counts every delivery of the batch (the facade makes that durable before any
    // handler runs). The invocation ends during the batch: which handler ended it is unknown,
    // so the first unfinished task runs alone next, and the others keep their count (each may
    // have run: `attempt` 2 says so) without being dead-lettered, even with one attempt allowed.
    let db = open();
    for id in ["a", "b", "c"] {
        let mut r = request(Some(id), "m", at(1));
        r.retry.attempts = Some(1.0);
        Scheduler::new(1).schedule(&db, r, 0).unwrap();
    }
    let mut first_life = Scheduler::new(1);
    begin(&mut first_life, &db);
    let claim = db.atomically(|| first_life.claim_due(&db, 10, 32)).unwrap();
    assert_eq!(
        claim.tasks.iter().map(|t| t.attempts).collect::<Vec<_>>(),
        [1, 1, 1]
    );
    assert!(first_life.started(&db, "a", 1).unwrap());
    drop(first_life); // dies during a's handler

    let mut second_life = Scheduler::new(2);
    begin(&mut second_life, &db);
    let alone = db
        .atomically(|| second_life.claim_due(&db, 10, 32))
        .unwrap();
    assert_eq!(
        alone
            .tasks
            .iter()
            .map(|t| (t.id.as_str(), t.attempts))
            .collect::<Vec<_>>(),
        [("a", 2)]
    );
    assert!(second_life.ack(&db, "a", 2, 10).unwrap().value);
    let rest = db
        .atomically(|| second_life.claim_due(&db, 10, 32))
        .unwrap();
    assert!(rest.dead.is_empty());
    assert_eq!(
        rest.tasks
            .iter()
            .map(|t| (t.id.as_str(), t.attempts))
            .collect::<Vec<_>>(),
        [("b", 2), ("c", 2)]
    );
}

#[test]
fn a_task_alone_whose_invocation_ended_on_its_last_attempt_goes_to_dead_letters() {
    let db = open();
    for id in ["a", "b"] {
        let mut r = request(Some(id), "m", at(1));
        r.retry.attempts = Some(1.0);
        Scheduler::new(1).schedule(&db, r, 0).unwrap();
    }
    let mut first_life = Scheduler::new(1);
    db.atomically(|| first_life.claim_due(&db, 10, 32)).unwrap();
    drop(first_life); // dies during a's handler
    let mut second_life = Scheduler::new(2);
    assert_eq!(
        db.atomically(|| second_life.claim_due(&db, 10, 32))
            .unwrap()
            .tasks
            .len(),
        1
    );
    drop(second_life); // a, alone, ends the invocation again: it is the culprit
    let mut third_life = Scheduler::new(3);
    assert_eq!(
        run_due_reporting_dead(&db, &mut third_life, 10),
        (vec!["b".to_owned()], vec!["a".to_owned()])
    );
    assert_eq!(
        (count(&db, "_dc_tasks"), count(&db, "_dc_dead_tasks")),
        (0, 1)
    );
}

/// Like [`run_due`], and also returns the ids that the claims moved to dead letters.
fn run_due_reporting_dead(
    db: &RusqliteBackend,
    scheduler: &mut Scheduler,
    now: i64,
) -> (Vec<String>, Vec<String>) {
    begin(scheduler, db);
    let (mut ran, mut dead) = (Vec::new(), Vec::new());
    loop {
        let claim = db.atomically(|| scheduler.claim_due(db, now, 50)).unwrap();
        dead.extend(claim.dead.iter().map(|d| d.task.id.clone()));
        if claim.tasks.is_empty() && claim.dead.is_empty() {
            break;
        }
        for task in claim.tasks {
            if scheduler.started(db, &task.id, task.attempts).unwrap() {
                ran.push(task.id.clone());
                scheduler.ack(db, &task.id, task.attempts, now).unwrap();
            }
        }
    }
    scheduler.end_alarm(db).unwrap();
    (ran, dead)
}

#[test]
fn a_task_cancelled_or_replaced_after_the_claim_is_not_started() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.schedule(&db, request(Some("a"), "m", at(1)), 0).unwrap();
    s.schedule(&db, request(Some("b"), "m", at(2)), 0).unwrap();
    s.schedule(&db, request(Some("c"), "m", at(3)), 0).unwrap();
    begin(&mut s, &db);
    let claim = db.atomically(|| s.claim_due(&db, 10, 10)).unwrap();
    assert!(s.started(&db, "a", 1).unwrap());
    s.cancel(&db, "b").unwrap();
    s.schedule(&db, request(Some("c"), "m", at(5)), 10).unwrap();
    assert!(!s.started(&db, "b", claim.tasks[1].attempts).unwrap());
    assert!(!s.started(&db, "c", claim.tasks[2].attempts).unwrap());
    assert_eq!(s.get(&db, "c").unwrap().unwrap().attempts, 0);
    // A new handle never started anything of the old batch: it claims again.
    let mut other = Scheduler::new(2);
    assert!(!other.started(&db, "c", 1).unwrap());
}

#[test]
fn a_task_scheduled_in_a_rolled_back_transaction_does_not_keep_re_arming_the_alarm() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.wake(&db, None, 0).unwrap();
    s.schedule(&db, request(Some("real"), "m", at(500)), 0)
        .unwrap();
    let rolled_back: Result<(), ()> = db.atomically(|| {
        let change = s
            .schedule(&db, request(Some("ghost"), "m", at(100)), 0)
            .unwrap()
            .alarm;
        assert_eq!(change, AlarmChange::Set { time: 100 });
        Err(())
    });
    assert!(rolled_back.is_err());
    // The alarm fires at 100 for the ghost: the run finds nothing and re-arms for the real task.
    begin(&mut s, &db);
    assert!(db
        .atomically(|| s.claim_due(&db, 100, 32))
        .unwrap()
        .tasks
        .is_empty());
    assert_eq!(s.end_alarm(&db).unwrap(), AlarmChange::Set { time: 500 });
    // A claim that finds nothing due also forgets the ghost outside of the end of a run.
    let mut s = Scheduler::new(2);
    s.wake(&db, Some(500), 0).unwrap();
    let _: Result<(), ()> = db.atomically(|| {
        s.schedule(&db, request(Some("ghost"), "m", at(200)), 0)
            .unwrap();
        Err(())
    });
    assert!(db
        .atomically(|| s.claim_due(&db, 300, 32))
        .unwrap()
        .tasks
        .is_empty());
    // The rollback took the ghost's `setAlarm` and its record back: 500 is armed and right.
    assert_eq!(
        s.cancel(&db, "nothing").unwrap().alarm,
        AlarmChange::Unchanged
    );
}

#[test]
fn a_handler_that_reschedules_its_own_id_is_not_undone_by_its_ack() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.schedule(&db, request(Some("turn"), "turnTimeout", at(100)), 0)
        .unwrap();
    begin(&mut s, &db);
    let claim = db.atomically(|| s.claim_due(&db, 100, 10)).unwrap();
    s.schedule(&db, request(Some("turn"), "turnTimeout", at(30_100)), 100)
        .unwrap();
    assert!(
        !s.ack(&db, "turn", claim.tasks[0].attempts, 100)
            .unwrap()
            .value
    );
    assert_eq!(s.end_alarm(&db).unwrap(), AlarmChange::Set { time: 30_100 });
    assert_eq!(s.get(&db, "turn").unwrap().unwrap().due, 30_100);
}

#[test]
fn a_task_cancelled_during_the_batch_does_not_run() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.schedule(&db, request(Some("a"), "m", at(1)), 0).unwrap();
    s.schedule(&db, request(Some("b"), "m", at(2)), 0).unwrap();
    begin(&mut s, &db);
    let claim = db.atomically(|| s.claim_due(&db, 10, 10)).unwrap();
    // a's handler cancels b.
    assert!(s.cancel(&db, "b").unwrap().value);
    assert!(s.started(&db, "a", claim.tasks[0].attempts).unwrap());
    assert!(!s.started(&db, "b", claim.tasks[1].attempts).unwrap());
    assert!(!s.cancel(&db, "b").unwrap().value);
}

#[test]
fn released_deliveries_are_not_counted_as_attempts() {
    let db = open();
    let mut s = Scheduler::new(1);
    s.schedule(&db, request(Some("a"), "m", at(1)), 0).unwrap();
    let claim = db.atomically(|| s.claim_due(&db, 10, 10)).unwrap();
    assert!(s.release(&db, "a", claim.tasks[0].attempts).unwrap());
    let again = db.atomically(|| s.claim_due(&db, 10, 10)).unwrap();
    assert_eq!(again.tasks[0].attempts, 1);
}

#[test]
fn invalid_requests_persist_nothing_and_say_why() {
    let db = open();
    let mut s = Scheduler::new(1);
    let cases = [
        (When::At { time: f64::NAN }, "TASK_SCHEDULE"),
        (When::Every { interval: 0.0 }, "TASK_SCHEDULE"),
        (When::Every { interval: -1.0 }, "TASK_SCHEDULE"),
        (
            When::Cron {
                expression: "0 9 * * FUNDAY".into(),
                timezone: None,
            },
            "CRON_INVALID",
        ),
        (
            When::Cron {
                expression: "0 9 * * MON".into(),
                timezone: Some("Nowhere/Atlantis".into()),
            },
            "CRON_TIMEZONE",
        ),
    ];
    for (when, code) in cases {
        let err = s
            .schedule(&db, request(Some("x"), "m", when), 0)
            .unwrap_err();
        assert_eq!(err.code(), code, "{err}");
    }
    let err = s
        .schedule(&db, request(Some("x"), "", at(1)), 0)
        .unwrap_err();
    assert_eq!(err.code(), "TASK_METHOD");
    assert_eq!(count(&db, "_dc_tasks"), 0);
}

#[test]
fn list_filters_pages_and_reports_tasks() {
    let db = open();
    let mut s = Scheduler::new(1);
    for i in 0..10 {
        let method = if i % 2 == 0 { "even" } else { "odd" };
        s.schedule(
            &db,
            request(Some(&format!("t{i}")), method, at(100 + (i / 3) * 10)),
            0,
        )
        .unwrap();
    }
    let ids = |tasks: Vec<Task>| tasks.into_iter().map(|t| t.id).collect::<Vec<_>>();
    let all = s.list(&db, &ListQuery::default()).unwrap();
    assert_eq!(all.len(), 10);
    let first_page = s
        .list(
            &db,
            &ListQuery {
                limit: Some(4),
                ..Default::default()
            },
        )
        .unwrap();
    let last = first_page.last().unwrap().clone();
    assert_eq!(ids(first_page), ["t0", "t1", "t2", "t3"]);
    let next = ListQuery {
        limit: Some(4),
        after: Some(ListAfter {
            due: last.due,
            id: Some(last.id),
        }),
        ..Default::default()
    };
    assert_eq!(ids(s.list(&db, &next).unwrap()), ["t4", "t5", "t6", "t7"]);
    let odd = ListQuery {
        method: Some("odd".into()),
        after: Some(ListAfter { due: 110, id: None }),
        ..Default::default()
    };
    assert_eq!(ids(s.list(&db, &odd).unwrap()), ["t7", "t9"]);
}

#[test]
fn scheduling_many_tasks_arms_the_alarm_only_when_the_earliest_changes() {
    let db = open();
    let mut s = Scheduler::new(1);
    assert_eq!(s.wake(&db, None, 0).unwrap(), AlarmChange::Unchanged);
    let mut sets = 0;
    let mut rng = 12345_u64;
    for i in 0..2_000 {
        rng = rng.wrapping_mul(6364136223846793005).wrapping_add(1);
        let due = 1_000 + (rng >> 40) as i64 % 1_000_000;
        let change = s
            .schedule(&db, request(None, "m", at(due)), 0)
            .unwrap()
            .alarm;
        if let AlarmChange::Set { .. } = change {
            sets += 1;
        } else {
            assert_eq!(change, AlarmChange::Unchanged, "task {i}");
        }
    }
    // Random due times: a new minimum about ln(2000) ≈ 8 times.
    assert!((1..=20).contains(&sets), "{sets} setAlarm calls");
    // In due order: exactly one.
    let db = open();
    let mut s = Scheduler::new(2);
    s.wake(&db, None, 0).unwrap();
    let sets = (0..2_000)
        .filter(|i| {
            s.schedule(&db, request(None, "m", at(1_000 + i)), 0)
                .unwrap()
                .alarm
                != AlarmChange::Unchanged
        })
        .count();
    assert_eq!(sets, 1);
}

#[test]
fn the_alarm_follows_the_earliest_task_through_cancel_and_replace() {
    let db = open();
    let mut s = Scheduler::new(1);
    assert_eq!(
        s.wake(&db, Some(777), 0).unwrap(),
        AlarmChange::Delete,
        "an alarm with an empty queue is stale"
    );
    assert_eq!(
        s.schedule(&db, request(Some("a"), "m", at(100)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Set { time: 100 }
    );
    assert_eq!(
        s.schedule(&db, request(Some("b"), "m", at(200)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Unchanged
    );
    assert_eq!(
        s.schedule(&db, request(Some("a"), "m", at(300)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Set { time: 200 }
    );
    assert_eq!(
        s.cancel(&db, "b").unwrap().alarm,
        AlarmChange::Set { time: 300 }
    );
    assert_eq!(s.cancel(&db, "zzz").unwrap().alarm, AlarmChange::Unchanged);
    assert_eq!(s.cancel(&db, "a").unwrap().alarm, AlarmChange::Delete);
    // After a restart the alarm read from the platform is trusted only if it matches.
    s.schedule(&db, request(Some("c"), "m", at(500)), 0)
        .unwrap();
    assert_eq!(
        Scheduler::new(2).wake(&db, Some(500), 0).unwrap(),
        AlarmChange::Unchanged
    );
    assert_eq!(
        Scheduler::new(3).wake(&db, None, 0).unwrap(),
        AlarmChange::Set { time: 500 }
    );
}

#[test]
fn an_alarm_run_settles_the_alarm_once_and_re_arms_at_once_for_leftovers() {
    let db = open();
    let mut s = Scheduler::new(1);
    for i in 0..100 {
        s.schedule(&db, request(None, "m", at(i)), 0).unwrap();
    }
    s.schedule(&db, request(Some("later"), "m", at(10_000)), 0)
        .unwrap();
    begin(&mut s, &db);
    let claim = db.atomically(|| s.claim_due(&db, 1_000, 30)).unwrap();
    for task in &claim.tasks {
        assert_eq!(
            s.ack(&db, &task.id, task.attempts, 1_000).unwrap().alarm,
            AlarmChange::Unchanged
        );
    }
    // The time budget is spent: 70 due tasks are left, so the alarm is re-armed in the past.
    assert_eq!(s.end_alarm(&db).unwrap(), AlarmChange::Set { time: 30 });
    assert_eq!(run_due(&db, &mut s, 1_000).len(), 70);
    assert_eq!(s.next_due(&db).unwrap(), Some(10_000));
}

#[test]
fn a_thousand_mixed_tasks_fire_in_due_order_exactly_once() {
    let db = open();
    let mut s = Scheduler::new(42);
    let mut rng = 99_u64;
    let mut next = || {
        rng = rng
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (rng >> 33) as i64
    };
    let mut expected_runs: HashMap<String, usize> = HashMap::new();
    let horizon = 100_000;
    for i in 0..1_000 {
        let id = format!("task-{i:04}");
        let when = match i % 4 {
            0 => at(next() % horizon),
            1 => When::After {
                delay: (next() % horizon) as f64,
            },
            2 => When::Every {
                interval: 40_000.0 + (next() % 20_000) as f64,
            },
            _ => When::Cron {
                expression: format!("{} * * * * *", next() % 60),
                timezone: None,
            },
        };
        s.schedule(&db, request(Some(&id), "m", when), 0).unwrap();
        expected_runs.insert(id, 0);
    }
    // Re-registering a quarter of them (same ids) must not add runs.
    for i in (0..1_000).step_by(4) {
        s.schedule(
            &db,
            request(Some(&format!("task-{i:04}")), "m", at(next() % horizon)),
            0,
        )
        .unwrap();
    }
    let mut fired: Vec<(i64, String)> = Vec::new();
    let mut now = 0;
    while now <= horizon {
        begin(&mut s, &db);
        loop {
            let claim = db.atomically(|| s.claim_due(&db, now, 64)).unwrap();
            if claim.tasks.is_empty() {
                break;
            }
            for task in claim.tasks {
                fired.push((task.scheduled_at, task.id.clone()));
                s.ack(&db, &task.id, task.attempts, now).unwrap();
            }
        }
        now = match s.end_alarm(&db).unwrap() {
            AlarmChange::Set { time } => time.max(now + 1),
            _ => break,
        };
    }
    let one_shots = fired
        .iter()
        .filter(|(_, id)| id[5..].parse::<usize>().unwrap() % 4 < 2)
        .count();
    assert_eq!(one_shots, 500, "every one-shot fired exactly once");
    for (_, id) in &fired {
        *expected_runs.get_mut(id).unwrap() += 1;
    }
    for (id, runs) in &expected_runs {
        let n: usize = id[5..].parse().unwrap();
        if n % 4 < 2 {
            assert_eq!(*runs, 1, "{id}");
        } else {
            assert!(*runs >= 1, "{id} never fired");
        }
    }
    let order: Vec<(i64, String)> = fired.clone();
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted, "fired in due order");
    assert_eq!(
        count(&db, "_dc_tasks"),
        500,
        "recurring tasks remain, one-shots are gone"
    );
}

#[test]
fn a_generated_one_shot_reads_back_whole_from_either_insert() {
    // Default retry: the narrow 4-value INSERT; a custom policy: the full one.
    let db = open();
    let mut scheduler = Scheduler::new(9);
    for kind in [at(5_000), When::After { delay: 250.0 }] {
        let plain = scheduler
            .schedule(&db, request(None, "plain", kind.clone()), 1_000)
            .unwrap()
            .value;
        let mut custom = request(None, "custom", kind);
        custom.retry = RetryOptions {
            attempts: Some(2.0),
            jitter: Some(false),
            ..Default::default()
        };
        let custom = scheduler.schedule(&db, custom, 1_000).unwrap().value;
        for task in [&plain, &custom] {
            let stored = scheduler.get(&db, &task.id).unwrap().unwrap();
            assert_eq!(&stored, task);
            assert_eq!(
                (
                    stored.attempts,
                    stored.every_ms,
                    stored.last_error.as_deref()
                ),
                (0, None, None)
            );
            assert_eq!(stored.scheduled_at, stored.due);
        }
        assert_eq!(plain.retry, durable_core::scheduler::RetryPolicy::default());
        assert_eq!((custom.retry.attempts, custom.retry.jitter), (2, false));
        assert_eq!(plain.kind, custom.kind);
        assert!(matches!(plain.kind, TaskKind::At | TaskKind::After));
    }
}

#[test]
fn a_generated_one_shot_after_a_rolled_back_schedule_still_re_arms() {
    // The hot INSERT decides from the state it last saw, guarded by the alarm record: a
    // rollback since restored another record, so the INSERT reads the state instead.
    let db = open();
    let mut s = Scheduler::new(1);
    s.wake(&db, None, 0).unwrap();
    assert_eq!(
        s.schedule(&db, request(None, "m", at(500)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Set { time: 500 }
    );
    let _: Result<(), ()> = db.atomically(|| {
        assert_eq!(
            s.schedule(&db, request(None, "m", at(100)), 0)
                .unwrap()
                .alarm,
            AlarmChange::Set { time: 100 }
        );
        Err(())
    });
    assert_eq!(
        s.schedule(&db, request(None, "m", at(300)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Set { time: 300 }
    );
    assert_eq!(
        s.schedule(&db, request(None, "m", at(400)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Unchanged
    );
    assert_eq!(
        s.schedule(&db, request(None, "m", at(200)), 0)
            .unwrap()
            .alarm,
        AlarmChange::Set { time: 200 }
    );
    assert_eq!(count(&db, "_dc_tasks"), 4);
}

/// Counts the statements run through it.
struct Counting<'a> {
    db: &'a RusqliteBackend,
    statements: std::cell::Cell<usize>,
}

impl SqlBackend for Counting<'_> {
    fn exec(
        &self,
        query: &str,
        params: &[SqlValue],
    ) -> Result<durable_core::backend::QueryResult, durable_core::backend::BackendError> {
        self.statements.set(self.statements.get() + 1);
        self.db.exec(query, params)
    }
}

#[test]
fn a_covered_one_shot_is_one_statement_and_stays_right_after_rollbacks() {
    // The hot INSERT writes only while the alarm on record is armed at or before its due time;
    // the handle's memory of that alarm only picks the statement to try first.
    let db = open();
    let counted = Counting {
        db: &db,
        statements: std::cell::Cell::new(0),
    };
    let mut s = Scheduler::new(3);
    let schedule = |s: &mut Scheduler, time: i64| {
        counted.statements.set(0);
        let outcome = s
            .schedule(&counted, request(None, "m", at(time)), 0)
            .unwrap();
        (outcome.value.id, outcome.alarm, counted.statements.get())
    };
    s.wake(&db, None, 0).unwrap();
    let (first, change, _) = schedule(&mut s, 500);
    assert_eq!(change, AlarmChange::Set { time: 500 });
    assert_eq!(schedule(&mut s, 700).1, AlarmChange::Unchanged);
    assert_eq!(schedule(&mut s, 900).1, AlarmChange::Unchanged);
    assert_eq!(schedule(&mut s, 500).2, 1, "covered: one statement");
    // A rollback restores an earlier record than the handle last saw (a cancel undone): the
    // task due between the two is covered by the restored alarm.
    let _: Result<(), ()> = db.atomically(|| {
        assert_eq!(s.cancel(&db, &first).unwrap().alarm, AlarmChange::Unchanged);
        Err(())
    });
    let _: Result<(), ()> = db.atomically(|| {
        for task in s.list(&db, &ListQuery::default()).unwrap() {
            s.cancel(&db, &task.id).unwrap();
        }
        assert_eq!(
            s.schedule(&db, request(None, "m", at(800)), 0)
                .unwrap()
                .alarm,
            AlarmChange::Set { time: 800 }
        );
        Err(())
    });
    assert_eq!(schedule(&mut s, 600).1, AlarmChange::Unchanged);
    assert_eq!(schedule(&mut s, 1_000).1, AlarmChange::Unchanged);
    // A rollback restores a later record (an earlier task undone): the handle's memory says
    // covered, the record does not, and the INSERT reads the state instead.
    let _: Result<(), ()> = db.atomically(|| {
        assert_eq!(
            s.schedule(&db, request(None, "m", at(100)), 0)
                .unwrap()
                .alarm,
            AlarmChange::Set { time: 100 }
        );
        Err(())
    });
    // Three statements: the covered INSERT that did not write, the INSERT, the record.
    let (_, change, statements) = schedule(&mut s, 300);
    assert_eq!((change, statements), (AlarmChange::Set { time: 300 }, 3));
    assert_eq!(schedule(&mut s, 400).1, AlarmChange::Unchanged);
    // During a run nothing is decided, and the run's end arms for the earliest task.
    begin(&mut s, &db);
    assert_eq!(schedule(&mut s, 200).1, AlarmChange::Unchanged);
    assert_eq!(s.end_alarm(&db).unwrap(), AlarmChange::Set { time: 200 });
    assert_eq!(count(&db, "_dc_tasks"), 9);
}

#[test]
fn a_colliding_generated_id_fails_loudly_on_the_covered_path() {
    // The covered INSERT is `OR IGNORE` (its condition is a NOT NULL it may refuse); any row it
    // skips is written by the plain INSERT instead, which refuses a duplicate id with an error.
    let db = open();
    let mut first = Scheduler::new(7);
    first.wake(&db, None, 0).unwrap();
    let taken = first
        .schedule(&db, request(None, "m", at(500)), 0)
        .unwrap()
        .value;
    let mut second = Scheduler::new(7);
    second.wake(&db, Some(500), 0).unwrap();
    let err = second
        .schedule(&db, request(None, "other", at(600)), 0)
        .unwrap_err();
    assert_eq!(err.code(), "STORAGE", "{err}");
    assert_eq!(count(&db, "_dc_tasks"), 1);
    assert_eq!(first.get(&db, &taken.id).unwrap().unwrap().method, "m");
}
