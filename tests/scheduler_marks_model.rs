//! The batch marks against a model of the facade's run (pkg-template/src/scheduler-run.ts):
//! batches of every size around the 16-mark chunk of a read, handlers that succeed or throw,
//! synchronously or after a wait, that look at earlier tasks, cancel later ones (committed or
//! rolled back) or read the queue inside a transaction that rolls back, and runs cut short by
//! their budget. After every step the rules of `BatchMarks` must hold: a call sees every
//! delivery marked done before it as acknowledged, a wait finds every acknowledgement made
//! (again), and the run's end leaves exactly the rows the deliveries' ends call for.

#[path = "support/counting_marks.rs"]
mod counting_marks;
#[path = "support/rusqlite_backend.rs"]
mod support;

use counting_marks::CountingMarks;
use durable_core::backend::SqlBackend;
use durable_core::scheduler::{mark, RetryOptions, ScheduleRequest, Scheduler, Start, When};
use support::RusqliteBackend;

fn open() -> RusqliteBackend {
    RusqliteBackend::with_core_tables()
}

/// xorshift64*: the scripts are reproducible from their seed, with no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }
}

#[derive(Clone, Copy, Debug, PartialEq)]
enum End {
    /// Not reached: the run stopped before it (its count is taken back).
    Unstarted,
    /// Cancelled by an earlier handler: skipped.
    Skipped,
    Succeeded,
    Failed,
}

fn id(index: usize) -> String {
    format!("t{index:03}")
}

/// The row of `id`: (attempts, claimed), if any.
fn row(db: &RusqliteBackend, id: &str) -> Option<(i64, Option<i64>)> {
    let result = db
        .exec(
            "SELECT attempts, claimed FROM _dc_tasks WHERE id = ?1",
            &[id.into()],
        )
        .unwrap();
    result
        .rows
        .first()
        .map(|r| (r[0].as_i64().unwrap(), r[1].as_i64()))
}

