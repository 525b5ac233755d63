//! How deeply a file nests, measured before anything recursive reads it.
//!
//! oxc's parser, oxc_semantic's builder and the AST visitors recurse once per level of nesting,
//! and the checker's wasm has a bounded stack (the Rust stack in linear memory, and V8's stack
//! for the wasm frames: about 1 MB on Node's main thread, 4 MB on a worker). A file nested about
//! a thousand levels deep (generated or minified code) overflowed it and trapped the whole
//! check. Two limits keep every file far from it, the same on either thread:
//!
//! - [`scan`], before parsing: a lexical scan counts the open brackets (`(`, `[`, `{`, `${`) and
//!   the constructs the parser reads recursively without brackets (`=>`, `?`, `=`, `else`
//!   and runs of prefix operators in one statement) up to [`MAX_NESTING`];
//! - [`ast_too_deep`], after parsing and before oxc_semantic: the depth of nested expressions,
//!   statements and types in the AST, which also sees left-deep chains (`a + a + ...`,
//!   `a.b.c...`) that the parser reads in a loop, up to [`MAX_AST_DEPTH`].
//!
//! The scan is deliberately simple (a regular expression literal is told from a division by the
//! token before it, JSX text is read as code), and errs towards counting less: it only has to
//! catch nesting far beyond what people write. docs/rules/syntax-error.md documents the limits.

use oxc_ast::ast::{Expression, Program, Statement, TSType};
use oxc_ast_visit::{walk, Visit};

/// The deepest nesting [`scan`] accepts. The parser overflowed Node's main-thread stack at about
/// 1,000 levels of brackets; half of that leaves room for the costliest constructs.
pub const MAX_NESTING: u32 = 500;

/// The deepest AST [`ast_too_deep`] accepts, in nested expressions, statements and types.
/// oxc_semantic overflowed Node's main-thread stack at about 10,000 (a chain of method calls).
pub const MAX_AST_DEPTH: u32 = 2_000;

/// A comment the scan saw that may be a suppression: its span and its content's (without the
/// comment's delimiters), as byte offsets.
pub struct ScannedComment {
    pub start: u32,
    pub end: u32,
    pub content_start: u32,
    pub content_end: u32,
}

/// What [`scan`] found.
pub struct Scan {
    /// The first byte offset at which the nesting went over [`MAX_NESTING`], if it did.
    pub too_deep_at: Option<u32>,
    /// Comments containing `needle`, for the suppressions of a file that is not parsed.
    pub comments: Vec<ScannedComment>,
}

#[derive(Clone, Copy)]
struct Frame {
    /// `(`, `[`, `{`, or `$` for a template literal's `${`.
    open: u8,
    /// The bracket-less recursion counted in the enclosing frame's statement when this one
    /// opened, and the prefix operators right before it.
    run: u32,
    prefix: u32,
}

fn off(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(u32::MAX)
}

const IDENT: u8 = 1;
const SPACE: u8 = 2;

/// Each byte's class: a byte of an identifier (or number, or any non-ASCII byte), or
/// whitespace other than a newline. A table, because the scan reads every byte of every file.
// `i` runs over 0..256, the table's length (a `const` block has no `get_mut` to use instead).
#[allow(clippy::indexing_slicing)]
static CLASS: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut i = 0;
    while i < 256 {
        let b = i as u8;
        table[i] = if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
            IDENT
        } else if matches!(b, b' ' | b'\t' | b'\r' | 0x0b | 0x0c) {
            SPACE
        } else {
            0
        };
        i += 1;
    }
    table
};

fn class(b: u8) -> u8 {
    CLASS.get(usize::from(b)).copied().unwrap_or(0)
}

fn is_ident(b: u8) -> bool {
    class(b) & IDENT != 0
}

/// What a word is to the scan, found by its length and first byte before any comparison (most
/// words are none of these).
enum Word {
    Else,
    Prefix,
    /// A keyword after which an operand starts (a `/` there begins a regular expression).
    Before,
    Other,
}

