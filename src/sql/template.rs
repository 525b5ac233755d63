//! Template compilation: a tagged template's literal parts and the *shapes* of its holes become
//! final SQL text plus a binding plan, checked once.
//!
//! The result depends only on the strings and the hole shapes, never on bound values, so the
//! facade caches it per call site and a hot query makes no wasm call at all. Values never come
//! here: the facade applies the plan to them (see [`BindOp`]).

use super::check::check_tokens;
use super::error::{SqlError, MAX_BOUND_PARAMETERS};
use super::tokenizer::{tokenize, Token, TokenKind};
use serde::{Deserialize, Serialize};

/// A tagged template: `strings` around `holes` (`strings.len() == holes.len() + 1`).
///
/// In the wasm build it also derives its TypeScript declaration (`Template`, `Hole` in the
/// bindings' `.d.ts`), so the facade's shape of a template has this one home.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "wasm"), derive(tsify::Tsify))]
pub struct Template {
    pub strings: Vec<String>,
    pub holes: Vec<Hole>,
}

/// The shape of one `${...}` of a template, as the facade classified its value.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[cfg_attr(all(target_arch = "wasm32", feature = "wasm"), derive(tsify::Tsify))]
#[serde(tag = "kind", rename_all = "camelCase")]
pub enum Hole {
    /// A plain value: one parameter.
    Value,
    /// A `Date`: one parameter, the epoch milliseconds, read as an INTEGER (`CAST(? AS
    /// INTEGER)`): the platform binds every JavaScript number as REAL.
    Date,
    /// `sql.json(value)`: one parameter holding JSON text, wrapped in `json(?)`.
    Json,
    /// `sql.in(list)` of numbers, strings, null: one parameter holding the list as a JSON
    /// array, expanded by `json_each`, so any length (0 or 10,000) costs one parameter.
    In,
    /// `sql.in(list)` holding blobs, which JSON cannot carry: one parameter per item.
    InItems { len: usize },
    /// `sql.id(name)`: a validated, double-quoted identifier spliced into the text.
    Id { name: String },
    /// `sql.raw(text)`: spliced as is. Unsafe by design: the caller vouches for it.
    Raw { text: String },
    /// A nested `` sql`...` `` fragment.
    Fragment(Template),
    /// `sql.join(parts, separator)`: the parts spliced with the separator text between them.
    Join {
        parts: Vec<Template>,
        separator: String,
    },
}

/// What the facade does with the next flattened value: one op per value-carrying hole, in
/// order (holes of nested fragments and join parts in place; `Id` and `Raw` carry none). The
/// codes cross as numbers; the facade names them `BIND_OP_*` (generated from `src/shared.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[repr(u8)]
pub enum BindOp {
    /// Bind the value (converted: booleans 1/0, dates as epoch ms, ...).
    Value = 0,
    /// Bind `JSON.stringify(value)`.
    Json = 1,
    /// Bind the list, items converted, as one JSON array text.
    List = 2,
    /// Bind each item of the list, converted, as its own parameter.
    Spread = 3,
}

/// A compiled template: final SQL text and how to turn its values into bindings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Compiled {
    pub sql: String,
    pub plan: Vec<BindOp>,
    /// How many parameters the statement binds once the plan is applied.
    pub params: usize,
}

impl Compiled {
    /// True when every op is [`BindOp::Value`]: the values bind one to one, the facade's
    /// fastest path.
    pub fn is_plain(&self) -> bool {
        self.plan.iter().all(|op| *op == BindOp::Value)
    }

    /// The plan as op codes, the form that crosses to JavaScript.
    pub fn plan_codes(&self) -> Vec<u8> {
        self.plan.iter().map(|op| *op as u8).collect()
    }
}

/// The longest name `sql.id` accepts, in bytes. SQLite sets no limit; a longer one is far more
/// likely a bug (a value passed by mistake) than a real name.
pub const MAX_IDENTIFIER_BYTES: usize = 255;

/// How deeply `sql` fragments and `sql.join` parts may nest. A query built in a loop
/// (``where = sql`${where} AND ...` ``) nests one level per turn; past the platform's own
/// expression depth of 100 SQLite would refuse the statement anyway, and compilation recurses
/// once per level, so the limit keeps that recursion shallow (the facade checks it before
/// anything crosses into the engine).
pub const MAX_FRAGMENT_DEPTH: usize = 100;

