//! Secondary-index maintenance through the `SqlBackend` on rusqlite, driven as the facade will
//! drive it (each operation in one transaction, primary entries in a kv table of the same
//! database), against a brute-force model over long random sequences.

#[path = "support/rusqlite_backend.rs"]
mod support;

use durable_core::backend::{SqlBackend, SqlValue};
use durable_core::error::ErrorCode;
use durable_core::schema::{apply, core_migrations, read_ledger};
use durable_core::store::cache::ReadCache;
use durable_core::store::{
    encode, BuildOutcome, IndexDefinition, IndexEntry, KeyError, KeyPart, KvRange, Lower, Range,
    Store, StoreError,
};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::rc::Rc;
use support::RusqliteBackend;

#[derive(Debug, Clone, Copy, PartialEq)]
struct User {
    email: u8,
    age: Option<u8>,
}

fn by_email() -> IndexDefinition {
    IndexDefinition {
        name: "byEmail".into(),
        unique: true,
        source: "(u) => u.email".into(),
        ..Default::default()
    }
}

fn by_age() -> IndexDefinition {
    IndexDefinition {
        name: "byAge".into(),
        unique: false,
        source: "(u) => u.age".into(),
        ..Default::default()
    }
}

fn primary(id: u8) -> Vec<KeyPart> {
    vec![
        KeyPart::String("user".into()),
        KeyPart::Number(f64::from(id)),
    ]
}

fn email_key(email: u8) -> Vec<KeyPart> {
    vec![KeyPart::String(format!("{email}@example.com"))]
}

fn age_key(age: u8) -> Vec<KeyPart> {
    vec![KeyPart::Number(f64::from(age))]
}

/// What the facade computes in JS from a value with the user's key functions.
fn index_keys(store: &Store, user: &User) -> Vec<(String, Option<Vec<KeyPart>>)> {
    store
        .maintained_indexes()
        .map(|name| {
            let key = match name {
                "byEmail" => Some(email_key(user.email)),
                _ => user.age.map(age_key),
            };
            (name.to_owned(), key)
        })
        .collect()
}

/// An object's database: the core's tables plus a `kv` table standing in for `ctx.storage.kv`,
/// which lives in the same SQLite database and so rolls back with it.
struct Object {
    db: Rc<RusqliteBackend>,
    cache: ReadCache,
    store: Store,
}

impl Object {
    fn new(indexes: &[IndexDefinition]) -> Object {
        let db = Rc::new(RusqliteBackend::open());
        let mut ledger = read_ledger(&*db).unwrap();
        for (scope, migrations) in core_migrations() {
            for version in ledger.pending(scope, &migrations).unwrap() {
                let migration = &migrations[version as usize - 1];
                db.atomically(|| apply(&*db, scope, version, migration, 0.0))
                    .unwrap();
                ledger.record(scope, version, migration);
            }
        }
        db.exec(
            "CREATE TABLE kv (key TEXT PRIMARY KEY, email INTEGER, age INTEGER)",
            &[],
        )
        .unwrap();
        let mut cache = ReadCache::default();
        let store = db
            .atomically(|| Store::open(&*db, &mut cache, 1, indexes))
            .unwrap();
        Object { db, cache, store }
    }

    fn reopen(&mut self, indexes: &[IndexDefinition]) {
        let cache = &mut self.cache;
        self.store = self
            .db
            .atomically(|| Store::open(&*self.db, cache, 1, indexes))
            .unwrap();
    }

    /// `store.put` without its own transaction (a batch provides it).
    fn put_in_tx(&mut self, id: u8, user: User) -> Result<(), StoreError> {
        let keys = index_keys(&self.store, &user);
        let kv_key = self
            .store
            .put(&*self.db, &mut self.cache, &primary(id), &keys)?;
        self.db
            .exec(
                "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)",
                &[
                    kv_key.into(),
                    SqlValue::Integer(user.email.into()),
                    user.age.map(i64::from).into(),
                ],
            )
            .map(|_| ())
            .map_err(Into::into)
    }

