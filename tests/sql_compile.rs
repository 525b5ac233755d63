//! Template compilation and statement checks: what text and plan a template compiles to, and
//! every way a template or statement is refused.

use durable_core::sql::{check, compile, BindOp, Hole, SqlError, Template};
use durable_core::ErrorCode;

fn template(strings: &[&str], holes: Vec<Hole>) -> Template {
    Template {
        strings: strings.iter().map(|s| s.to_string()).collect(),
        holes,
    }
}

fn compiled_sql(strings: &[&str], holes: Vec<Hole>) -> String {
    compile(&template(strings, holes)).unwrap().sql
}

fn refusal(strings: &[&str], holes: Vec<Hole>) -> SqlError {
    compile(&template(strings, holes)).unwrap_err()
}

fn values(n: usize) -> Vec<Hole> {
    vec![Hole::Value; n]
}

#[test]
fn plain_values_become_placeholders_bound_one_to_one() {
    let compiled = compile(&template(
        &["SELECT * FROM t WHERE a = ", " AND b = ", ""],
        values(2),
    ))
    .unwrap();
    assert_eq!(compiled.sql, "SELECT * FROM t WHERE a = ? AND b = ?");
    assert_eq!(compiled.plan, vec![BindOp::Value, BindOp::Value]);
    assert_eq!(compiled.plan_codes(), vec![0, 0]);
    assert_eq!(compiled.params, 2);
    assert!(compiled.is_plain());
}

#[test]
fn a_template_without_holes_compiles_to_its_text() {
    let compiled = compile(&template(&["SELECT 1"], vec![])).unwrap();
    assert_eq!(compiled.sql, "SELECT 1");
    assert!(compiled.plan.is_empty());
}

#[test]
fn in_lists_bind_one_json_array_whatever_their_length() {
    let compiled = compile(&template(
        &["SELECT * FROM t WHERE id IN ", ""],
        vec![Hole::In],
    ))
    .unwrap();
    assert_eq!(
        compiled.sql,
        "SELECT * FROM t WHERE id IN (SELECT value FROM json_each(?))"
    );
    assert_eq!(compiled.plan, vec![BindOp::List]);
    assert_eq!(compiled.params, 1);
    assert!(!compiled.is_plain());
}

#[test]
fn blob_lists_spread_one_placeholder_per_item() {
    let three = compile(&template(
        &["SELECT 1 WHERE x IN ", ""],
        vec![Hole::InItems { len: 3 }],
    ))
    .unwrap();
    assert_eq!(three.sql, "SELECT 1 WHERE x IN (?, ?, ?)");
    assert_eq!(three.plan, vec![BindOp::Spread]);
    assert_eq!(three.params, 3);
    assert_eq!(
        compiled_sql(
            &["SELECT 1 WHERE x IN ", ""],
            vec![Hole::InItems { len: 0 }]
        ),
        "SELECT 1 WHERE x IN ()"
    );
}

#[test]
fn a_blob_list_beyond_the_parameter_limit_is_a_bind_error() {
    let err = refusal(
        &["SELECT 1 WHERE x = ", " AND y IN ", ""],
        vec![Hole::Value, Hole::InItems { len: 100 }],
    );
    assert_eq!(err.code(), "SQL_BIND");
    assert!(err.to_string().contains("100 blobs"), "{err}");
    assert!(err.to_string().contains("limit of 100"), "{err}");
    // exactly at the limit is fine
    let at_limit = compile(&template(
        &["SELECT 1 WHERE x IN ", ""],
        vec![Hole::InItems { len: 100 }],
    ))
    .unwrap();
    assert_eq!(at_limit.params, 100);
}

/// `SELECT ?, ?, ...` with `n` value holes.
fn select_values(n: usize) -> Template {
    let mut strings = vec!["SELECT ".to_string()];
    strings.extend((1..n).map(|_| ", ".to_string()));
    strings.push(String::new());
    Template {
        strings,
        holes: values(n),
    }
}

#[test]
fn more_than_one_hundred_parameters_is_a_bind_error_naming_the_limit() {
    assert_eq!(compile(&select_values(100)).unwrap().params, 100);
    let err = compile(&select_values(101)).unwrap_err();
    assert_eq!(err.code(), "SQL_BIND");
    assert!(
        err.to_string().contains("more than 100 bound parameters"),
        "{err}"
    );
    assert!(err.to_string().contains("number 101"), "{err}");
}

