//! Compiled templates run on a real SQLite (rusqlite), bound the way the facade binds them:
//! IN lists of every length, JSON values, quoted identifiers, blob lists, SQLite's own errors.

#[path = "support/rusqlite_backend.rs"]
#[allow(dead_code)] // shared support; this file needs no transactions
mod support;

use durable_core::sql::{compile, run, Arg, Hole, Template};
use durable_core::{ErrorCode, SqlBackend, SqlValue};
use support::RusqliteBackend;

fn template(strings: &[&str], holes: Vec<Hole>) -> Template {
    Template { strings: strings.iter().map(|s| s.to_string()).collect(), holes }
}

/// A database whose `items` holds ids 1..=20,000 named `item-<id>`.
fn items() -> RusqliteBackend {
    let db = RusqliteBackend::open();
    db.exec(
        "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL); \
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) \
         INSERT INTO items SELECT i, 'item-' || i FROM n",
        &[],
    )
    .unwrap();
    db
}

fn count_in(db: &RusqliteBackend, column: &str, list: Vec<SqlValue>) -> i64 {
    let compiled = compile(&template(
        &["SELECT count(*) FROM items WHERE ", " IN ", ""],
        vec![Hole::Id { name: column.into() }, Hole::In],
    ))
    .unwrap();
    let result = run(db, &compiled, vec![Arg::List(list)]).unwrap();
    result.scalar().and_then(SqlValue::as_i64).unwrap()
}

#[test]
fn in_lists_of_any_length_match_exactly_their_items() {
    let db = items();
    for len in [0usize, 1, 100, 101, 10_000] {
        // every other id, so that a list silently truncated or widened would show
        let ids: Vec<SqlValue> = (0..len).map(|i| SqlValue::Integer(2 * i as i64 + 1)).collect();
        assert_eq!(count_in(&db, "id", ids), len as i64, "{len} ids");
    }
}

#[test]
fn in_lists_of_text_survive_json_escaping() {
    let db = items();
    db.exec(
        "INSERT INTO items VALUES (-1, 'quote \" back\\slash'), (-2, 'line\nbreak'), (-3, 'émoji 🎉'), (-4, 'it''s')",
        &[],
    )
    .unwrap();
    let names = ["quote \" back\\slash", "line\nbreak", "émoji 🎉", "it's", "item-7", "absent"];
    let list = names.iter().map(|n| SqlValue::from(*n)).collect();
    assert_eq!(count_in(&db, "name", list), 5);
}

#[test]
fn in_lists_keep_numbers_and_nulls_apart_from_text() {
    let db = items();
    // json_each yields typed values and SQLite applies the column's affinity to them exactly
    // as to a literal list: the JSON form must match what `IN (NULL, '5', 6.0)` matches.
    let list = vec![SqlValue::Null, SqlValue::from("5"), SqlValue::Real(6.0)];
    let literal = db
        .exec("SELECT count(*) FROM items WHERE id IN (NULL, '5', 6.0)", &[])
        .unwrap()
        .scalar()
        .and_then(SqlValue::as_i64)
        .unwrap();
    assert_eq!(count_in(&db, "id", list), literal);
    assert_eq!(literal, 2);
}

#[test]
fn in_lists_return_the_rows_themselves() {
    let db = items();
    let compiled = compile(&template(&["SELECT name FROM items WHERE id IN ", " ORDER BY id"], vec![Hole::In])).unwrap();
    let result = run(&db, &compiled, vec![Arg::List(vec![SqlValue::Integer(3), SqlValue::Integer(1)])]).unwrap();
    let names: Vec<&str> = result.rows.iter().filter_map(|r| r.first()?.as_str()).collect();
    assert_eq!(names, ["item-1", "item-3"]);
}

