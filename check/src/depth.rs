//! How deeply a file nests, measured before anything recursive reads it.
//!
//! oxc's parser, oxc_semantic's builder and the AST visitors recurse once per level of nesting,
//! and the checker's wasm has a bounded stack (the Rust stack in linear memory, and V8's stack
//! for the wasm frames: about 1 MB on Node's main thread, 4 MB on a worker). A file nested about
//! a thousand levels deep (generated or minified code) overflowed it and trapped the whole
//! check. Two limits keep every file far from it, the same on either thread:
//!
//! - [`scan`], before parsing: a lexical scan counts the open brackets (`(`, `[`, `{`, `${`),
//!   JSX elements (in `.jsx` and `.tsx` files), and the constructs the parser reads recursively
//!   without brackets (`=>`, `?`, `=`, `else` and runs of prefix operators in one statement) up
//!   to [`MAX_NESTING`];
//! - [`ast_too_deep`], after parsing and before oxc_semantic: the depth of nested expressions,
//!   statements, types and JSX elements in the AST, which also sees left-deep chains
//!   (`a + a + ...`, `a.b.c...`) that the parser reads in a loop, up to [`MAX_AST_DEPTH`].
//!
//! The scan is deliberately simple (a regular expression literal is told from a division by the
//! token before it, a JSX element from a comparison likewise), and errs towards counting less:
//! it only has to catch nesting far beyond what people write. What it misses (a chain split over
//! lines, where a newline ends its count) can still overflow the parser: the CLI then reports
//! the file as one it could not analyse (`cli/recovering-checker.mjs`).
//! docs/rules/syntax-error.md documents the limits.
//!
//! JSX is read in three states: code; an opening tag (its name, attributes, `{...}` values,
//! type arguments), which a `>` ends; and an element's children (text, `{...}`, elements),
//! which its closing tag ends. Anything a tag or JSX text cannot hold (a `,` in `<T,>(x) => x`,
//! a `>` in `<T extends U>(x) => x`'s "text") means that it was not JSX: the elements being read
//! are dropped and the scan reads on as code, so a misreading never leaves a level open.

use oxc_ast::ast::{Expression, JSXElement, JSXFragment, Program, Statement, TSType};
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

/// What a frame on the scan's stack is: a bracket, or JSX.
const TEMPLATE: u8 = b'$';
/// A `{` in a JSX opening tag (an attribute's value, or a spread).
const JSX_ATTRIBUTE: u8 = b'a';
/// A `{` among a JSX element's children.
const JSX_CHILD: u8 = b'c';
/// A JSX element whose opening tag is being read.
const JSX_TAG: u8 = b't';
/// A JSX element (or fragment) whose children are being read.
const JSX_ELEMENT: u8 = b'e';

#[derive(Clone, Copy)]
struct Frame {
    /// `(`, `[`, `{`, or one of the kinds above.
    open: u8,
    /// The bracket-less recursion counted in the enclosing frame's statement when this one
    /// opened, and the prefix operators right before it.
    run: u32,
    prefix: u32,
}

/// What the scan is reading: code, a template literal's text, a JSX opening tag (its name and
/// attributes), or a JSX element's children (its text).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    Code,
    Template,
    JsxTag,
    JsxText,
}

/// The open frames and the bracket-less nesting of the current statement. The frames are
/// borrowed: a vector held in the struct itself (whose growth takes its address) kept LLVM from
/// holding the counts in registers, which cost the wasm's scan a third more instructions.
struct Nesting<'a> {
    stack: &'a mut Vec<Frame>,
    /// The current frame's bracket-less run, and the run of consecutive prefix operators.
    run: u32,
    prefix: u32,
    /// The runs and prefixes of the frames on the stack, summed.
    saved: u32,
}