#[test]
fn json_values_are_wrapped_in_json() {
    let compiled = compile(&template(
        &["INSERT INTO t (doc) VALUES (", ")"],
        vec![Hole::Json],
    ))
    .unwrap();
    assert_eq!(compiled.sql, "INSERT INTO t (doc) VALUES (json(?))");
    assert_eq!(compiled.plan, vec![BindOp::Json]);
}

#[test]
fn identifiers_are_double_quoted_with_quotes_doubled() {
    assert_eq!(
        compiled_sql(
            &["SELECT ", " FROM ", ""],
            vec![
                Hole::Id {
                    name: "na\"me".into()
                },
                Hole::Id { name: "t".into() }
            ]
        ),
        r#"SELECT "na""me" FROM "t""#
    );
}

#[test]
fn invalid_identifiers_are_refused_with_sql_identifier() {
    for (name, reason) in [
        ("", "empty"),
        ("a\0b", "NUL"),
        (&"x".repeat(256) as &str, "256 bytes"),
    ] {
        let err = refusal(
            &["SELECT ", ""],
            vec![Hole::Id {
                name: name.to_string(),
            }],
        );
        assert_eq!(err.code(), "SQL_IDENTIFIER");
        assert!(err.to_string().contains(reason), "{err}");
    }
    assert!(compile(&template(
        &["SELECT ", ""],
        vec![Hole::Id {
            name: "x".repeat(255)
        }]
    ))
    .is_ok());
}

#[test]
fn raw_text_is_spliced_as_is() {
    assert_eq!(
        compiled_sql(
            &["SELECT * FROM t ORDER BY a ", ""],
            vec![Hole::Raw {
                text: "DESC".into()
            }]
        ),
        "SELECT * FROM t ORDER BY a DESC"
    );
}

#[test]
fn fragments_nest_and_their_values_bind_in_text_order() {
    let filter = template(&["b = ", " AND c IN ", ""], vec![Hole::Value, Hole::In]);
    let compiled = compile(&template(
        &["SELECT * FROM t WHERE a = ", " AND ", " LIMIT ", ""],
        vec![Hole::Value, Hole::Fragment(filter), Hole::Value],
    ))
    .unwrap();
    assert_eq!(
        compiled.sql,
        "SELECT * FROM t WHERE a = ? AND b = ? AND c IN (SELECT value FROM json_each(?)) LIMIT ?"
    );
    assert_eq!(
        compiled.plan,
        vec![BindOp::Value, BindOp::Value, BindOp::List, BindOp::Value]
    );
}

#[test]
fn join_puts_the_separator_between_parts() {
    let set = |column: &str| Template {
        strings: vec![String::new(), " = ".into(), String::new()],
        holes: vec![
            Hole::Id {
                name: column.into(),
            },
            Hole::Value,
        ],
    };
    let compiled = compile(&template(
        &["UPDATE t SET ", " WHERE id = ", ""],
        vec![
            Hole::Join {
                parts: vec![set("a"), set("b")],
                separator: ", ".into(),
            },
            Hole::Value,
        ],
    ))
    .unwrap();
    assert_eq!(
        compiled.sql,
        r#"UPDATE t SET "a" = ?, "b" = ? WHERE id = ?"#
    );
    assert_eq!(compiled.plan, vec![BindOp::Value; 3]);
    let empty = compiled_sql(
        &["SELECT 1", ""],
        vec![Hole::Join {
            parts: vec![],
            separator: ", ".into(),
        }],
    );
    assert_eq!(empty, "SELECT 1");
}