    fn delete_in_tx(&mut self, id: u8) -> Result<(), StoreError> {
        let kv_key = self
            .store
            .delete(&*self.db, &mut self.cache, &primary(id))?;
        self.db
            .exec("DELETE FROM kv WHERE key = ?", &[kv_key.into()])?;
        Ok(())
    }

    /// `deleteRange`: list the keys (as `kv.list` would), delete them, then the index rows.
    fn delete_range_in_tx(&mut self, from: u8, to: u8) -> Result<(), StoreError> {
        let range = Range {
            start: Some(primary(from)),
            end: Some(primary(to)),
            ..Range::default()
        };
        let plan = KvRange::plan(&range)?;
        let listed: Vec<String> = self
            .db
            .exec(
                "SELECT key FROM kv WHERE key >= ? AND key < ? ORDER BY key",
                &[plan.lower.key().into(), plan.end.as_str().into()],
            )?
            .rows
            .iter()
            .filter_map(|row| row.first()?.as_str().map(str::to_owned))
            .collect();
        for key in &listed {
            self.db
                .exec("DELETE FROM kv WHERE key = ?", &[key.as_str().into()])?;
        }
        if let (Some(first), Some(last)) = (listed.first(), listed.last()) {
            self.store
                .delete_span(&*self.db, &mut self.cache, first, last)?;
        }
        Ok(())
    }

    fn in_transaction(
        &mut self,
        op: impl FnOnce(&mut Object) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let db = Rc::clone(&self.db);
        db.atomically(|| op(self))
    }

    /// `index("byEmail").get`, filling the cache on a miss.
    fn email_lookup(&mut self, email: u8) -> Vec<String> {
        self.email_lookup_filling(email, true)
    }

    /// A lookup as the facade makes it inside a transaction that wrote index rows (`fill` false).
    fn email_lookup_filling(&mut self, email: u8, fill: bool) -> Vec<String> {
        self.store
            .index_get(
                &*self.db,
                &mut self.cache,
                "byEmail",
                &email_key(email),
                fill,
            )
            .unwrap()
    }

    /// The error code queries on `index` report (INDEX_UNKNOWN, INDEX_BUILDING, INDEX_UNIQUE...).
    fn query_error(&self, index: &str) -> Option<&'static str> {
        self.store
            .index_count(&*self.db, index, &Range::default())
            .err()
            .map(|e| e.code())
    }

    fn index_rows(&self) -> Vec<(String, String, String)> {
        self.db
            .exec(
                "SELECT index_name, index_key, primary_key FROM _dc_store_index ORDER BY 1, 2, 3",
                &[],
            )
            .unwrap()
            .rows
            .iter()
            .map(|r| {
                (
                    r[0].as_str().unwrap().into(),
                    r[1].as_str().unwrap().into(),
                    r[2].as_str().unwrap().into(),
                )
            })
            .collect()
    }

    /// Every rebuild chunk of `size` entries until ready or failed, listing kv as the facade does.
    fn build(&mut self, size: u32) -> BuildOutcome {
        loop {
            let Some(mut step) = self.store.build_step() else {
                return BuildOutcome::Ready;
            };
            step.range.limit = Some(size);
            let (lower_op, lower) = match &step.range.lower {
                Lower::Inclusive(k) => (">=", k.clone()),
                Lower::Exclusive(k) => (">", k.clone()),
            };
            let rows = self
                .db
                .exec(
                    &format!("SELECT key, email, age FROM kv WHERE key {lower_op} ? AND key < ? ORDER BY key LIMIT ?"),
                    &[lower.into(), step.range.end.as_str().into(), SqlValue::Integer(size.into())],
                )
                .unwrap()
                .rows;
            let entries: Vec<(String, Option<Vec<KeyPart>>)> = rows
                .iter()
                .map(|r| {
                    let user = User {
                        email: r[1].as_i64().unwrap() as u8,
                        age: r[2].as_i64().map(|a| a as u8),
                    };
                    let key = if step.index == "byEmail" {
                        Some(email_key(user.email))
                    } else {
                        user.age.map(age_key)
                    };
                    (r[0].as_str().unwrap().to_owned(), key)
                })
                .collect();
            let complete = entries.len() < size as usize;
            let index = step.index.clone();
            let mut outcome = BuildOutcome::Progress;
            self.in_transaction(|o| {
                let (db, cache) = (&*o.db, &mut o.cache);
                outcome = o.store.build_chunk(db, cache, &index, &entries, complete)?;
                Ok(())
            })
            .unwrap();
            match outcome {
                BuildOutcome::Failed { .. } => return outcome,
                BuildOutcome::Ready if self.store.build_step().is_none() => {
                    return BuildOutcome::Ready
                }
                _ => {}
            }
        }
    }
}

