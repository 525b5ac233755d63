//! Property tests for template compilation, with SQLite itself as the oracle: templates are
//! generated from literals, quoted identifiers, comments and holes whose text is full of `?`,
//! quotes and comment markers, and SQLite must count exactly the parameters the plan binds.

use durable_core::sql::tokenizer::{tokenize, TokenKind};
use durable_core::sql::{compile, Hole, Template};
use durable_core::ErrorCode;
use proptest::prelude::*;
use proptest::sample::Index;

/// Literal-ish text a placeholder must never enter.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Enclosure {
    String,
    DoubleQuoted,
    Backticked,
    Bracketed,
    LineComment,
    BlockComment,
    Blob,
}

/// One piece of a generated template.
#[derive(Debug, Clone)]
enum Segment {
    /// SQL text; `Some` when the whole text is one literal, identifier or comment.
    Text(String, Option<Enclosure>),
    Hole(Hole),
}

/// Characters that confuse naive placeholder substitution.
fn tricky_text() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop::sample::select(vec![
            'a', ' ', '?', '\'', '"', '`', '-', '*', '/', '[', ']', '$', ':', '@', ';', '\n', 'é',
        ]),
        0..12,
    )
    .prop_map(|chars| chars.into_iter().collect())
}

fn enclosed(kind: Enclosure, content: &str) -> String {
    match kind {
        Enclosure::String => format!("'{}'", content.replace('\'', "''")),
        Enclosure::DoubleQuoted => format!("\"{}\"", content.replace('"', "\"\"")),
        Enclosure::Backticked => format!("`{}`", content.replace('`', "``")),
        Enclosure::Bracketed => format!("[{}]", content.replace(']', "")),
        Enclosure::LineComment => format!("--{}\n", content.replace('\n', "")),
        Enclosure::BlockComment => format!("/*{}*/", content.replace('*', "")),
        Enclosure::Blob => format!(
            "x'{}'",
            content
                .bytes()
                .map(|b| format!("{b:02x}"))
                .collect::<String>()
        ),
    }
}

fn text(s: &str) -> Segment {
    Segment::Text(s.to_owned(), None)
}

/// One item of the SELECT list, as segments; always valid SQL.
fn item() -> impl Strategy<Value = Vec<Segment>> {
    let literal = (
        prop::sample::select(vec![Enclosure::String, Enclosure::Blob]),
        tricky_text(),
    )
        .prop_map(|(kind, content)| vec![Segment::Text(enclosed(kind, &content), Some(kind))]);
    let aliased = (
        prop::sample::select(vec![
            Enclosure::DoubleQuoted,
            Enclosure::Backticked,
            Enclosure::Bracketed,
        ]),
        tricky_text(),
    )
        .prop_map(|(kind, content)| {
            vec![
                text("1 AS "),
                Segment::Text(enclosed(kind, &format!("c{content}")), Some(kind)),
            ]
        });
    let hole = prop_oneof![
        Just(vec![Segment::Hole(Hole::Value)]),
        Just(vec![Segment::Hole(Hole::Json)]),
        Just(vec![text("1 IN "), Segment::Hole(Hole::In)]),
        (0usize..4).prop_map(|len| vec![text("1 IN "), Segment::Hole(Hole::InItems { len })]),
    ];
    prop_oneof![literal, aliased, hole, Just(vec![text("42")])]
}

fn comment() -> impl Strategy<Value = Option<Segment>> {
    proptest::option::of(
        (
            prop::sample::select(vec![Enclosure::LineComment, Enclosure::BlockComment]),
            tricky_text(),
        )
            .prop_map(|(kind, content)| Segment::Text(enclosed(kind, &content), Some(kind))),
    )
}

/// `SELECT item [comment], item [comment], ...`
fn select() -> impl Strategy<Value = Vec<Segment>> {
    proptest::collection::vec((item(), comment()), 1..16).prop_map(|items| {
        let mut segments = vec![text("SELECT ")];
        for (index, (item, comment)) in items.into_iter().enumerate() {
            if index > 0 {
                segments.push(text(", "));
            }
            segments.extend(item);
            segments.push(text(" "));
            segments.extend(comment);
        }
        segments
    })
}