impl Nesting<'_> {
    fn push(&mut self, open: u8) {
        self.stack.push(Frame {
            open,
            run: self.run,
            prefix: self.prefix,
        });
        self.saved = self
            .saved
            .saturating_add(self.run)
            .saturating_add(self.prefix);
        self.run = 0;
        self.prefix = 0;
    }

    /// Closes the innermost frame: the run of the statement it was in goes on.
    fn pop(&mut self) -> Option<Frame> {
        let frame = self.stack.pop();
        if let Some(f) = frame {
            self.saved = self.saved.saturating_sub(f.run).saturating_sub(f.prefix);
        }
        self.run = frame.map_or(0, |f| f.run);
        self.prefix = 0;
        frame
    }

    fn top(&self) -> u8 {
        self.stack.last().map_or(0, |f| f.open)
    }

    /// What is read after the innermost frame, once a JSX element inside it closed.
    fn mode(&self) -> Mode {
        match self.top() {
            JSX_TAG => Mode::JsxTag,
            JSX_ELEMENT => Mode::JsxText,
            _ => Mode::Code,
        }
    }

    fn too_deep(&self) -> bool {
        off(self.stack.len())
            .saturating_add(self.saved)
            .saturating_add(self.run)
            .saturating_add(self.prefix)
            > MAX_NESTING
    }

    /// Opens a JSX element at a `<` followed by `next`: a fragment (`<>`) starts with its
    /// children, an element with its tag. Returns what is read next.
    fn open_jsx(&mut self, next: u8) -> Mode {
        if next == b'>' {
            self.push(JSX_ELEMENT);
            Mode::JsxText
        } else {
            self.push(JSX_TAG);
            Mode::JsxTag
        }
    }

    /// Drops the JSX elements being read: what looked like JSX was not (a generic arrow
    /// function's `<T,>`, a comparison), or is not valid JSX (a `>` or `}` in its text).
    fn abandon_jsx(&mut self) {
        while matches!(self.top(), JSX_TAG | JSX_ELEMENT) {
            self.pop();
        }
    }
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

/// Whether the byte after a `<` starts a JSX element's name (or is the `>` of a fragment).
fn starts_jsx(next: u8) -> bool {
    next == b'>' || (is_ident(next) && !next.is_ascii_digit())
}

/// Whether the last byte before `i` other than whitespace is a `=` (in a JSX tag: an attribute's
/// value follows).
fn after_equals(b: &[u8], i: usize) -> bool {
    b.get(..i).and_then(|s| {
        s.iter()
            .rev()
            .find(|&&x| class(x) & SPACE == 0 && x != b'\n')
    }) == Some(&b'=')
}

/// The result of a scan that went over the limit at byte `at`.
fn too_deep_at(at: usize, comments: Vec<ScannedComment>) -> Scan {
    Scan {
        too_deep_at: Some(off(at)),
        comments,
    }
}