#[test]
fn holes_inside_literals_quoted_identifiers_or_comments_are_refused() {
    let cases: [(&[&str], &str); 7] = [
        (&["SELECT * FROM t WHERE a = '", "'"], "a string literal"),
        (
            &["SELECT * FROM t WHERE a = 'it''s ", "'"],
            "a string literal",
        ),
        (&["SELECT \"col", "\" FROM t"], "a quoted identifier"),
        (&["SELECT [col", "] FROM t"], "a quoted identifier"),
        (&["SELECT 1 -- note ", "\n"], "a comment"),
        (&["SELECT 1 /* ", " */"], "a comment"),
        (&["SELECT x'", "'"], "a blob literal"),
    ];
    for (strings, inside) in cases {
        let err = refusal(strings, values(1));
        assert_eq!(err.code(), "SQL_TEMPLATE", "{strings:?}");
        assert!(err.to_string().contains(inside), "{strings:?}: {err}");
        assert!(err.to_string().contains("number 1"), "{strings:?}: {err}");
    }
}

#[test]
fn a_refused_hole_is_named_by_its_position_even_when_nested() {
    let inner = template(&["b = ", " AND c = '", "'"], values(2));
    let err = refusal(
        &["SELECT 1 WHERE a = ", " AND ", ""],
        vec![Hole::Value, Hole::Fragment(inner)],
    );
    assert_eq!(err.code(), "SQL_TEMPLATE");
    assert!(err.to_string().contains("number 2.2"), "{err}");
}

#[test]
fn an_identifier_spliced_into_a_literal_is_refused() {
    let err = refusal(&["SELECT '", "'"], vec![Hole::Id { name: "x".into() }]);
    assert_eq!(err.code(), "SQL_TEMPLATE");
    assert!(err.to_string().contains("a string literal"), "{err}");
}

#[test]
fn raw_text_that_opens_a_literal_cannot_swallow_a_placeholder() {
    let err = refusal(
        &["SELECT ", "", "'"],
        vec![Hole::Raw { text: "'".into() }, Hole::Value],
    );
    assert_eq!(err.code(), "SQL_TEMPLATE");
    assert!(err.to_string().contains("number 2"), "{err}");
}

#[test]
fn parameters_written_in_the_template_text_are_refused() {
    for text in [
        "SELECT ?",
        "SELECT ?1",
        "SELECT :a",
        "SELECT @a",
        "SELECT $a",
    ] {
        let err = refusal(&[text], vec![]);
        assert_eq!(err.code(), "SQL_TEMPLATE", "{text}");
        assert!(err.to_string().contains("${value}"), "{err}");
    }
    // ...but a question mark inside a literal is just text
    assert!(compile(&template(&["SELECT '?', \"?\" -- ?"], vec![])).is_ok());
}

#[test]
fn a_hole_followed_by_digits_is_refused_rather_than_renumbered() {
    let err = refusal(&["SELECT ", "1"], values(1));
    assert_eq!(err.code(), "SQL_TEMPLATE");
    assert!(err.to_string().contains("?1"), "{err}");
}

#[test]
fn values_in_an_earlier_statement_are_refused() {
    let err = refusal(&["INSERT INTO t VALUES (", "); SELECT 1"], values(1));
    assert_eq!(err.code(), "SQL_TEMPLATE");
    assert!(err.to_string().contains("last statement"), "{err}");
    // the last statement may bind, and a trailing semicolon does not count as a statement
    assert!(compile(&template(
        &[
            "CREATE TABLE IF NOT EXISTS t (a); INSERT INTO t VALUES (",
            ");\n"
        ],
        values(1)
    ))
    .is_ok());
}

#[test]
fn a_template_with_the_wrong_number_of_strings_is_refused() {
    let err = compile(&Template {
        strings: vec!["SELECT ".into()],
        holes: values(1),
    })
    .unwrap_err();
    assert_eq!(err.code(), "SQL_TEMPLATE");
}

#[test]
fn transaction_control_is_forbidden_and_points_to_transaction() {
    for sql in [
        "BEGIN",
        "begin transaction",
        "COMMIT",
        "END",
        "ROLLBACK",
        "SAVEPOINT a",
        "RELEASE a",
        "SELECT 1; BEGIN IMMEDIATE",
        "/* hi */ Commit;",
    ] {
        let err = check(sql).unwrap_err();
        assert_eq!(err.code(), "SQL_FORBIDDEN", "{sql}");
        assert!(
            err.to_string().contains("this.sql.transaction"),
            "{sql}: {err}"
        );
    }
}