/// The template the segments spell.
fn assemble(segments: &[Segment]) -> Template {
    let mut strings = vec![String::new()];
    let mut holes = Vec::new();
    for segment in segments {
        match segment {
            Segment::Text(text, _) => strings.last_mut().unwrap().push_str(text),
            Segment::Hole(hole) => {
                holes.push(hole.clone());
                strings.push(String::new());
            }
        }
    }
    Template { strings, holes }
}

/// The byte offsets inside `text` (of kind `kind`) where a hole would sit inside the enclosure
/// by SQLite's reading: never between a doubled quote (that would end the literal there) nor
/// between the two characters of an opening `--`, `/*` or `x'`.
fn interior_splits(kind: Enclosure, text: &str) -> Vec<usize> {
    let opening = match kind {
        Enclosure::LineComment | Enclosure::BlockComment | Enclosure::Blob => 2,
        _ => 1,
    };
    // up to just before the closing quote, `/` or newline
    let end = text.len() - 1;
    let quote = match kind {
        Enclosure::String | Enclosure::Blob => Some(b'\''),
        Enclosure::DoubleQuoted => Some(b'"'),
        Enclosure::Backticked => Some(b'`'),
        _ => None,
    };
    let bytes = text.as_bytes();
    (opening..=end)
        .filter(|at| text.is_char_boundary(*at))
        .filter(|at| quote.is_none_or(|q| !(bytes[at - 1] == q && bytes[*at] == q)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn sqlite_sees_exactly_the_placeholders_the_plan_binds(segments in select()) {
        let template = assemble(&segments);
        let compiled = compile(&template).map_err(|e| TestCaseError::fail(format!("{e}")))?;
        let tokens: Vec<_> = tokenize(&compiled.sql).filter(|t| t.kind == TokenKind::Parameter).collect();
        prop_assert_eq!(tokens.len(), compiled.params);
        prop_assert!(tokens.iter().all(|t| t.text(&compiled.sql) == "?"));
        let db = rusqlite::Connection::open_in_memory().unwrap();
        let statement = db.prepare(&compiled.sql).map_err(|e| TestCaseError::fail(format!("{e}: {}", compiled.sql)))?;
        prop_assert_eq!(statement.parameter_count(), compiled.params, "{}", compiled.sql);
    }

    #[test]
    fn a_hole_inside_a_literal_or_comment_is_always_refused(segments in select(), pick in any::<Index>(), at in any::<Index>()) {
        let enclosures: Vec<usize> = segments
            .iter()
            .enumerate()
            .filter(|(_, s)| matches!(s, Segment::Text(_, Some(_))))
            .map(|(i, _)| i)
            .collect();
        prop_assume!(!enclosures.is_empty());
        let target = enclosures[pick.index(enclosures.len())];
        let Segment::Text(text, Some(kind)) = segments[target].clone() else { unreachable!() };
        let splits = interior_splits(kind, &text);
        prop_assume!(!splits.is_empty());
        let split = splits[at.index(splits.len())];
        let mut broken = segments.clone();
        broken.splice(
            target..=target,
            [text_segment(&text[..split]), Segment::Hole(Hole::Value), text_segment(&text[split..])],
        );
        let err = compile(&assemble(&broken)).expect_err("a hole inside an enclosure must be refused");
        prop_assert_eq!(err.code(), "SQL_TEMPLATE", "{}", err);
    }

    #[test]
    fn tokens_cover_any_text_without_gaps(sql in any::<String>()) {
        let mut next = 0;
        for token in tokenize(&sql) {
            prop_assert_eq!(token.start, next);
            prop_assert!(token.end > token.start);
            prop_assert!(sql.is_char_boundary(token.end));
            next = token.end;
        }
        prop_assert_eq!(next, sql.len());
    }

    #[test]
    fn compiling_any_text_returns_a_result_without_panicking(parts in proptest::collection::vec(any::<String>(), 1..4)) {
        let holes = vec![Hole::Value; parts.len() - 1];
        let _ = compile(&Template { strings: parts, holes });
    }
}

fn text_segment(s: &str) -> Segment {
    Segment::Text(s.to_owned(), None)
}
