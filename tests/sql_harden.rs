//! The template compiler against hostile input: parameters of SQLite's own in every style it
//! reads (SQLite itself is the oracle), fragments nested far too deep, and arbitrary text.

use durable_core::sql::{compile, Hole, Template, MAX_FRAGMENT_DEPTH};
use durable_core::ErrorCode;
use proptest::prelude::*;

fn template(strings: &[&str], holes: Vec<Hole>) -> Template {
    Template {
        strings: strings.iter().map(|s| s.to_string()).collect(),
        holes,
    }
}

/// How many parameters SQLite reads in `sql`, or `None` when it does not prepare.
fn sqlite_parameters(sql: &str) -> Option<usize> {
    let db = rusqlite::Connection::open_in_memory().ok()?;
    db.prepare(sql)
        .ok()
        .map(|statement| statement.parameter_count())
}

#[test]
fn every_parameter_style_sqlite_reads_is_refused() {
    for text in [
        "SELECT #a",
        "SELECT #abc_1",
        "SELECT ?7",
        "SELECT :a",
        "SELECT @a",
        "SELECT $a",
        "SELECT $a::b",
        "SELECT $a(x)",
        "SELECT 1 WHERE 1 = #x",
    ] {
        // The premise: SQLite would bind a parameter here.
        assert!(
            sqlite_parameters(text).is_some_and(|n| n >= 1),
            "SQLite does not read a parameter in {text}"
        );
        let err = compile(&template(&[text], vec![])).expect_err(text);
        assert_eq!(err.code(), "SQL_TEMPLATE", "{text}: {err}");
    }
    let err = compile(&template(&["SELECT 1; SELECT #x"], vec![])).unwrap_err();
    assert_eq!(err.code(), "SQL_TEMPLATE", "{err}");
}

#[test]
fn parameter_characters_inside_literals_and_comments_are_only_text() {
    for text in [
        "SELECT '#a' AS \"#b\", 2 AS [#c], 3 AS `#d` -- #e ?1 :f\n",
        "SELECT '$a::b' /* @c $d(x) */",
        "SELECT x'00' AS \":y\"",
    ] {
        let compiled =
            compile(&template(&[text], vec![])).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(compiled.params, 0);
        assert_eq!(sqlite_parameters(&compiled.sql), Some(0), "{text}");
    }
}

#[test]
fn a_hole_next_to_a_hash_is_refused_rather_than_merged() {
    // `?` then `#a` would be two parameters for one value.
    let err = compile(&template(&["SELECT ", "#a"], vec![Hole::Value])).unwrap_err();
    assert_eq!(err.code(), "SQL_TEMPLATE");
}

/// A fragment nested `depth` levels deep: `sql\`(${sql\`(${...}) AND 1\`}) AND 1\``.
fn nested(depth: usize) -> Template {
    let mut inner = template(&["x = ", ""], vec![Hole::Value]);
    for _ in 0..depth {
        inner = Template {
            strings: vec!["(".into(), ") AND 1".into()],
            holes: vec![Hole::Fragment(inner)],
        };
    }
    Template {
        strings: vec!["SELECT 1 WHERE ".into(), String::new()],
        holes: vec![Hole::Fragment(inner)],
    }
}

#[test]
fn fragments_nested_ten_thousand_deep_are_a_template_error() {
    // Only building and dropping the test's own 10,000-level tree needs the large stack (a
    // native caller's problem: in wasm the facade refuses the depth before anything crosses);
    // compiling stops at the limit.
    let run = std::thread::Builder::new().stack_size(256 << 20).spawn(|| {
        let err = compile(&nested(10_000)).unwrap_err();
        assert_eq!(err.code(), "SQL_TEMPLATE");
        assert!(err.to_string().contains("sql.join"), "{err}");
    });
    run.unwrap().join().unwrap();
}

#[test]
fn fragments_up_to_the_depth_limit_compile() {
    // The top-level template holds one fragment, which holds MAX - 1 more levels.
    assert!(compile(&nested(MAX_FRAGMENT_DEPTH - 1)).is_ok());
    assert_eq!(
        compile(&nested(MAX_FRAGMENT_DEPTH)).unwrap_err().code(),
        "SQL_TEMPLATE"
    );
}

#[test]
fn join_parts_count_as_one_level_each() {
    let mut part = template(&["1"], vec![]);
    for _ in 0..MAX_FRAGMENT_DEPTH + 1 {
        part = Template {
            strings: vec![String::new(), String::new()],
            holes: vec![Hole::Join {
                parts: vec![part],
                separator: ", ".into(),
            }],
        };
    }
    let top = Template {
        strings: vec!["SELECT ".into(), String::new()],
        holes: vec![Hole::Fragment(part)],
    };
    assert_eq!(compile(&top).unwrap_err().code(), "SQL_TEMPLATE");
}

/// Text made of the characters that start parameters, literals and comments.
fn hostile_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![
            "a", "1", " ", "?", "#", ":", "::", "@", "$", "(", ")", "'", "\"", "`", "[", "]", "--",
            "/*", "*/", "\n", "x'", ";", "é",
        ]),
        0..24,
    )
    .prop_map(|pieces| pieces.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, ..ProptestConfig::default() })]

    /// Whatever the text, a template the compiler accepts binds exactly the parameters SQLite
    /// reads: no parameter of the text's own survives compilation.
    #[test]
    fn an_accepted_template_binds_exactly_what_sqlite_reads(
        parts in proptest::collection::vec(hostile_text(), 1..4),
    ) {
        let strings: Vec<String> = std::iter::once("SELECT ".to_owned())
            .chain(parts.iter().cloned())
            .collect::<Vec<_>>();
        let mut joined = vec![format!("{}{}", strings[0], strings[1])];
        joined.extend(strings[2..].iter().cloned());
        let holes = vec![Hole::Value; joined.len() - 1];
        let template = Template { strings: joined, holes };
        if let Ok(compiled) = compile(&template) {
            if let Some(count) = sqlite_parameters(&compiled.sql) {
                prop_assert_eq!(count, compiled.params, "{}", compiled.sql);
            }
        }
    }

    #[test]
    fn compiling_arbitrary_strings_and_hole_shapes_never_panics(
        strings in proptest::collection::vec(any::<String>(), 1..5),
        names in proptest::collection::vec(any::<String>(), 0..4),
    ) {
        let mut holes: Vec<Hole> = names.into_iter().map(|name| Hole::Id { name }).collect();
        holes.truncate(strings.len() - 1);
        while holes.len() < strings.len() - 1 {
            holes.push(Hole::Value);
        }
        let _ = compile(&Template { strings: strings.clone(), holes: holes.clone() });
        let _ = compile(&Template { strings: vec![String::new(), String::new()], holes: vec![Hole::Fragment(Template { strings, holes })] });
    }
}

#[test]
fn a_date_binds_as_an_integer() {
    let compiled = compile(&template(&["SELECT typeof(", ")"], vec![Hole::Date])).unwrap();
    assert_eq!(compiled.sql, "SELECT typeof(CAST(? AS INTEGER))");
    assert_eq!(compiled.params, 1);
    let db = rusqlite::Connection::open_in_memory().unwrap();
    // The platform binds every number as a double: so does this oracle.
    let kind: String = db
        .query_row(&compiled.sql, [1_733_000_000_000f64], |row| row.get(0))
        .unwrap();
    assert_eq!(kind, "integer");
}
