//! The core queue under storage faults: a `SqlBackend` that fails the Nth statement drives the
//! scheduler through random sequences of schedule, replace, cancel, claim, start, ack, fail,
//! retryFailed and crashes (a handle dropped mid-batch, its unconfirmed writes rolled back as an
//! aborted invocation's are), each call inside a transaction as the facade runs it. After every
//! call, failed or not, the invariants of the guarantees hold against a reference model:
//! a failed call changed nothing (G1), the alarm the calls asked for is armed at or before the
//! earliest due task (G2), a delivery that ended its invocation counted (G3), a replaced or
//! cancelled delivery never starts (G4, G5), a recurring task never disappears (G6).

#[path = "support/rusqlite_backend.rs"]
mod support;

use durable_core::backend::{BackendError, QueryResult, SqlBackend, SqlValue};
use durable_core::scheduler::{AlarmChange, RetryOptions, ScheduleRequest, Scheduler, Start, When};
use std::cell::Cell;
use std::collections::BTreeMap;
use support::RusqliteBackend;

/// Fails the statement numbered `fail_at` (counting from 1 since the last `arm`), once.
struct FaultyBackend {
    inner: RusqliteBackend,
    executed: Cell<u64>,
    fail_at: Cell<Option<u64>>,
    injected: Cell<u64>,
}

impl FaultyBackend {
    fn open() -> Self {
        let inner = RusqliteBackend::with_core_tables();
        FaultyBackend {
            inner,
            executed: Cell::new(0),
            fail_at: Cell::new(None),
            injected: Cell::new(0),
        }
    }

    fn arm(&self, fail_at: Option<u64>) {
        self.executed.set(0);
        self.fail_at.set(fail_at);
    }
}

impl SqlBackend for FaultyBackend {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        let n = self.executed.get() + 1;
        self.executed.set(n);
        if self.fail_at.get() == Some(n) {
            self.fail_at.set(None);
            self.injected.set(self.injected.get() + 1);
            return Err(BackendError {
                message: format!("injected fault at statement {n}"),
            });
        }
        self.inner.exec(sql, params)
    }
}

/// The rows that matter, as text: the whole state a failed call must leave unchanged.
fn dump(db: &FaultyBackend) -> String {
    let mut out = String::new();
    for table in ["_dc_tasks", "_dc_dead_tasks", "_dc_alarm"] {
        let rows = db
            .inner
            .exec(&format!("SELECT * FROM {table} ORDER BY 1"), &[])
            .unwrap()
            .rows;
        out.push_str(&format!("{table}: {rows:?}\n"));
    }
    out
}