fn word(w: &[u8]) -> Word {
    let is = |k: &[u8]| w == k;
    match (w.len(), w.first().copied().unwrap_or(0)) {
        (4, b'e') if is(b"else") => Word::Else,
        (6, b't') if is(b"typeof") => Word::Prefix,
        (4, b'v') if is(b"void") => Word::Prefix,
        (6, b'd') if is(b"delete") => Word::Prefix,
        (5, b'a') if is(b"await") => Word::Prefix,
        (3, b'n') if is(b"new") => Word::Prefix,
        (5, b'y') if is(b"yield") => Word::Prefix,
        (6, b'r') if is(b"return") => Word::Before,
        (5, b't') if is(b"throw") => Word::Before,
        (4, b'c') if is(b"case") => Word::Before,
        (2, b'i') if is(b"in") => Word::Before,
        (2, b'o') if is(b"of") => Word::Before,
        (2, b'd') if is(b"do") => Word::Before,
        (10, b'i') if is(b"instanceof") => Word::Before,
        (7, b'e') if is(b"extends") => Word::Before,
        _ => Word::Other,
    }
}

/// Scans `text` for its nesting depth (see the module's documentation); comments containing
/// `needle` are collected.
pub fn scan(text: &str, needle: &str) -> Scan {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut comments = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    // The current frame's bracket-less run, and the run of consecutive prefix operators.
    let mut run: u32 = 0;
    let mut prefix: u32 = 0;
    // True when the previous token ends an operand (a `/` then divides, else starts a regex).
    let mut operand = false;
    // True right after a `}` closed a block: the statement ended unless `else` follows.
    let mut after_block = false;
    // True right after a `.`: a keyword there is a property name (`map.delete(k)`).
    let mut dot = false;
    // Inside a template literal's text (not its `${...}`).
    let mut in_template = false;
    // The runs and prefixes of the frames on the stack, summed.
    let mut saved: u32 = 0;
    let mut i = 0usize;
    let too_deep = |stack: &Vec<Frame>, saved: u32, run: u32, prefix: u32| {
        off(stack.len())
            .saturating_add(saved)
            .saturating_add(run)
            .saturating_add(prefix)
            > MAX_NESTING
    };
    while i < b.len() {
        if in_template {
            match at(i) {
                b'\\' => i += 2,
                b'`' => {
                    in_template = false;
                    operand = true;
                    i += 1;
                }
                b'$' if at(i + 1) == b'{' => {
                    in_template = false;
                    // A template's text ends no statement: the `${` nests in the run.
                    stack.push(Frame {
                        open: b'$',
                        run,
                        prefix,
                    });
                    saved = saved.saturating_add(run).saturating_add(prefix);
                    run = 0;
                    prefix = 0;
                    operand = false;
                    i += 2;
                    if too_deep(&stack, saved, run, prefix) {
                        return Scan {
                            too_deep_at: Some(off(i - 2)),
                            comments,
                        };
                    }
                }
                _ => i += 1,
            }
            continue;
        }
        let c = at(i);
        // Words first: most tokens are (the general path below reads them the same way).
        if class(c) & IDENT != 0 && !after_block {
            let start = i;
            i += 1;
            while class(at(i)) & IDENT != 0 {
                i += 1;
            }
            let kind = if dot || !c.is_ascii_lowercase() {
                Word::Other
            } else {
                b.get(start..i).map_or(Word::Other, word)
            };
            dot = false;
            operand = false;
            match kind {
                Word::Other => {
                    operand = true;
                    prefix = 0;
                    continue;
                }
                Word::Before => {
                    prefix = 0;
                    continue;
                }
                Word::Prefix => prefix = prefix.saturating_add(1),
                Word::Else => run = run.saturating_add(1),
            }
            if too_deep(&stack, saved, run, prefix) {
                return Scan {
                    too_deep_at: Some(off(start)),
                    comments,
                };
            }
            continue;
        }
        // Whitespace and comments leave every state as it is (a newline ends the run: a
        // statement may end there without a `;`).
        if c == b'\n' {
            run = 0;
            i += 1;
            continue;
        }
        if class(c) & SPACE != 0 {
            i += 1;
            while class(at(i)) & SPACE != 0 {
                i += 1;
            }
            continue;
        }
        if c == b'/' && (at(i + 1) == b'/' || at(i + 1) == b'*') {
            let start = i;
            let (content_end, end) = if at(i + 1) == b'/' {
                let end = b
                    .get(i..)
                    .and_then(|s| s.iter().position(|&x| x == b'\n'))
                    .map_or(b.len(), |p| i + p);
                (end, end)
            } else {
                let end = text
                    .get(i + 2..)
                    .and_then(|s| s.find("*/"))
                    .map_or(b.len(), |p| i + 2 + p);
                (end, (end + 2).min(b.len()))
            };
            if text
                .get(start + 2..content_end)
                .is_some_and(|s| s.contains(needle))
            {
                comments.push(ScannedComment {
                    start: off(start),
                    end: off(end),
                    content_start: off(start + 2),
                    content_end: off(content_end),
                });
            }
            i = end;
            continue;
        }
        if after_block {
            after_block = false;
            if !(c == b'e' && b.get(i..i + 4) == Some(&b"else"[..]) && !is_ident(at(i + 4))) {
                run = 0;
            }
        }
        let was_operand = operand;
        operand = false;
        let was_dot = dot;
        dot = false;
        let mut counts = 0u32;
        match c {
            b'\'' | b'"' => {
                i += 1;
                while i < b.len() && at(i) != c && at(i) != b'\n' {
                    i += if at(i) == b'\\' { 2 } else { 1 };
                }
                i += 1;
                operand = true;
                prefix = 0;
                continue;
            }
            b'`' => {
                in_template = true;
                prefix = 0;
                i += 1;
                continue;
            }
            b'/' if !was_operand => {
                // A regular expression literal: to its closing `/`, outside a class.
                i += 1;
                let mut class = false;
                while i < b.len() && at(i) != b'\n' {
                    match at(i) {
                        b'\\' => i += 1,
                        b'[' => class = true,
                        b']' => class = false,
                        b'/' if !class => break,
                        _ => {}
                    }
                    i += 1;
                }
                i += 1;
                while is_ident(at(i)) {
                    i += 1;
                }
                operand = true;
                prefix = 0;
                continue;
            }
            b'(' | b'[' | b'{' => {
                stack.push(Frame {
                    open: c,
                    run,
                    prefix,
                });
                saved = saved.saturating_add(run).saturating_add(prefix);
                run = 0;
                prefix = 0;
                i += 1;
                if too_deep(&stack, saved, run, prefix) {
                    return Scan {
                        too_deep_at: Some(off(i - 1)),
                        comments,
                    };
                }
                continue;
            }
            b')' | b']' | b'}' => {
                let frame = stack.pop();
                if let Some(f) = frame {
                    saved = saved.saturating_sub(f.run).saturating_sub(f.prefix);
                }
                run = frame.map_or(0, |f| f.run);
                prefix = 0;
                i += 1;
                match frame {
                    Some(Frame { open: b'$', .. }) => in_template = true,
                    Some(Frame { open: b'{', .. }) => after_block = true,
                    _ => operand = true,
                }
                continue;
            }
            b';' | b',' => {
                run = 0;
                prefix = 0;
                i += 1;
                continue;
            }
            b'=' if at(i + 1) == b'>' => {
                counts = 1;
                i += 2;
            }
            b'=' if at(i + 1) != b'=' => {
                counts = 1;
                i += 1;
            }
            // A conditional's `?`, not `??` nor `?.` (but `a?.5:b` is one).
            b'?' if at(i + 1) != b'?' && (at(i + 1) != b'.' || at(i + 2).is_ascii_digit()) => {
                counts = 1;
                i += 1;
            }
            // A type's arguments (`Array<Array<...>>`) nest without brackets; a comparison
            // counts until its statement ends, a `>` takes one back.
            b'<' if at(i + 1) == b'<' => {
                i += 2;
                continue;
            }
            b'<' if at(i + 1) != b'=' => {
                counts = 1;
                i += 1;
            }
            b'>' if at(i + 1) != b'=' => {
                run = run.saturating_sub(1);
                i += 1;
                continue;
            }
            b'!' | b'~' if at(i + 1) != b'=' => {
                prefix = prefix.saturating_add(1);
                i += 1;
            }
            _ if is_ident(c) => {
                let start = i;
                while is_ident(at(i)) {
                    i += 1;
                }
                let kind = match b.get(start..i) {
                    Some(w) if !was_dot => word(w),
                    _ => Word::Other,
                };
                match kind {
                    Word::Else => counts = 1,
                    Word::Prefix => prefix = prefix.saturating_add(1),
                    Word::Before => prefix = 0,
                    Word::Other => {
                        operand = true;
                        prefix = 0;
                    }
                }
            }
            _ => {
                // Any other operator or punctuation.
                i += 1;
                if c != b'-' && c != b'+' {
                    prefix = 0;
                }
                dot = c == b'.';
                continue;
            }
        }
        run = run.saturating_add(counts);
        if too_deep(&stack, saved, run, prefix) {
            return Scan {
                too_deep_at: Some(off(i.saturating_sub(1))),
                comments,
            };
        }
    }
    Scan {
        too_deep_at: None,
        comments,
    }
}