/// Reads the comment (`//` or `/*`) at byte `i` of `text` and returns the offset where it
/// ends; keeps it in `comments` if it contains `needle`.
fn comment(text: &str, i: usize, needle: &str, comments: &mut Vec<ScannedComment>) -> usize {
    let b = text.as_bytes();
    let (content_end, end) = if b.get(i + 1) == Some(&b'/') {
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
        .get(i + 2..content_end)
        .is_some_and(|s| s.contains(needle))
    {
        comments.push(ScannedComment {
            start: off(i),
            end: off(end),
            content_start: off(i + 2),
            content_end: off(content_end),
        });
    }
    end
}

/// Scans `text` for its nesting depth (see the module's documentation); comments containing
/// `needle` are collected. `jsx`: the file may contain JSX (`.jsx`, `.tsx`), whose elements
/// each nest one level.
pub fn scan(text: &str, needle: &str, jsx: bool) -> Scan {
    let b = text.as_bytes();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let mut comments = Vec::new();
    let mut frames = Vec::new();
    let mut nest = Nesting {
        stack: &mut frames,
        run: 0,
        prefix: 0,
        saved: 0,
    };
    let mut mode = Mode::Code;
    // True when the previous token ends an operand (a `/` then divides, else starts a regex; a
    // `<` compares, else may open a JSX element).
    let mut operand = false;
    // True right after a `}` closed a block: the statement ended unless `else` follows.
    let mut after_block = false;
    // True right after a `.`: a keyword there is a property name (`map.delete(k)`).
    let mut dot = false;
    let mut i = 0usize;
    while i < b.len() {
        if mode != Mode::Code {
            let c = at(i);
            match mode {
                Mode::Template => match c {
                    b'\\' => i += 2,
                    b'`' => {
                        mode = Mode::Code;
                        operand = true;
                        i += 1;
                    }
                    b'$' if at(i + 1) == b'{' => {
                        // A template's text ends no statement: the `${` nests in the run.
                        nest.push(TEMPLATE);
                        mode = Mode::Code;
                        operand = false;
                        i += 2;
                        if nest.too_deep() {
                            return too_deep_at(i - 2, comments);
                        }
                    }
                    _ => i += 1,
                },
                // An opening tag: its name and attributes, until its `>` (or `/>`).
                Mode::JsxTag => match c {
                    _ if is_ident(c) || matches!(c, b'-' | b':' | b'.' | b'=' | b'\n') => i += 1,
                    _ if class(c) & SPACE != 0 => i += 1,
                    b'"' | b'\'' => {
                        // An attribute's value: no escapes, and it may span lines.
                        i += 1;
                        while i < b.len() && at(i) != c {
                            i += 1;
                        }
                        i += 1;
                    }
                    b'{' => {
                        nest.push(JSX_ATTRIBUTE);
                        mode = Mode::Code;
                        operand = false;
                        i += 1;
                        if nest.too_deep() {
                            return too_deep_at(i - 1, comments);
                        }
                    }
                    // An element as an attribute's value (`b=<C>...</C>`), which JSX allows:
                    // it nests, and once it closes the tag goes on.
                    b'<' if starts_jsx(at(i + 1)) && after_equals(b, i) => {
                        let start = i;
                        mode = nest.open_jsx(at(i + 1));
                        i += if mode == Mode::JsxText { 2 } else { 1 };
                        if nest.too_deep() {
                            return too_deep_at(start, comments);
                        }
                    }
                    // Type arguments (`<Select<Option> ...>`), to their `>` (not an arrow's).
                    b'<' => {
                        let mut open = 0u32;
                        while i < b.len() {
                            match at(i) {
                                b'<' => open += 1,
                                b'>' if at(i - 1) != b'=' => open -= 1,
                                _ => {}
                            }
                            i += 1;
                            if open == 0 {
                                break;
                            }
                        }
                    }
                    b'>' => {
                        if let Some(frame) = nest.stack.last_mut() {
                            frame.open = JSX_ELEMENT;
                        }
                        mode = Mode::JsxText;
                        i += 1;
                    }
                    b'/' if at(i + 1) == b'>' => {
                        nest.pop();
                        mode = nest.mode();
                        operand = true;
                        i += 2;
                    }
                    b'/' if matches!(at(i + 1), b'/' | b'*') => {
                        i = comment(text, i, needle, &mut comments);
                    }
                    _ => {
                        nest.abandon_jsx();
                        mode = Mode::Code;
                        operand = true;
                    }
                },
                // An element's children: text, `{...}`, elements, until its closing tag.
                _ => match c {
                    b'{' => {
                        nest.push(JSX_CHILD);
                        mode = Mode::Code;
                        operand = false;
                        i += 1;
                        if nest.too_deep() {
                            return too_deep_at(i - 1, comments);
                        }
                    }
                    b'<' if at(i + 1) == b'/' => {
                        let mut end = i + 2;
                        while is_ident(at(end))
                            || matches!(at(end), b'-' | b':' | b'.' | b'\n')
                            || class(at(end)) & SPACE != 0
                        {
                            end += 1;
                        }
                        if at(end) == b'>' {
                            nest.pop();
                            mode = nest.mode();
                            operand = true;
                            i = end + 1;
                        } else {
                            nest.abandon_jsx();
                            mode = Mode::Code;
                            operand = true;
                            i = end;
                        }
                    }
                    b'<' if starts_jsx(at(i + 1)) => {
                        let start = i;
                        mode = nest.open_jsx(at(i + 1));
                        i += if mode == Mode::JsxText { 2 } else { 1 };
                        if nest.too_deep() {
                            return too_deep_at(start, comments);
                        }
                    }
                    // Not JSX text (oxc stops there too): read on as code.
                    b'<' | b'>' | b'}' => {
                        nest.abandon_jsx();
                        mode = Mode::Code;
                        operand = true;
                    }
                    _ => {
                        i += 1;
                        while i < b.len() && !matches!(at(i), b'<' | b'>' | b'{' | b'}') {
                            i += 1;
                        }
                    }
                },
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
                    nest.prefix = 0;
                    continue;
                }
                Word::Before => {
                    nest.prefix = 0;
                    continue;
                }
                Word::Prefix => nest.prefix = nest.prefix.saturating_add(1),
                Word::Else => nest.run = nest.run.saturating_add(1),
            }
            if nest.too_deep() {
                return too_deep_at(start, comments);
            }
            continue;
        }
        // Whitespace and comments leave every state as it is (a newline ends the run: a
        // statement may end there without a `;`).
        if c == b'\n' {
            nest.run = 0;
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
            i = comment(text, i, needle, &mut comments);
            continue;
        }
        if after_block {
            after_block = false;
            if !(c == b'e' && b.get(i..i + 4) == Some(&b"else"[..]) && !is_ident(at(i + 4))) {
                nest.run = 0;
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
                nest.prefix = 0;
                continue;
            }
            b'`' => {
                mode = Mode::Template;
                nest.prefix = 0;
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
                nest.prefix = 0;
                continue;
            }
            b'(' | b'[' | b'{' => {
                nest.push(c);
                i += 1;
                if nest.too_deep() {
                    return too_deep_at(i - 1, comments);
                }
                continue;
            }
            b')' | b']' | b'}' => {
                let frame = nest.pop();
                i += 1;
                match frame.map_or(0, |f| f.open) {
                    TEMPLATE => mode = Mode::Template,
                    b'{' => after_block = true,
                    JSX_CHILD | JSX_ATTRIBUTE => mode = nest.mode(),
                    _ => operand = true,
                }
                continue;
            }
            b';' | b',' => {
                nest.run = 0;
                nest.prefix = 0;
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
            // A JSX element where an operand starts; it nests until its closing tag.
            b'<' if jsx && !was_operand && starts_jsx(at(i + 1)) => {
                let start = i;
                mode = nest.open_jsx(at(i + 1));
                i += if mode == Mode::JsxText { 2 } else { 1 };
                if nest.too_deep() {
                    return too_deep_at(start, comments);
                }
                continue;
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
                nest.run = nest.run.saturating_sub(1);
                i += 1;
                continue;
            }
            b'!' | b'~' if at(i + 1) != b'=' => {
                nest.prefix = nest.prefix.saturating_add(1);
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
                    Word::Prefix => nest.prefix = nest.prefix.saturating_add(1),
                    Word::Before => nest.prefix = 0,
                    Word::Other => {
                        operand = true;
                        nest.prefix = 0;
                    }
                }
            }
            _ => {
                // Any other operator or punctuation.
                i += 1;
                if c != b'-' && c != b'+' {
                    nest.prefix = 0;
                }
                dot = c == b'.';
                continue;
            }
        }
        nest.run = nest.run.saturating_add(counts);
        if nest.too_deep() {
            return too_deep_at(i.saturating_sub(1), comments);
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

    fn visit_jsx_element(&mut self, it: &JSXElement<'a>) {
        if self.enter(it.span.start) {
            walk::walk_jsx_element(self, it);
            self.depth -= 1;
        }
    }

    fn visit_jsx_fragment(&mut self, it: &JSXFragment<'a>) {
        if self.enter(it.span.start) {
            walk::walk_jsx_fragment(self, it);
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
        scan(text, "durable-core-disable", false)
            .too_deep_at
            .is_some()
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

    fn deep_jsx(text: &str) -> bool {
        scan(text, "durable-core-disable", true)
            .too_deep_at
            .is_some()
    }

    /// TSX as people write it: components, generics, comparisons, text that is not code.
    const COMPONENT: &str = r#"
export function List<T extends { id: string }>({ items, max }: Props<T>) {
  const [open, setOpen] = useState<boolean>(false);
  const pick = <U,>(x: U) => x;
  const keep = <U extends object>(x: U): U => x;
  const few = items.length < max && max > 0 ? items.slice(0, max) : items;
  for (let i = 0; i<few.length; i++) if (i < 2) setOpen(i > 1);
  return (
    <section className="list" aria-label='a "list" (of things)' data-x={`n-${max}`}>
      {/* a comment in JSX */}
      <Header.Title level={2} onClick={() => setOpen(!open)}>Items (don't click)</Header.Title>
      {open && <p>It's open: {few.length} of {items.length}.</p>}
      <ul>
        {few.map((item) => (
          <li key={item.id} title="a > b">
            <Row<T> item={item} render={(x) => <b>{String(x)}</b>} />
          </li>
        ))}
      </ul>
      <>
        <svg:rect width="1" />
        <img src="a.png" alt="" />
      </>
      {few.length > 3 ? <More count={few.length - 3} /> : null}
    </section>
  );
}
"#;

    #[test]
    fn ordinary_tsx_is_not_too_deep() {
        assert!(!deep_jsx(&COMPONENT.repeat(2_000)));
        // Generics and comparisons, which a `<` after no operand could read as a tag.
        assert!(!deep_jsx(&"const f = <T,>(x: T) => x;\n".repeat(2_000)));
        assert!(!deep_jsx(&"type F = <T>(x: T) => T;\n".repeat(2_000)));
        assert!(!deep_jsx(&"let b = a <b;\nlet c = (a)<b;\n".repeat(2_000)));
        assert!(!deep_jsx(&"x = i++<j;\n".repeat(2_000)));
        // Just within the limit.
        let n = MAX_NESTING as usize - 10;
        assert!(!deep_jsx(&format!(
            "x = {}a{};",
            "<div>".repeat(n),
            "</div>".repeat(n)
        )));
        // The component nests 15 levels at its deepest (its function, `return (`, `<section>`,
        // ..., `String(`), all counted: inside 242 elements and their `{` it is within the
        // limit, inside 243 it is over.
        let wrapped = |k: usize| {
            format!(
                "x = {}{COMPONENT}{};",
                "<div>{".repeat(k),
                "}</div>".repeat(k)
            )
        };
        assert!(!deep_jsx(&wrapped(242)));
        assert!(deep_jsx(&wrapped(243)));
        // Elements as attributes' values, with text a bracket in; type parameters' defaults.
        assert!(!deep_jsx(
            &"const r = <A b=<C>d (e</C> c = <D/> f=<>g [h</> />;\n".repeat(2_000)
        ));
        assert!(!deep_jsx(
            &"const f = <T = Array<U>>(x: T) => x;\n".repeat(2_000)
        ));
        // In a .ts file a `<` is never JSX: type assertions do not nest.
        assert!(!deep(&"x = <any>y;\n".repeat(2_000)));
    }

    #[test]
    fn deep_jsx_is_found() {
        let n = MAX_NESTING as usize + 1;
        for text in [
            format!("x = {}a{};", "<div>".repeat(n), "</div>".repeat(n)),
            format!("x = {}a{};", "<>".repeat(n), "</>".repeat(n)),
            format!(
                "x = {}a{};",
                "<div className=\"a\" onClick={() => f(1)}>\n".repeat(n),
                "</div>\n".repeat(n)
            ),
            format!("x = {}a{};", "<A.B c:d>".repeat(n), "</A.B>".repeat(n)),
            // Elements as attributes' values, inside one another.
            format!("x = {}<i/>{};", "<a b=".repeat(n), " />".repeat(n)),
            format!("x = {}a{};", "<a b=<p>".repeat(n), "</p> />".repeat(n)),
            // Half elements, half children's expressions.
            format!(
                "x = {}a{};",
                "<p>{b && ".repeat(n / 2 + 1),
                "}</p>".repeat(n / 2 + 1)
            ),
        ] {
            assert!(deep_jsx(&text), "{}", text.get(..40).unwrap_or(&text));
        }
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