/// The brute-force model: the users by id.
type Model = BTreeMap<u8, User>;

fn model_put(model: &mut Model, id: u8, user: User) -> Result<(), &'static str> {
    if model
        .iter()
        .any(|(other, u)| *other != id && u.email == user.email)
    {
        return Err("INDEX_UNIQUE");
    }
    model.insert(id, user);
    Ok(())
}

fn expected_rows(model: &Model) -> Vec<(String, String, String)> {
    let mut rows = Vec::new();
    for (id, user) in model {
        let pk = encode(&primary(*id)).unwrap();
        rows.push((
            "byEmail".to_owned(),
            encode(&email_key(user.email)).unwrap(),
            pk.clone(),
        ));
        if let Some(age) = user.age {
            rows.push(("byAge".to_owned(), encode(&age_key(age)).unwrap(), pk));
        }
    }
    rows.sort();
    rows
}

#[derive(Debug, Clone)]
enum Op {
    Put(u8, User),
    Delete(u8),
    DeleteRange(u8, u8),
    /// Writes in one transaction; `throws` = the user's callback throws at the end.
    Batch(Vec<Op>, bool),
}

fn user() -> impl Strategy<Value = User> {
    (0u8..12, proptest::option::of(0u8..5)).prop_map(|(email, age)| User { email, age })
}

fn single_op() -> impl Strategy<Value = Op> {
    prop_oneof![
        6 => (0u8..16, user()).prop_map(|(id, u)| Op::Put(id, u)),
        2 => (0u8..16).prop_map(Op::Delete),
        1 => (0u8..16, 0u8..16).prop_map(|(a, b)| Op::DeleteRange(a, b)),
    ]
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        8 => single_op(),
        2 => (proptest::collection::vec(single_op(), 1..6), any::<bool>()).prop_map(|(ops, throws)| Op::Batch(ops, throws)),
    ]
}

fn run_op(object: &mut Object, op: &Op) -> Result<(), StoreError> {
    match op {
        Op::Put(id, user) => object.put_in_tx(*id, *user),
        Op::Delete(id) => object.delete_in_tx(*id),
        Op::DeleteRange(a, b) => object.delete_range_in_tx(*a, *b),
        Op::Batch(..) => unreachable!("batches do not nest"),
    }
}

fn run_model(model: &mut Model, op: &Op) -> Result<(), &'static str> {
    match op {
        Op::Put(id, user) => model_put(model, *id, *user),
        Op::Delete(id) => {
            model.remove(id);
            Ok(())
        }
        Op::DeleteRange(a, b) => {
            model.retain(|id, _| !(a <= id && id < b));
            Ok(())
        }
        Op::Batch(..) => unreachable!(),
    }
}