/// Compiles `template`: splices fragments, identifiers and raw text, puts a placeholder for
/// each value, proves every placeholder sits where SQLite will read it as a parameter, and runs
/// the statement checks on the result.
pub fn compile(template: &Template) -> Result<Compiled, SqlError> {
    let mut builder = Builder::default();
    builder.template(template, &mut Vec::new())?;
    let tokens: Vec<Token> = tokenize(&builder.sql).collect();
    builder.verify_placements(&tokens)?;
    let last_statement_start = check_tokens(&builder.sql, &tokens)?;
    if let Some(early) = builder
        .placeholders
        .iter()
        .find(|p| p.offset < last_statement_start)
    {
        return Err(SqlError::template(format!(
            "{} is in an earlier statement of a multi-statement text; the platform binds values \
             to the last statement only: run the statements as separate calls",
            describe_hole(&early.hole)
        )));
    }
    Ok(Compiled {
        sql: builder.sql,
        plan: builder.plan,
        params: builder.placeholders.len(),
    })
}

/// A `?` the compiler wrote, and the hole it belongs to.
#[derive(Debug)]
struct Placeholder {
    offset: usize,
    hole: Vec<usize>,
}

/// A quoted identifier the compiler spliced.
#[derive(Debug)]
struct Splice {
    start: usize,
    end: usize,
    hole: Vec<usize>,
}

#[derive(Debug, Default)]
struct Builder {
    sql: String,
    plan: Vec<BindOp>,
    placeholders: Vec<Placeholder>,
    identifiers: Vec<Splice>,
    /// Fragments and join parts open around the template being appended (0 at top level).
    depth: usize,
}

impl Builder {
    /// Appends `template`; `path` is the position of the hole it fills (empty at top level).
    fn template(&mut self, template: &Template, path: &mut Vec<usize>) -> Result<(), SqlError> {
        if self.depth > MAX_FRAGMENT_DEPTH {
            return Err(too_deep());
        }
        if template.strings.len() != template.holes.len() + 1 {
            return Err(SqlError::template(format!(
                "a template needs exactly one more string than holes, got {} strings and {} holes{}",
                template.strings.len(),
                template.holes.len(),
                if path.is_empty() { String::new() } else { format!(" (in {})", describe_hole(path)) }
            )));
        }
        let mut strings = template.strings.iter();
        self.sql.push_str(strings.next().map_or("", String::as_str));
        for (index, hole) in template.holes.iter().enumerate() {
            path.push(index + 1);
            self.hole(hole, path)?;
            path.pop();
            self.sql.push_str(strings.next().map_or("", String::as_str));
        }
        Ok(())
    }

    fn hole(&mut self, hole: &Hole, path: &mut Vec<usize>) -> Result<(), SqlError> {
        match hole {
            Hole::Value => self.value("", "", BindOp::Value, path)?,
            Hole::Date => self.value("CAST(", " AS INTEGER)", BindOp::Value, path)?,
            Hole::Json => self.value("json(", ")", BindOp::Json, path)?,
            Hole::In => self.value("(SELECT value FROM json_each(", "))", BindOp::List, path)?,
            Hole::InItems { len } => {
                if self.placeholders.len() + len > MAX_BOUND_PARAMETERS {
                    return Err(SqlError::bind(format!(
                        "sql.in with {len} blobs at {} needs one parameter per blob (blobs cannot \
                         travel as JSON), more than the platform's limit of {MAX_BOUND_PARAMETERS} \
                         bound parameters per statement: query the blobs in smaller batches",
                        describe_hole(path)
                    )));
                }
                self.sql.push('(');
                for item in 0..*len {
                    if item > 0 {
                        self.sql.push_str(", ");
                    }
                    self.placeholder(path)?;
                }
                self.sql.push(')');
                self.plan.push(BindOp::Spread);
            }
            Hole::Id { name } => {
                let quoted = quote_identifier(name)?;
                let start = self.sql.len();
                self.sql.push_str(&quoted);
                self.identifiers.push(Splice {
                    start,
                    end: self.sql.len(),
                    hole: path.clone(),
                });
            }
            Hole::Raw { text } => self.sql.push_str(text),
            Hole::Fragment(fragment) => {
                self.depth += 1;
                let appended = self.template(fragment, path);
                self.depth -= 1;
                appended?;
            }
            Hole::Join { parts, separator } => {
                for (index, part) in parts.iter().enumerate() {
                    if index > 0 {
                        self.sql.push_str(separator);
                    }
                    path.push(index + 1);
                    self.depth += 1;
                    let appended = self.template(part, path);
                    self.depth -= 1;
                    path.pop();
                    appended?;
                }
            }
        }
        Ok(())
    }

    /// One parameter between `open` and `close`, bound by `op`.
    fn value(
        &mut self,
        open: &str,
        close: &str,
        op: BindOp,
        path: &[usize],
    ) -> Result<(), SqlError> {
        self.sql.push_str(open);
        self.placeholder(path)?;
        self.sql.push_str(close);
        self.plan.push(op);
        Ok(())
    }

