//! Statement checks run before any user statement reaches SQLite: the platform's forbidden
//! transaction-control and ATTACH statements, and writes to the reserved `_dc_*` (durable-core)
//! and `_cf_*` (platform) tables.
//!
//! The checker reads tokens, never raw text, so a keyword inside a literal or comment never
//! trips it. It is a guard against mistakes, not a sandbox: it does not parse SQL, and
//! `sql.raw` text is the caller's responsibility. Reads of reserved tables stay allowed.

use super::error::SqlError;
use super::tokenizer::{identifier_name, tokenize, Token, TokenKind};

/// Statement starts the platform refuses because it owns transactions.
const TRANSACTION_CONTROL: &[&str] =
    &["BEGIN", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE"];

/// Statement starts that name another database, which a Durable Object does not have.
const OTHER_DATABASES: &[&str] = &["ATTACH", "DETACH"];

/// Table-name prefixes nobody but their owner may write (compared without regard to case,
/// as SQLite compares names).
const RESERVED_PREFIXES: &[&str] = &["_dc_", "_cf_"];

/// Schema objects whose creation, renaming or removal counts as a write.
const SCHEMA_OBJECTS: &[&str] = &["TABLE", "INDEX", "TRIGGER", "VIEW"];

/// Checks `sql` (one or several statements).
pub fn check(sql: &str) -> Result<(), SqlError> {
    let tokens: Vec<Token> = tokenize(sql).collect();
    check_tokens(sql, &tokens).map(|_| ())
}

/// Checks the already tokenized `sql` and returns the byte offset where its last non-empty
/// statement starts (the only statement the platform binds values to).
pub(crate) fn check_tokens(sql: &str, tokens: &[Token]) -> Result<usize, SqlError> {
    let statements = split_statements(sql, tokens);
    for statement in &statements {
        check_statement(sql, statement)?;
    }
    Ok(statements
        .last()
        .and_then(|statement| statement.first())
        .map_or(0, |token| token.start))
}

/// The significant tokens (no whitespace or comments) of each non-empty statement.
///
/// A `;` ends a statement except inside a trigger body (`CREATE TRIGGER ... BEGIN ...; END`),
/// whose depth is tracked through `BEGIN`/`CASE` ... `END` pairs.
fn split_statements(sql: &str, tokens: &[Token]) -> Vec<Vec<Token>> {
    let mut statements = Vec::new();
    let mut current: Vec<Token> = Vec::new();
    let mut depth = 0usize;
    for token in tokens.iter().filter(|t| !t.kind.is_trivia()) {
        if token.kind == TokenKind::Semicolon && depth == 0 {
            if !current.is_empty() {
                statements.push(std::mem::take(&mut current));
            }
            continue;
        }
        if is_create_trigger(sql, &current) {
            if token.is_word(sql, "BEGIN") || token.is_word(sql, "CASE") {
                depth += 1;
            } else if token.is_word(sql, "END") {
                depth = depth.saturating_sub(1);
            }
        }
        current.push(*token);
    }
    if !current.is_empty() {
        statements.push(current);
    }
    statements
}

/// Whether the statement read so far is `CREATE [TEMP|TEMPORARY] TRIGGER ...`.
fn is_create_trigger(sql: &str, statement: &[Token]) -> bool {
    match statement {
        [create, rest @ ..] if create.is_word(sql, "CREATE") => {
            rest.iter().take(2).any(|t| t.is_word(sql, "TRIGGER"))
        }
        _ => false,
    }
}

fn check_statement(sql: &str, statement: &[Token]) -> Result<(), SqlError> {
    let Some(first) = statement.first() else {
        return Ok(());
    };
    let keyword = first.text(sql).to_ascii_uppercase();
    if first.kind == TokenKind::Word && TRANSACTION_CONTROL.contains(&keyword.as_str()) {
        return Err(SqlError::forbidden(format!(
            "`{keyword}` cannot run in a Durable Object: the platform manages transactions itself. \
             Wrap the statements in this.sql.transaction(() => {{ ... }}) instead \
             (a throw inside it rolls everything back)"
        )));
    }
    if first.kind == TokenKind::Word && OTHER_DATABASES.contains(&keyword.as_str()) {
        return Err(SqlError::forbidden(format!(
            "`{keyword}` is not available in a Durable Object: each object has exactly one database"
        )));
    }
    if let Some(ReservedWrite { action, table }) = reserved_write(sql, statement) {
        return Err(SqlError::forbidden(format!(
            "{action} `{table}` is refused: tables named _dc_* belong to durable-core and _cf_* \
             to the platform. Reading them is allowed; writing them would corrupt state the \
             library or the platform relies on"
        )));
    }
    Ok(())
}

/// A write to a reserved table: what the write is and the table's name.
struct ReservedWrite {
    action: String,
    table: String,
}

/// The write `action` if the object named at token `at` is reserved.
fn reserved_at(sql: &str, statement: &[Token], at: usize, action: &str) -> Option<ReservedWrite> {
    let table = object_name(sql, statement, at)?;
    is_reserved(&table).then(|| ReservedWrite {
        action: action.to_owned(),
        table,
    })
}

/// The first write to a reserved table in the statement.
fn reserved_write(sql: &str, statement: &[Token]) -> Option<ReservedWrite> {
    let reserved = |at: usize, action: &str| reserved_at(sql, statement, at, action);
    if let Some(found) = schema_change(sql, statement) {
        return Some(found);
    }
    // DML can appear anywhere: in CTEs, in `CREATE TABLE ... AS`, in trigger bodies.
    for (at, token) in statement.iter().enumerate() {
        let found = if token.is_word(sql, "INTO") {
            reserved(at + 1, "INSERT INTO")
        } else if token.is_word(sql, "UPDATE") {
            let or_skipped = statement.get(at + 1).is_some_and(|t| t.is_word(sql, "OR"));
            reserved(if or_skipped { at + 3 } else { at + 1 }, "UPDATE")
        } else if token.is_word(sql, "DELETE")
            && statement
                .get(at + 1)
                .is_some_and(|t| t.is_word(sql, "FROM"))
        {
            reserved(at + 2, "DELETE FROM")
        } else {
            None
        };
        if found.is_some() {
            return found;
        }
    }
    None
}

/// Reserved names created, altered, renamed to or dropped by a `CREATE`/`ALTER`/`DROP`
/// statement, including `CREATE INDEX ... ON` and `CREATE TRIGGER ... ON` their target table.
fn schema_change(sql: &str, statement: &[Token]) -> Option<ReservedWrite> {
    let reserved = |at: usize, action: &str| reserved_at(sql, statement, at, action);
    let verb = statement.first()?.text(sql).to_ascii_uppercase();
    if !matches!(verb.as_str(), "CREATE" | "ALTER" | "DROP") {
        return None;
    }
    let object_at = statement
        .iter()
        .take(4)
        .position(|t| SCHEMA_OBJECTS.iter().any(|object| t.is_word(sql, object)))?;
    let object = statement.get(object_at)?.text(sql).to_ascii_uppercase();
    let action = format!("{verb} {object}");
    let mut name_at = object_at + 1;
    // `IF EXISTS` / `IF NOT EXISTS`
    if statement.get(name_at).is_some_and(|t| t.is_word(sql, "IF")) {
        let not = statement
            .get(name_at + 1)
            .is_some_and(|t| t.is_word(sql, "NOT"));
        name_at += if not { 3 } else { 2 };
    }
    if let Some(found) = reserved(name_at, &action) {
        return Some(found);
    }
    if verb == "CREATE" && matches!(object.as_str(), "INDEX" | "TRIGGER") {
        let on = name_at
            + statement
                .get(name_at..)?
                .iter()
                .position(|t| t.is_word(sql, "ON"))?;
        return reserved(on + 1, &format!("{action} ON"));
    }
    if verb == "ALTER" {
        let rename = statement.iter().position(|t| t.is_word(sql, "RENAME"))?;
        if statement
            .get(rename + 1)
            .is_some_and(|t| t.is_word(sql, "TO"))
        {
            return reserved(rename + 2, "ALTER TABLE ... RENAME TO");
        }
    }
    None
}

/// The (possibly schema-qualified: `main."_dc_x"`) object name starting at token `at`; the last
/// component is the object's own name.
fn object_name(sql: &str, statement: &[Token], at: usize) -> Option<String> {
    let mut name = identifier_name(statement.get(at)?, sql)?;
    let mut next = at + 1;
    while statement.get(next).is_some_and(|t| t.text(sql) == ".") {
        match statement
            .get(next + 1)
            .and_then(|t| identifier_name(t, sql))
        {
            Some(component) => name = component,
            None => break,
        }
        next += 2;
    }
    Some(name)
}

fn is_reserved(name: &str) -> bool {
    name.get(..4).is_some_and(|prefix| {
        RESERVED_PREFIXES
            .iter()
            .any(|reserved| prefix.eq_ignore_ascii_case(reserved))
    })
}