fn check(object: &mut Object, model: &Model) {
    assert_eq!(object.index_rows(), expected_rows(model));
    for email in 0..12 {
        let expected: Vec<String> = model
            .iter()
            .filter(|(_, u)| u.email == email)
            .map(|(id, _)| encode(&primary(*id)).unwrap())
            .collect();
        assert_eq!(
            object.email_lookup(email),
            expected,
            "byEmail {email} (cache must follow writes)"
        );
    }
    for age in 0..5 {
        let expected = model.values().filter(|u| u.age == Some(age)).count() as u64;
        let range = Range {
            prefix: Some(age_key(age)),
            ..Range::default()
        };
        assert_eq!(
            object
                .store
                .index_count(&*object.db, "byAge", &range)
                .unwrap(),
            expected
        );
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn indexes_match_a_brute_force_model(ops in proptest::collection::vec(op(), 1..120)) {
        let mut object = Object::new(&[by_email(), by_age()]);
        prop_assert_eq!(object.build(50), BuildOutcome::Ready);
        let mut model = Model::new();
        for op in &ops {
            match op {
                Op::Batch(inner, throws) => {
                    let mut staged = model.clone();
                    let expected: Result<(), &str> = inner.iter().try_for_each(|o| run_model(&mut staged, o));
                    let result = object.in_transaction(|o| {
                        for inner_op in inner {
                            run_op(o, inner_op)?;
                            // A read inside the batch must not cache what a rollback undoes.
                            o.email_lookup_filling(0, false);
                        }
                        if *throws { Err(StoreError::Key(KeyError::Type("user callback threw".into()))) } else { Ok(()) }
                    });
                    match expected {
                        Ok(()) if !*throws => { prop_assert!(result.is_ok(), "{:?}", result); model = staged; }
                        Ok(()) => prop_assert_eq!(result.unwrap_err().code(), "KEY_TYPE"),
                        Err(code) => prop_assert_eq!(result.unwrap_err().code(), code),
                    }
                }
                single => {
                    let expected = run_model(&mut model, single);
                    let result = object.in_transaction(|o| run_op(o, single));
                    prop_assert_eq!(result.map_err(|e| e.code()), expected);
                }
            }
            check(&mut object, &model);
        }
    }
}

#[test]
fn a_unique_violation_writes_nothing() {
    let mut object = Object::new(&[by_email(), by_age()]);
    object.build(10);
    object
        .in_transaction(|o| {
            o.put_in_tx(
                1,
                User {
                    email: 7,
                    age: Some(1),
                },
            )
        })
        .unwrap();
    let before = object.index_rows();
    let err = object
        .in_transaction(|o| {
            o.put_in_tx(
                2,
                User {
                    email: 7,
                    age: Some(2),
                },
            )
        })
        .unwrap_err();
    assert_eq!(err.code(), "INDEX_UNIQUE");
    assert_eq!(object.index_rows(), before);
    // The same entry keeping its own email is no conflict.
    object
        .in_transaction(|o| {
            o.put_in_tx(
                1,
                User {
                    email: 7,
                    age: Some(3),
                },
            )
        })
        .unwrap();
}

#[test]
fn unknown_building_and_malformed_index_calls_are_refused() {
    let mut object = Object::new(&[by_email()]);
    let building = object
        .store
        .index_get(
            &*object.db,
            &mut object.cache,
            "byEmail",
            &email_key(1),
            true,
        )
        .unwrap_err();
    assert_eq!(building.code(), "INDEX_BUILDING");
    object.build(10);
    let unknown = object
        .store
        .index_count(&*object.db, "nope", &Range::default())
        .unwrap_err();
    assert_eq!(unknown.code(), "INDEX_UNKNOWN");
    let bad_key = object
        .store
        .put(
            &*object.db,
            &mut object.cache,
            &primary(1),
            &[("byEmail".into(), Some(vec![KeyPart::Number(f64::NAN)]))],
        )
        .unwrap_err();
    assert_eq!(bad_key.code(), "KEY_TYPE");
    let missing = object
        .store
        .put(&*object.db, &mut object.cache, &primary(1), &[])
        .unwrap_err();
    assert_eq!(missing.code(), "ARGUMENT");
    assert!(object.index_rows().is_empty());
}

#[test]
fn an_added_index_is_built_in_chunks_while_writes_continue() {
    let mut object = Object::new(&[by_email()]);
    object.build(10);
    let mut model = Model::new();
    for id in 0..40 {
        let user = User {
            email: id,
            age: Some(id % 5),
        };
        object.in_transaction(|o| o.put_in_tx(id, user)).unwrap();
        model.insert(id, user);
    }
    object.reopen(&[by_email(), by_age()]);
    assert!(object
        .store
        .index_count(&*object.db, "byAge", &Range::default())
        .is_err());
    // Run one chunk by hand, then write on both sides of the cursor, then finish.
    let first = object.store.build_step().unwrap();
    assert_eq!(first.index, "byAge");
    let chunk: Vec<(String, Option<Vec<KeyPart>>)> = (0..7)
        .map(|id| (encode(&primary(id)).unwrap(), Some(age_key(id % 5))))
        .collect();
    object
        .in_transaction(|o| {
            let (db, cache) = (&*o.db, &mut o.cache);
            o.store
                .build_chunk(db, cache, "byAge", &chunk, false)
                .map(|_| ())
        })
        .unwrap();
    for (id, age) in [(3, None), (30, Some(4)), (50, Some(1))] {
        let user = User {
            email: 100 + id,
            age,
        };
        object.in_transaction(|o| o.put_in_tx(id, user)).unwrap();
        model.insert(id, user);
    }
    object.in_transaction(|o| o.delete_in_tx(31)).unwrap();
    model.remove(&31);
    assert_eq!(object.build(7), BuildOutcome::Ready);
    assert_eq!(object.index_rows(), expected_rows(&model));
    let page: Vec<IndexEntry> = object
        .store
        .index_list(
            &*object.db,
            "byAge",
            &Range {
                prefix: Some(age_key(4)),
                reverse: true,
                limit: Some(3),
                ..Range::default()
            },
            None,
        )
        .unwrap();
    let mut expected: Vec<String> = model
        .iter()
        .filter(|(_, u)| u.age == Some(4))
        .map(|(id, _)| encode(&primary(*id)).unwrap())
        .collect();
    expected.reverse();
    assert_eq!(
        page.iter()
            .map(|e| e.primary_key.clone())
            .collect::<Vec<_>>(),
        expected[..3]
    );
    let rest = object
        .store
        .index_list(
            &*object.db,
            "byAge",
            &Range {
                prefix: Some(age_key(4)),
                reverse: true,
                ..Range::default()
            },
            page.last(),
        )
        .unwrap();
    assert_eq!(
        rest.iter()
            .map(|e| e.primary_key.clone())
            .collect::<Vec<_>>(),
        expected[3..]
    );
}

/// An object with both indexes built, then `count` users (ids and emails `0..count`, all of
/// age 1) put, each in its own transaction.
fn with_users_of_age_one(count: u8) -> Object {
    let mut object = Object::new(&[by_email(), by_age()]);
    object.build(10);
    for id in 0..count {
        object
            .in_transaction(|o| {
                o.put_in_tx(
                    id,
                    User {
                        email: id,
                        age: Some(1),
                    },
                )
            })
            .unwrap();
    }
    object
}

#[test]
fn a_changed_index_is_rebuilt_and_a_dropped_one_removed() {
    let mut object = with_users_of_age_one(5);
    let non_unique_email = IndexDefinition {
        unique: false,
        ..by_email()
    };
    object.reopen(&[non_unique_email]);
    assert!(
        object.index_rows().is_empty(),
        "changed byEmail restarts, dropped byAge is gone"
    );
    assert_eq!(object.query_error("byAge"), Some("INDEX_UNKNOWN"));
    assert_eq!(object.build(2), BuildOutcome::Ready);
    assert_eq!(object.index_rows().len(), 5);
}

#[test]
fn dropping_every_index_removes_their_rows_and_definitions() {
    let mut object = with_users_of_age_one(3);
    assert_eq!(object.index_rows().len(), 6);
    object.reopen(&[]);
    assert!(
        object.index_rows().is_empty(),
        "no index is declared any more"
    );
    let definitions = object
        .db
        .exec("SELECT name FROM _dc_store_indexes", &[])
        .unwrap()
        .rows;
    assert!(definitions.is_empty(), "{definitions:?}");
}

#[test]
fn a_store_without_index_tables_opens_with_none() {
    let db = RusqliteBackend::open();
    let mut cache = ReadCache::default();
    let store = db
        .atomically(|| Store::open(&db, &mut cache, 1, &[]))
        .unwrap();
    assert_eq!(store.maintained_indexes().count(), 0);
}

#[test]
fn a_unique_index_over_duplicates_fails_its_build_and_says_why() {
    let mut object = Object::new(&[]);
    for id in 0..6 {
        object
            .in_transaction(|o| {
                o.put_in_tx(
                    id,
                    User {
                        email: id % 3,
                        age: None,
                    },
                )
            })
            .unwrap();
    }
    object.reopen(&[by_email()]);
    let BuildOutcome::Failed { reason } = object.build(4) else {
        panic!("duplicates must fail the build")
    };
    assert!(reason.contains("@example.com"), "{reason}");
    assert!(object.index_rows().is_empty());
    let err = object
        .store
        .index_get(
            &*object.db,
            &mut object.cache,
            "byEmail",
            &email_key(0),
            true,
        )
        .unwrap_err();
    assert_eq!(err.code(), "INDEX_UNIQUE");
    // A failed index is no longer maintained, so writes need no key for it.
    object
        .in_transaction(|o| {
            o.put_in_tx(
                9,
                User {
                    email: 0,
                    age: None,
                },
            )
        })
        .unwrap();
    object.reopen(&[by_email()]);
    assert_eq!(
        object.query_error("byEmail"),
        Some("INDEX_UNIQUE"),
        "still failed after a reopen"
    );
}

#[test]
fn a_lookup_not_allowed_to_fill_leaves_the_cache_alone() {
    let mut object = Object::new(&[by_email()]);
    object.build(10);
    object
        .in_transaction(|o| {
            o.put_in_tx(
                1,
                User {
                    email: 1,
                    age: None,
                },
            )
        })
        .unwrap();
    assert_eq!(object.email_lookup_filling(1, false).len(), 1);
    assert!(
        object.cache.is_empty(),
        "no fill while a writing transaction may be open"
    );
    assert_eq!(object.email_lookup_filling(1, true).len(), 1);
    assert_eq!(object.cache.len(), 1);
}

#[test]
fn a_key_function_that_threw_fails_its_index_and_says_why() {
    let mut object = Object::new(&[]);
    for id in 0..4 {
        object
            .in_transaction(|o| {
                o.put_in_tx(
                    id,
                    User {
                        email: id,
                        age: Some(id),
                    },
                )
            })
            .unwrap();
    }
    object.reopen(&[by_email(), by_age()]);
    assert_eq!(
        object.build(2),
        BuildOutcome::Ready,
        "byEmail first, then byAge"
    );
    let by_age_rows = object
        .index_rows()
        .iter()
        .filter(|r| r.0 == "byAge")
        .count();
    assert_eq!(by_age_rows, 4);
    // The facade met a throw in byAge's key function while rebuilding after a redefinition.
    let changed_age = IndexDefinition {
        source: "(u) => u.age.toFixed()".into(),
        ..by_age()
    };
    object.reopen(&[by_email(), changed_age.clone()]);
    let primary_key = encode(&primary(2)).unwrap();
    let mut reason = String::new();
    object
        .in_transaction(|o| {
            let (db, cache) = (&*o.db, &mut o.cache);
            reason = o.store.fail_index(
                db,
                cache,
                "byAge",
                &primary_key,
                "TypeError: boom",
                "INDEX_KEY_FUNCTION",
            )?;
            Ok(())
        })
        .unwrap();
    assert!(
        reason.contains("threw") && reason.contains("TypeError: boom"),
        "{reason}"
    );
    assert!(
        reason.contains(r#"entry ["user", 2]"#),
        "keys print as JavaScript literals: {reason}"
    );
    assert_eq!(
        object.query_error("byAge"),
        Some("INDEX_KEY_FUNCTION"),
        "a throw is not a uniqueness problem"
    );
    let failure = object
        .store
        .first_failure()
        .expect("store.ready() rejects with the build's error");
    assert_eq!(failure.code(), "INDEX_KEY_FUNCTION");
    assert!(failure.to_string().contains("index `byAge`"), "{failure}");
    let message = object
        .store
        .index_count(&*object.db, "byAge", &Range::default())
        .unwrap_err()
        .to_string();
    assert!(message.contains("TypeError: boom"), "{message}");
    assert!(object.index_rows().iter().all(|r| r.0 == "byEmail"));
    assert_eq!(
        object.store.maintained_indexes().collect::<Vec<_>>(),
        ["byEmail"]
    );
    object.reopen(&[by_email(), changed_age]);
    assert_eq!(
        object.query_error("byAge"),
        Some("INDEX_KEY_FUNCTION"),
        "still failed after a reopen, with its code"
    );
    object.reopen(&[by_email(), by_age()]);
    assert_eq!(
        object.build(10),
        BuildOutcome::Ready,
        "a new definition rebuilds it"
    );
    assert_eq!(object.query_error("byAge"), None);
}

#[test]
fn an_index_key_that_is_not_a_key_fails_the_build_instead_of_refusing_it() {
    let mut object = Object::new(&[]);
    object
        .in_transaction(|o| {
            o.put_in_tx(
                1,
                User {
                    email: 1,
                    age: None,
                },
            )
        })
        .unwrap();
    object.reopen(&[by_age()]);
    let step = object.store.build_step().unwrap();
    let entries = vec![(
        encode(&primary(1)).unwrap(),
        Some(vec![KeyPart::Number(f64::NAN)]),
    )];
    let mut outcome = BuildOutcome::Progress;
    object
        .in_transaction(|o| {
            let (db, cache) = (&*o.db, &mut o.cache);
            outcome = o
                .store
                .build_chunk(db, cache, &step.index, &entries, true)?;
            Ok(())
        })
        .unwrap();
    let BuildOutcome::Failed { reason } = outcome else {
        panic!("a NaN index key must fail the build: {outcome:?}")
    };
    assert!(reason.contains("not a key"), "{reason}");
    assert_eq!(object.query_error("byAge"), Some("KEY_TYPE"));
    assert_eq!(
        object.store.first_failure().map(|e| e.code()),
        Some("KEY_TYPE")
    );
}

fn scoped_age(prefix: &str) -> IndexDefinition {
    IndexDefinition {
        prefix: Some(vec![KeyPart::String(prefix.into())]),
        ..by_age()
    }
}

fn key_at(kind: &str, id: u8) -> Vec<KeyPart> {
    vec![KeyPart::String(kind.into()), KeyPart::Number(f64::from(id))]
}

impl Object {
    /// A put under any key, with the keys of every maintained index given (as a careless
    /// facade would): the core itself keeps entries outside an index's prefix out of it.
    fn put_at(&mut self, key: &[KeyPart], user: User) -> Result<(), StoreError> {
        let keys = index_keys(&self.store, &user);
        let db = Rc::clone(&self.db);
        db.atomically(|| {
            let kv_key = self.store.put(&*self.db, &mut self.cache, key, &keys)?;
            self.db.exec(
                "INSERT OR REPLACE INTO kv VALUES (?, ?, ?)",
                &[
                    kv_key.into(),
                    SqlValue::Integer(user.email.into()),
                    user.age.map(i64::from).into(),
                ],
            )?;
            Ok(())
        })
    }

    fn indexed_primary_keys(&self) -> Vec<String> {
        self.index_rows()
            .into_iter()
            .map(|(_, _, primary)| primary)
            .collect()
    }
}

#[test]
fn a_prefix_scoped_index_holds_only_the_entries_under_its_prefix() {
    let mut object = Object::new(&[]);
    let age = |age| User {
        email: age,
        age: Some(age),
    };
    object.put_at(&key_at("user", 1), age(10)).unwrap();
    object.put_at(&key_at("admin", 2), age(10)).unwrap();
    object.put_at(&key_at("user", 3), age(20)).unwrap();
    object
        .put_at(&[KeyPart::String("users".into())], age(10))
        .unwrap();

    // Built from existing entries: the build only lists the prefix.
    object.reopen(&[scoped_age("user")]);
    assert_eq!(object.build(1), BuildOutcome::Ready);
    let user = |id| encode(&key_at("user", id)).unwrap();
    assert_eq!(object.indexed_primary_keys(), [user(1), user(3)]);

    // Maintained on put and delete: an entry elsewhere never gets a row, even if keys are given.
    object.put_at(&key_at("admin", 4), age(10)).unwrap();
    object.put_at(&key_at("user", 5), age(10)).unwrap();
    let lookup = object
        .store
        .index_get(&*object.db, &mut object.cache, "byAge", &age_key(10), false)
        .unwrap();
    assert_eq!(lookup, [user(1), user(5)]);
    object
        .in_transaction(|o| {
            o.store
                .delete(&*o.db, &mut o.cache, &key_at("user", 1))
                .map(|_| ())
        })
        .unwrap();
    assert_eq!(object.indexed_primary_keys(), [user(5), user(3)]);

    // A changed prefix is a changed index: rebuilt over the new prefix only.
    object.reopen(&[scoped_age("admin")]);
    assert_eq!(object.query_error("byAge"), Some("INDEX_BUILDING"));
    assert_eq!(object.build(10), BuildOutcome::Ready);
    let admin = |id| encode(&key_at("admin", id)).unwrap();
    assert_eq!(object.indexed_primary_keys(), [admin(2), admin(4)]);
}

#[test]
fn a_prefix_that_is_not_a_key_is_refused_when_the_store_opens() {
    let mut object = Object::new(&[]);
    let bad = IndexDefinition {
        prefix: Some(vec![KeyPart::Number(f64::NAN)]),
        ..by_age()
    };
    let cache = &mut object.cache;
    let err = object
        .db
        .atomically(|| Store::open(&*object.db, cache, 1, &[bad]))
        .unwrap_err();
    assert_eq!(err.code(), "INDEX_DEFINITION");
    assert!(err.to_string().contains("byAge"), "{err}");
}

#[test]
fn a_changed_version_rebuilds_and_an_unversioned_index_keeps_its_checksum() {
    let mut object = Object::new(&[by_age()]);
    object
        .put_at(
            &key_at("user", 1),
            User {
                email: 1,
                age: Some(7),
            },
        )
        .unwrap();
    assert_eq!(object.build(10), BuildOutcome::Ready);
    let stored = |o: &Object| {
        o.db.exec(
            "SELECT checksum FROM _dc_store_indexes WHERE name = 'byAge'",
            &[],
        )
        .unwrap()
        .rows[0][0]
            .as_str()
            .unwrap()
            .to_owned()
    };
    // The fingerprint of an index declared without `version` or `prefix` is what it was before
    // either existed: upgrading durable-core rebuilds nothing.
    assert_eq!(
        stored(&object),
        durable_core::checksum::fingerprint("false\n(u) => u.age")
    );

    // Same text, new version (a closure's captured field changed, say): rebuilt.
    let v2 = IndexDefinition {
        version: Some("2".into()),
        ..by_age()
    };
    object.reopen(std::slice::from_ref(&v2));
    assert_eq!(object.query_error("byAge"), Some("INDEX_BUILDING"));
    assert_eq!(object.build(10), BuildOutcome::Ready);
    let checksum = stored(&object);
    // The same version again: kept as it is.
    object.reopen(&[v2]);
    assert!(object.store.build_step().is_none());
    assert_eq!(stored(&object), checksum);
}

#[test]
fn a_unique_violation_names_the_index_key_and_both_entries() {
    let mut object = Object::new(&[by_email()]);
    object
        .put_at(
            &key_at("user", 1),
            User {
                email: 5,
                age: None,
            },
        )
        .unwrap();
    let err = object
        .put_at(
            &key_at("user", 2),
            User {
                email: 5,
                age: None,
            },
        )
        .unwrap_err();
    assert_eq!(err.code(), "INDEX_UNIQUE");
    let message = err.to_string();
    assert!(
        message.contains(r#"["5@example.com"]"#)
            && message.contains(r#"["user", 1]"#)
            && message.contains(r#"["user", 2]"#),
        "{message}"
    );
}

#[test]
fn an_index_key_that_is_not_a_key_on_put_names_the_index_and_the_entry() {
    let mut object = Object::new(&[by_age()]);
    let keys = vec![(
        "byAge".to_owned(),
        Some(vec![KeyPart::Number(f64::INFINITY)]),
    )];
    let err = object
        .store
        .put(&*object.db, &mut object.cache, &key_at("user", 3), &keys)
        .unwrap_err();
    assert_eq!(err.code(), "KEY_TYPE");
    let message = err.to_string();
    assert!(
        message.contains("index `byAge`") && message.contains(r#"["user", 3]"#),
        "{message}"
    );
}