fn rows(db: &FaultyBackend) -> BTreeMap<String, (String, i64, Option<i64>)> {
    db.inner
        .exec("SELECT id, payload, due, claimed, kind FROM _dc_tasks", &[])
        .unwrap()
        .rows
        .into_iter()
        .map(|row| {
            let id = row[0].as_str().unwrap().to_owned();
            (
                id,
                (
                    row[1].as_str().unwrap_or("").to_owned(),
                    row[2].as_i64().unwrap(),
                    row[3].as_i64(),
                ),
            )
        })
        .collect()
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The reference model: which version of which task is live, and what is armed.
#[derive(Default)]
struct Model {
    /// id -> (payload version, recurring)
    live: BTreeMap<String, (u64, bool)>,
    /// Versions cancelled or replaced.
    retired: Vec<u64>,
    /// The platform's alarm as the calls left it (a rolled-back call's change never applies).
    armed: Option<i64>,
}

impl Model {
    fn apply(&mut self, change: AlarmChange) {
        match change {
            AlarmChange::Set { time } => self.armed = Some(time),
            AlarmChange::Delete => self.armed = None,
            AlarmChange::Unchanged | AlarmChange::Repair => {}
        }
    }
}

fn request(id: &str, version: u64, recurring: bool, due: i64, attempts: f64) -> ScheduleRequest {
    ScheduleRequest {
        id: Some(id.to_owned()),
        method: "m".into(),
        payload: Some(format!("{version}")),
        when: if recurring {
            When::Every { interval: 500.0 }
        } else {
            When::At { time: due as f64 }
        },
        retry: RetryOptions {
            attempts: Some(attempts),
            backoff_ms: Some(10.0),
            max_backoff_ms: None,
            jitter: Some(false),
        },
    }
}

/// One call inside a transaction, maybe failing at a random statement; on failure the state must
/// be exactly what it was.
fn atomically<T>(
    db: &FaultyBackend,
    rng: &mut Rng,
    call: impl FnOnce() -> Result<T, durable_core::Error>,
) -> Option<T> {
    let before = dump(db);
    db.arm(if rng.below(3) == 0 {
        Some(1 + rng.below(6))
    } else {
        None
    });
    let result = db.inner.atomically(call);
    db.arm(None);
    match result {
        Ok(value) => Some(value),
        Err(error) => {
            assert!(
                error.to_string().contains("injected fault"),
                "unexpected error: {error}"
            );
            assert_eq!(dump(db), before, "a failed call changed the stored state");
            None
        }
    }
}

fn check(db: &FaultyBackend, model: &Model, label: &str) {
    let stored = rows(db);
    let expected: BTreeMap<_, _> = model
        .live
        .iter()
        .map(|(id, (v, _))| (id.clone(), v.to_string()))
        .collect();
    let actual: BTreeMap<_, _> = stored
        .iter()
        .map(|(id, (payload, _, _))| (id.clone(), payload.clone()))
        .collect();
    assert_eq!(actual, expected, "{label}: G1/G4/G6 stored tasks");
    if let Some(earliest) = stored.values().map(|(_, due, _)| *due).min() {
        let armed = model
            .armed
            .unwrap_or_else(|| panic!("{label}: G2 no alarm armed with tasks due from {earliest}"));
        assert!(
            armed <= earliest,
            "{label}: G2 armed at {armed}, earliest task due at {earliest}"
        );
    }
}

/// One alarm run of the facade, with faults: claims, starts and ends deliveries until nothing is
/// due or the handle "dies" (dropped; writes since the claim's confirmation rolled back).
fn run(db: &FaultyBackend, rng: &mut Rng, model: &mut Model, seed: u64, now: i64) -> bool {
    let mut s = Scheduler::new(seed);
    // As the facade does: getAlarm() (null while the alarm fires), then the run.
    if atomically(db, rng, || s.begin_alarm(db, None)).is_none() {
        return false;
    }
    model.armed = None;
    for _ in 0..20 {
        let Some(claim) = atomically(db, rng, || s.claim_due(db, now, 4)) else {
            return false;
        };
        for dead in &claim.dead {
            if let Some((v, recurring)) = model.live.get(&dead.task.id).copied() {
                if !recurring && dead.task.payload.as_deref() == Some(&v.to_string()) {
                    model.live.remove(&dead.task.id);
                }
            }
        }
        if claim.tasks.is_empty() {
            if claim.dead.is_empty() {
                break;
            }
            continue;
        }
        // The claim is confirmed here (ctx.storage.sync()); what follows may be lost in a crash.
        db.inner.exec("SAVEPOINT unconfirmed", &[]).unwrap();
        let confirmed = model.live.clone();
        for task in claim.tasks {
            let Some(start) = atomically(db, rng, || s.start(db, &task.id, task.attempts, now))
            else {
                db.inner.exec("RELEASE unconfirmed", &[]).unwrap();
                return false;
            };
            let payload = match start {
                Start::Skip => continue,
                Start::Run => task.payload.clone(),
                Start::Fresh(definition) => definition.payload,
            };
            let (version, recurring) = model
                .live
                .get(&task.id)
                .copied()
                .expect("a started task is live (G5)");
            assert_eq!(
                payload,
                Some(version.to_string()),
                "G4: a delivery ran an old definition"
            );
            match rng.below(6) {
                0 => {
                    // The handler ends the invocation: everything since the confirmation is lost.
                    db.inner
                        .exec("ROLLBACK TO unconfirmed; RELEASE unconfirmed", &[])
                        .unwrap();
                    model.live = confirmed;
                    return false;
                }
                1 | 2 => {
                    if let Some(failure) = atomically(db, rng, || {
                        s.fail(db, &task.id, task.attempts, "boom", now, 0.0)
                    }) {
                        if failure.dead.is_some() && !recurring {
                            model.live.remove(&task.id);
                        }
                    }
                }
                _ => {
                    if let Some(outcome) =
                        atomically(db, rng, || s.ack(db, &task.id, task.attempts, now))
                    {
                        assert!(
                            outcome.value,
                            "the ack of a current delivery changes its task"
                        );
                        if !recurring {
                            model.live.remove(&task.id);
                        }
                    }
                }
            }
        }
        db.inner.exec("RELEASE unconfirmed", &[]).unwrap();
    }
    match atomically(db, rng, || s.end_alarm(db)) {
        Some(change) => {
            model.apply(change);
            true
        }
        None => false,
    }
}

#[test]
fn the_queue_keeps_its_guarantees_when_any_statement_fails() {
    let mut injected = 0;
    let only: Option<u64> = std::env::var("FAULT_TRACE")
        .ok()
        .and_then(|s| s.parse().ok());
    for seed in 1..=250u64 {
        if only.is_some_and(|o| o != seed) {
            continue;
        }
        let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
        let db = FaultyBackend::open();
        let mut model = Model::default();
        let mut s = Scheduler::new(seed);
        let mut version = 0;
        let mut now = 1_000;
        for step in 0..40 {
            let id = ["a", "b", "c", "d"][rng.below(4) as usize];
            let label = format!("seed {seed} step {step}");
            match rng.below(10) {
                0..=3 => {
                    version += 1;
                    let recurring = rng.below(4) == 0;
                    let due = now + rng.below(2_000) as i64 - 500;
                    let attempts = (1 + rng.below(3)) as f64;
                    if let Some(outcome) = atomically(&db, &mut rng, || {
                        s.schedule(&db, request(id, version, recurring, due, attempts), now)
                    }) {
                        if let Some((old, _)) =
                            model.live.insert(id.to_owned(), (version, recurring))
                        {
                            model.retired.push(old);
                        }
                        model.apply(outcome.alarm);
                    }
                }
                4 => {
                    if let Some(outcome) = atomically(&db, &mut rng, || s.cancel(&db, id)) {
                        assert_eq!(
                            outcome.value,
                            model.live.remove(id).is_some(),
                            "{label}: cancel result"
                        );
                        model.apply(outcome.alarm);
                    }
                }
                5 => {
                    let was_live = model.live.get(id).copied();
                    if let Some(Some(outcome)) =
                        atomically(&db, &mut rng, || s.retry_failed(&db, id, now))
                    {
                        let payload: u64 =
                            outcome.value.payload.as_deref().unwrap().parse().unwrap();
                        let recurring = outcome.value.kind.is_recurring();
                        if !(recurring
                            && was_live.is_some_and(|(_, live_recurring)| live_recurring))
                        {
                            model.live.insert(id.to_owned(), (payload, recurring));
                        }
                        model.apply(outcome.alarm);
                    }
                }
                6 => {
                    // A restart: a fresh handle, woken with the alarm the platform holds.
                    s = Scheduler::new(seed + step);
                    match atomically(&db, &mut rng, || s.wake(&db, model.armed, now)) {
                        Some(AlarmChange::Repair) => {
                            model.apply(
                                atomically(&db, &mut rng, || s.settle(&db))
                                    .unwrap_or(AlarmChange::Unchanged),
                            );
                        }
                        Some(change) => model.apply(change),
                        None => {}
                    }
                }
                _ => {
                    now += rng.below(1_500) as i64;
                    if !run(&db, &mut rng, &mut model, seed * 1_000 + step, now) {
                        // The invocation ended: the next one wakes with the platform's alarm and repairs.
                        s = Scheduler::new(seed + step + 7);
                        let change = db
                            .inner
                            .atomically(|| s.wake(&db, model.armed, now))
                            .unwrap();
                        let change = if change == AlarmChange::Repair {
                            s.settle(&db).unwrap()
                        } else {
                            change
                        };
                        model.apply(change);
                    }
                }
            }
            if std::env::var("FAULT_TRACE").ok().as_deref() == Some(&seed.to_string()) {
                eprintln!(
                    "{label}: live {:?} stored {:?} armed {:?} injected {}",
                    model.live,
                    rows(&db),
                    model.armed,
                    db.injected.get()
                );
            }
            check(&db, &model, &label);
        }
        injected += db.injected.get();
        // G1, G3: without faults and with every handler succeeding, every one-shot ends.
        for _ in 0..50 {
            now += 1_000;
            let mut s = Scheduler::new(seed);
            s.begin_alarm(&db, None).unwrap();
            loop {
                let claim = db.inner.atomically(|| s.claim_due(&db, now, 16)).unwrap();
                for dead in &claim.dead {
                    if model
                        .live
                        .get(&dead.task.id)
                        .is_some_and(|(_, recurring)| !recurring)
                    {
                        model.live.remove(&dead.task.id);
                    }
                }
                if claim.tasks.is_empty() && claim.dead.is_empty() {
                    break;
                }
                for task in claim.tasks {
                    if s.start(&db, &task.id, task.attempts, now).unwrap() != Start::Skip {
                        s.ack(&db, &task.id, task.attempts, now).unwrap();
                        if model
                            .live
                            .get(&task.id)
                            .is_some_and(|(_, recurring)| !recurring)
                        {
                            model.live.remove(&task.id);
                        }
                    }
                }
            }
            model.apply(s.end_alarm(&db).unwrap());
        }
        check(&db, &model, &format!("seed {seed} drained"));
        assert!(
            model.live.values().all(|(_, recurring)| *recurring),
            "seed {seed}: G1 one-shots left"
        );
    }
    assert!(
        only.is_some() || injected > 1_000,
        "only {injected} faults were injected"
    );
}