/// The first expression, statement or type nested more than [`MAX_AST_DEPTH`] deep in
/// `program`, as its start offset. The walk stops descending at the limit, so its own stack
/// stays bounded.
pub fn ast_too_deep(program: &Program) -> Option<u32> {
    let mut depth = Depth {
        depth: 0,
        found: None,
    };
    depth.visit_program(program);
    depth.found
}

struct Depth {
    depth: u32,
    found: Option<u32>,
}

impl Depth {
    /// Descends into a node at `start` unless the limit is reached (or was, elsewhere).
    fn enter(&mut self, start: u32) -> bool {
        if self.found.is_some() {
            return false;
        }
        if self.depth >= MAX_AST_DEPTH {
            self.found = Some(start);
            return false;
        }
        self.depth += 1;
        true
    }
}

impl<'a> Visit<'a> for Depth {
    fn visit_expression(&mut self, it: &Expression<'a>) {
        if self.enter(oxc_span::GetSpan::span(it).start) {
            walk::walk_expression(self, it);
            self.depth -= 1;
        }
    }

    fn visit_statement(&mut self, it: &Statement<'a>) {
        if self.enter(oxc_span::GetSpan::span(it).start) {
            walk::walk_statement(self, it);
            self.depth -= 1;
        }
    }

    fn visit_ts_type(&mut self, it: &TSType<'a>) {
        if self.enter(oxc_span::GetSpan::span(it).start) {
            walk::walk_ts_type(self, it);
            self.depth -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{scan, MAX_NESTING};

    fn deep(text: &str) -> bool {
        scan(text, "durable-core-disable").too_deep_at.is_some()
    }

    #[test]
    fn ordinary_code_is_not_too_deep() {
        let n = MAX_NESTING as usize;
        // Long flat runs: statements, no-semicolon lines, sequential blocks, strings, regexes.
        assert!(!deep(&"const a = 1;\n".repeat(5_000)));
        assert!(!deep(&"a = b\n".repeat(5_000)));
        assert!(!deep(&format!(
            "function f() {{{}}}",
            "if (a) { b = 1 } ".repeat(n * 2)
        )));
        assert!(!deep(&format!("x = [{}];", "(1),".repeat(n * 2))));
        assert!(!deep(&format!("s = '{}';", "(".repeat(n * 2))));
        assert!(!deep(&format!("s = `{}`;", "(".repeat(n * 2))));
        assert!(!deep(&format!("// {}\n", "(".repeat(n * 2))));
        assert!(!deep(&format!("r = /{}/;", "\\(".repeat(n * 2))));
        assert!(!deep(&format!("r = /[{}]/;", "(".repeat(n * 2))));
        assert!(!deep(&format!("x = {};", "!a && ".repeat(n * 2) + "b")));
        assert!(!deep(&format!(
            "x = {};",
            "a ? b : c, ".repeat(n * 2) + "d"
        )));
        assert!(!deep(&format!("x = a{};", " / b".repeat(n * 2))));
        assert!(!deep(&format!(
            "x = {};",
            "Map<A, B<C>>, a < b, c << d, ".repeat(n * 2)
        )));
        assert!(!deep(&format!("x = [{}];", "a < b > c, ".repeat(n * 2))));
    }

    #[test]
    fn deep_nesting_of_every_kind_is_found() {
        let n = MAX_NESTING as usize + 1;
        for text in [
            format!("x = {}1{};", "(".repeat(n), ")".repeat(n)),
            format!("x = {}1{};", "[".repeat(n), "]".repeat(n)),
            format!("{}{}", "{".repeat(n), "}".repeat(n)),
            format!("x = {}1{};", "`${".repeat(n), "}`".repeat(n)),
            format!("x = {}1;", "() => ".repeat(n)),
            format!("x = {}1;", "a ? b : ".repeat(n)),
            format!("x = {}1;", "a = ".repeat(n)),
            format!("x = {}1;", "!".repeat(n)),
            format!("x = {}1;", "typeof ".repeat(n)),
            format!("type T = {}1{};", "Array<".repeat(n), ">".repeat(n)),
            format!("if (a) {{}}{}", " else if (a) {}".repeat(n)),
            // Half brackets, half arrows.
            format!(
                "x = {}1{};",
                "(() => ".repeat(n / 2 + 1),
                ")".repeat(n / 2 + 1)
            ),
        ] {
            assert!(deep(&text), "{}", text.get(..40).unwrap_or(&text));
        }
    }
}