#[test]
fn json_values_are_stored_as_json() {
    let db = RusqliteBackend::open();
    db.exec("CREATE TABLE docs (doc TEXT)", &[]).unwrap();
    let insert = compile(&template(&["INSERT INTO docs VALUES (", ")"], vec![Hole::Json])).unwrap();
    run(&db, &insert, vec![Arg::Value(SqlValue::from(r#"{ "a": [1, 2], "b": "x" }"#))]).unwrap();
    let read = db.exec("SELECT doc, json_extract(doc, '$.a[1]') FROM docs", &[]).unwrap();
    assert_eq!(
        read.first_row().unwrap(),
        &[SqlValue::from(r#"{"a":[1,2],"b":"x"}"#), SqlValue::Integer(2)]
    );
    let invalid = run(&db, &insert, vec![Arg::Value(SqlValue::from("{not json"))]).unwrap_err();
    assert_eq!(invalid.code(), "SQL_ERROR");
}

#[test]
fn identifiers_with_quotes_and_spaces_round_trip() {
    let db = RusqliteBackend::open();
    let table = Hole::Id { name: "odd \"table\" name".into() };
    let column = Hole::Id { name: "col; DROP TABLE x --".into() };
    let create = compile(&template(&["CREATE TABLE ", " (", " TEXT)"], vec![table.clone(), column.clone()])).unwrap();
    run(&db, &create, vec![]).unwrap();
    let insert = compile(&template(&["INSERT INTO ", " (", ") VALUES (", ")"], vec![table.clone(), column.clone(), Hole::Value])).unwrap();
    run(&db, &insert, vec![Arg::Value(SqlValue::from("v"))]).unwrap();
    let select = compile(&template(&["SELECT ", " FROM ", ""], vec![column, table])).unwrap();
    let result = run(&db, &select, vec![]).unwrap();
    assert_eq!(result.columns, ["col; DROP TABLE x --"]);
    assert_eq!(result.scalar(), Some(&SqlValue::from("v")));
}

#[test]
fn blob_lists_bind_item_by_item_and_match_byte_exact() {
    let db = RusqliteBackend::open();
    db.exec("CREATE TABLE b (k BLOB PRIMARY KEY); INSERT INTO b VALUES (x'00'), (x'00ff'), (x'01')", &[]).unwrap();
    let compiled = compile(&template(&["SELECT hex(k) FROM b WHERE k IN ", " ORDER BY k"], vec![Hole::InItems { len: 2 }])).unwrap();
    let result = run(&db, &compiled, vec![Arg::List(vec![SqlValue::Blob(vec![0, 255]), SqlValue::Blob(vec![1])])]).unwrap();
    let hex: Vec<&str> = result.rows.iter().filter_map(|r| r.first()?.as_str()).collect();
    assert_eq!(hex, ["00FF", "01"]);
    let empty = compile(&template(&["SELECT count(*) FROM b WHERE k IN ", ""], vec![Hole::InItems { len: 0 }])).unwrap();
    let none = run(&db, &empty, vec![Arg::List(vec![])]).unwrap();
    assert_eq!(none.scalar(), Some(&SqlValue::Integer(0)));
}

#[test]
fn a_blob_in_a_json_list_is_a_bind_error() {
    let db = items();
    let compiled = compile(&template(&["SELECT 1 WHERE x'00' IN ", ""], vec![Hole::In])).unwrap();
    let err = run(&db, &compiled, vec![Arg::List(vec![SqlValue::Blob(vec![0])])]).unwrap_err();
    assert_eq!(err.code(), "SQL_BIND");
}

#[test]
fn sqlite_errors_carry_the_message_and_the_statement() {
    let db = RusqliteBackend::open();
    let compiled = compile(&template(&["SELECT * FROM missing WHERE a = ", ""], vec![Hole::Value])).unwrap();
    let err = run(&db, &compiled, vec![Arg::Value(SqlValue::Integer(1))]).unwrap_err();
    assert_eq!(err.code(), "SQL_ERROR");
    assert!(err.to_string().contains("no such table: missing"), "{err}");
    assert!(err.to_string().contains("SELECT * FROM missing WHERE a = ?"), "{err}");
}

#[test]
fn a_mismatched_value_list_is_a_bind_error() {
    let db = items();
    let compiled = compile(&template(&["SELECT ", ""], vec![Hole::Value])).unwrap();
    assert_eq!(run(&db, &compiled, vec![]).unwrap_err().code(), "SQL_BIND");
    let wrong_kind = run(&db, &compiled, vec![Arg::List(vec![])]).unwrap_err();
    assert_eq!(wrong_kind.code(), "SQL_BIND");
}

#[test]
fn a_full_template_with_fragments_runs() {
    let db = items();
    let name_filter = template(&["name LIKE ", ""], vec![Hole::Value]);
    let conditions = Hole::Join {
        parts: vec![template(&["id IN ", ""], vec![Hole::In]), name_filter],
        separator: " AND ".into(),
    };
    let compiled = compile(&template(
        &["SELECT id FROM items WHERE ", " ORDER BY id ", " LIMIT ", ""],
        vec![conditions, Hole::Raw { text: "DESC".into() }, Hole::Value],
    ))
    .unwrap();
    let ids = (1..=30).map(SqlValue::Integer).collect();
    let result = run(
        &db,
        &compiled,
        vec![Arg::List(ids), Arg::Value(SqlValue::from("item-2%")), Arg::Value(SqlValue::Integer(3))],
    )
    .unwrap();
    let got: Vec<i64> = result.rows.iter().filter_map(|r| r.first()?.as_i64()).collect();
    assert_eq!(got, [29, 28, 27]);
}