#[test]
fn attach_and_detach_are_forbidden() {
    for sql in ["ATTACH 'x.db' AS x", "DETACH x"] {
        let err = check(sql).unwrap_err();
        assert_eq!(err.code(), "SQL_FORBIDDEN", "{sql}");
        assert!(err.to_string().contains("one database"), "{err}");
    }
}

#[test]
fn compile_runs_the_checks() {
    let err = refusal(&["BEGIN"], vec![]);
    assert_eq!(err.code(), "SQL_FORBIDDEN");
    let err = refusal(
        &["DELETE FROM ", ""],
        vec![Hole::Id {
            name: "_dc_meta".into(),
        }],
    );
    assert_eq!(err.code(), "SQL_FORBIDDEN");
}

#[test]
fn writes_to_reserved_tables_are_forbidden() {
    for sql in [
        "INSERT INTO _dc_migrations VALUES (1)",
        "insert or replace into _DC_meta (key) values ('a')",
        "REPLACE INTO _cf_KV VALUES (1)",
        "UPDATE _dc_meta SET value = 1",
        "UPDATE OR IGNORE main._dc_meta SET value = 1",
        "DELETE FROM \"_dc_meta\"",
        "DELETE FROM [_cf_x] WHERE 1",
        "DROP TABLE _dc_meta",
        "DROP TABLE IF EXISTS `_dc_meta`",
        "DROP INDEX _dc_idx",
        "ALTER TABLE _dc_meta ADD COLUMN x",
        "ALTER TABLE items RENAME TO _dc_items",
        "CREATE TABLE _dc_mine (x)",
        "CREATE TABLE IF NOT EXISTS main._dc_mine (x)",
        "CREATE INDEX i ON _dc_meta (value)",
        "CREATE UNIQUE INDEX IF NOT EXISTS i ON _cf_x (a)",
        "CREATE TRIGGER t AFTER INSERT ON _dc_meta BEGIN SELECT 1; END",
        "CREATE TRIGGER t AFTER INSERT ON items BEGIN DELETE FROM _dc_meta; END",
        "WITH x AS (SELECT 1) INSERT INTO _dc_meta SELECT * FROM x",
        "SELECT 1; DELETE FROM _dc_meta",
        "CREATE TABLE copy AS SELECT 1; INSERT INTO _dc_meta VALUES (1, 2)",
    ] {
        let err = check(sql).unwrap_err();
        assert_eq!(err.code(), "SQL_FORBIDDEN", "{sql}");
        assert!(err.to_string().contains("_dc_*"), "{sql}: {err}");
    }
}

#[test]
fn reads_of_reserved_tables_and_lookalikes_are_allowed() {
    for sql in [
        "SELECT * FROM _dc_migrations",
        "SELECT * FROM items WHERE name = 'DELETE FROM _dc_meta'",
        "SELECT 1 -- INSERT INTO _dc_meta\n",
        "/* BEGIN */ SELECT 1",
        "INSERT INTO items SELECT * FROM _dc_meta",
        "UPDATE items SET x = (SELECT value FROM _dc_meta)",
        "DELETE FROM items WHERE id IN (SELECT key FROM _dc_meta)",
        "INSERT INTO dc_items VALUES (1)",
        "INSERT INTO items_dc_ VALUES (1)",
        "CREATE TABLE a (id INTEGER REFERENCES b ON DELETE CASCADE ON UPDATE SET NULL)",
        "CREATE TRIGGER t AFTER UPDATE OF x ON items BEGIN UPDATE log SET n = n + 1; SELECT CASE WHEN 1 THEN 2 END; END",
        "SELECT begin, commit FROM items",
        "INSERT INTO items (a) VALUES (1) ON CONFLICT DO UPDATE SET a = 2",
        "SELECT RAISE(ROLLBACK, 'no')",
    ] {
        assert_eq!(check(sql), Ok(()), "{sql}");
    }
}

#[test]
fn a_trigger_body_does_not_end_the_statement_early() {
    // A naive split at `;` would see `END` as a statement start and forbid it.
    let sql = "CREATE TRIGGER t AFTER INSERT ON items BEGIN INSERT INTO log VALUES (1); UPDATE log SET n = 1; END; SELECT 1";
    assert_eq!(check(sql), Ok(()));
}