/// One run of one batch of `n` one-shots, scripted by `seed`; panics where a rule breaks.
/// Returns how many marks the core read and how many times it settled them.
fn run(n: usize, seed: u64) -> (usize, usize) {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let db = open();
    let mut s = Scheduler::new(seed);
    for i in 0..n {
        let request = ScheduleRequest {
            id: Some(id(i)),
            method: "m".into(),
            payload: None,
            when: When::At {
                time: (i + 1) as f64,
            },
            retry: RetryOptions::default(),
        };
        s.schedule(&db, request, 0).unwrap();
    }
    s.begin_alarm(&db, None).unwrap();
    let claim = db.atomically(|| s.claim_due(&db, 1_000, n as u32)).unwrap();
    assert_eq!(claim.tasks.len(), n);
    // Exactly one mark per delivery: a read past them comes back short.
    let marks = CountingMarks::new(n);
    s.set_marks(Box::new(marks.clone()));
    let mark_of = |i: usize| marks.get(i);
    let set = |i: usize, m: u8| marks.set(i, m);

    let mut ends = vec![End::Unstarted; n];
    let mut cancelled = vec![false; n];
    // Set when a handler's transaction rolled back after the core acknowledged in it: until the
    // next wait, an earlier success may be visible again (the rule is "made again at a wait").
    let mut undone = false;
    let mut marks_due = false;
    // The run's end settles once.
    let mut calls = 1;
    let stop_at = if rng.chance(20) { rng.below(n + 1) } else { n };
    // Some runs are mostly quiet (handlers that neither call the core nor fail): the marks then
    // run ahead of the last read by more than a chunk.
    let (busy, failing) = if rng.chance(30) { (5, 3) } else { (100, 25) };
    let context = |i: usize| format!("seed {seed}, n {n}, delivery {i}, marks {marks:?}");

    for i in 0..stop_at {
        let mut from_mark = false;
        if mark_of(i) == mark::FREE {
            from_mark = true;
        } else {
            calls += 1;
            match s.start(&db, &id(i), 1, 1_000).unwrap() {
                Start::Skip => {
                    assert!(cancelled[i], "{}: skipped but not cancelled", context(i));
                    set(i, mark::SKIPPED);
                    ends[i] = End::Skipped;
                    continue;
                }
                Start::Run | Start::Fresh(_) => {
                    assert!(!cancelled[i], "{}: cancelled but run", context(i));
                }
            }
        }
        set(i, mark::STARTED);
        let waits = rng.chance(40);
        if waits && marks_due {
            marks_due = false;
            undone = false;
            calls += 1;
            s.settle_marks_before_wait(&db).unwrap();
            for j in (0..i).filter(|&j| ends[j] == End::Succeeded) {
                assert_eq!(
                    row(&db, &id(j)),
                    None,
                    "{}: {} not acknowledged before a wait",
                    context(i),
                    id(j)
                );
            }
        }
        // The handler's body (before or during its wait: other calls may come in then too).
        let body = if rng.chance(busy) { rng.below(4) } else { 0 };
        for _ in 0..body {
            match rng.below(5) {
                0 | 1 if i > 0 => {
                    let j = rng.below(i);
                    calls += 1;
                    let seen = s.get(&db, &id(j)).unwrap();
                    if !undone {
                        let expected = matches!(ends[j], End::Failed);
                        assert_eq!(
                            seen.is_some(),
                            expected,
                            "{}: get({}) after {:?}",
                            context(i),
                            id(j),
                            ends[j]
                        );
                    }
                }
                2 if i + 1 < n => {
                    let j = i + 1 + rng.below(n - i - 1);
                    calls += 1;
                    let existed = s.cancel(&db, &id(j)).unwrap().value;
                    assert_eq!(existed, !cancelled[j], "{}: cancel({})", context(i), id(j));
                    cancelled[j] = true;
                }
                3 if i + 1 < n => {
                    // Cancelled, then rolled back: the later task is read again, and runs.
                    let j = i + 1 + rng.below(n - i - 1);
                    calls += 1;
                    let _ = db.atomically(|| {
                        s.cancel(&db, &id(j)).unwrap();
                        Err::<(), ()>(())
                    });
                    if !cancelled[j] {
                        assert_eq!(
                            mark_of(j),
                            mark::STALE,
                            "{}: {} not marked stale",
                            context(i),
                            id(j)
                        );
                    }
                    undone = true;
                }
                _ if i > 0 => {
                    let j = rng.below(i);
                    calls += 1;
                    let _ = db.atomically(|| {
                        s.get(&db, &id(j)).unwrap();
                        Err::<(), ()>(())
                    });
                    undone = true;
                }
                _ => {}
            }
        }
        if rng.chance(failing) {
            ends[i] = End::Failed;
            calls += 1;
            db.atomically(|| s.fail(&db, &id(i), 1, "boom", 1_000, 0.5))
                .unwrap();
        } else {
            ends[i] = End::Succeeded;
            if from_mark {
                set(i, mark::DONE);
                marks_due = true;
                if waits {
                    marks_due = false;
                    undone = false;
                    calls += 1;
                    s.settle_marks_before_wait(&db).unwrap();
                    for j in (0..=i).filter(|&j| ends[j] == End::Succeeded) {
                        assert_eq!(
                            row(&db, &id(j)),
                            None,
                            "{}: {} not acknowledged after its wait",
                            context(i),
                            id(j)
                        );
                    }
                }
            } else {
                calls += 1;
                assert!(
                    s.ack(&db, &id(i), 1, 1_000).unwrap().value,
                    "{}: ack",
                    context(i)
                );
            }
        }
    }
    s.end_alarm(&db).unwrap();
    for (i, end) in ends.iter().enumerate() {
        let left = row(&db, &id(i));
        let expected = match end {
            End::Unstarted if cancelled[i] => None,
            End::Unstarted => Some((0, None)),
            End::Skipped | End::Succeeded => None,
            End::Failed => Some((1, None)),
        };
        assert_eq!(
            left,
            expected,
            "seed {seed}, n {n}: {} ended {end:?}",
            id(i)
        );
    }
    // Each core call above settles once (a claim, a start, a get, a cancel, an ack, a fail, a
    // wait), the run's end once more.
    (marks.marks_read(), calls)
}

/// Sizes on both sides of one and two chunks of a read (16 marks), and a few beyond.
const SIZES: [usize; 12] = [1, 2, 15, 16, 17, 18, 31, 32, 33, 34, 47, 70];

#[test]
fn every_scripted_batch_keeps_the_rules_of_the_marks() {
    for n in SIZES {
        for seed in 0..60 {
            let (read, calls) = run(n, seed);
            // A chunk per settle at most, beyond the marks it passes once: O(n + calls), not
            // O(n * calls).
            assert!(
                read <= 16 * calls + 2 * n,
                "seed {seed}, n {n}: {read} marks read in {calls} settles"
            );
        }
    }
}