    fn placeholder(&mut self, path: &[usize]) -> Result<(), SqlError> {
        if self.placeholders.len() >= MAX_BOUND_PARAMETERS {
            return Err(SqlError::bind(format!(
                "the statement needs more than {MAX_BOUND_PARAMETERS} bound parameters (the \
                 platform's limit per statement), reached at {}: pass long lists with \
                 sql.in(list), which binds the whole list as one parameter",
                describe_hole(path)
            )));
        }
        self.placeholders.push(Placeholder {
            offset: self.sql.len(),
            hole: path.to_vec(),
        });
        self.sql.push('?');
        Ok(())
    }

    /// Proves that every `?` written is a parameter token of its own, every spliced identifier
    /// a quoted-identifier token of its own, and that the template text holds no parameters of
    /// its own (they would shift every binding).
    fn verify_placements(&self, tokens: &[Token]) -> Result<(), SqlError> {
        let mut placeholders = self.placeholders.iter().peekable();
        let mut identifiers = self.identifiers.iter().peekable();
        for token in tokens {
            let mut ours = false;
            while let Some(placeholder) = placeholders.next_if(|p| p.offset < token.end) {
                let alone = token.kind == TokenKind::Parameter
                    && token.start == placeholder.offset
                    && token.end == placeholder.offset + 1;
                if !alone {
                    return Err(misplaced(&placeholder.hole, token, &self.sql));
                }
                ours = true;
            }
            while let Some(identifier) = identifiers.next_if(|s| s.start < token.end) {
                let alone = token.kind == TokenKind::QuotedIdentifier
                    && token.start == identifier.start
                    && token.end == identifier.end;
                if !alone {
                    return Err(misplaced(&identifier.hole, token, &self.sql));
                }
            }
            if token.kind == TokenKind::Parameter && !ours {
                return Err(SqlError::template(format!(
                    "the template contains the parameter `{}`; write ${{value}} in the template \
                     instead of a parameter (mixing both would shift every binding)",
                    token.text(&self.sql)
                )));
            }
        }
        Ok(())
    }
}

/// The message of `SQL_TEMPLATE` for fragments nested deeper than [`MAX_FRAGMENT_DEPTH`]. The
/// facade raises it first, before anything crosses into the engine (generated from `src/shared.rs`).
pub fn fragment_depth_message() -> String {
    format!(
        "sql fragments are nested more than {MAX_FRAGMENT_DEPTH} deep; build long conditions with \
         sql.join(parts, sql` AND `) instead of wrapping the previous fragment in a new one each time (SQLite itself nests \
         expressions at most 100 deep: for long lists of values use sql.in)"
    )
}

fn too_deep() -> SqlError {
    SqlError::template(fragment_depth_message())
}

fn misplaced(hole: &[usize], token: &Token, sql: &str) -> SqlError {
    let inside = match token.kind {
        TokenKind::Parameter => format!(
            "would merge with the text after it into the parameter `{}`: put a space after the hole",
            token.text(sql)
        ),
        TokenKind::QuotedIdentifier if !token.terminated => {
            "lands inside an unterminated quoted identifier".to_owned()
        }
        kind => format!(
            "lands inside {}; a value cannot go inside a literal, quoted identifier or comment: \
             remove the quotes around the hole (write `= ${{v}}`, not `= '${{v}}'`)",
            kind.describe()
        ),
    };
    SqlError::template(format!("{} {inside}", describe_hole(hole)))
}

/// "`${...}` number 2" for the 2nd hole; nested positions are dotted: "3.2.1" is the 1st hole of
/// the 2nd part (or hole) of whatever fills hole 3.
fn describe_hole(path: &[usize]) -> String {
    let dotted: Vec<String> = path.iter().map(usize::to_string).collect();
    let nesting = if path.len() > 1 {
        " (positions count from 1; each dot is one level of sql`...` or sql.join nesting)"
    } else {
        " (counting from 1)"
    };
    format!("`${{...}}` number {}{nesting}", dotted.join("."))
}

/// `name` as a double-quoted SQLite identifier, or why it cannot be one.
pub fn quote_identifier(name: &str) -> Result<String, SqlError> {
    let refuse = |reason: String| Err(SqlError::Identifier { reason });
    if name.is_empty() {
        return refuse("the name is empty".to_owned());
    }
    if name.contains('\0') {
        return refuse("the name contains a NUL character".to_owned());
    }
    if name.len() > MAX_IDENTIFIER_BYTES {
        return refuse(format!(
            "the name is {} bytes long, more than the {MAX_IDENTIFIER_BYTES} allowed",
            name.len()
        ));
    }
    Ok(format!("\"{}\"", name.replace('"', "\"\"")))
}
