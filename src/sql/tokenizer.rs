//! A lexer for SQLite text that knows exactly where literals, quoted identifiers and comments
//! begin and end, so the compiler can prove a placeholder never lands inside one and the
//! checker can read statements without being fooled by text inside them.
//!
//! It follows SQLite's own tokenizer (`tokenize.c`) for every boundary that matters here and is
//! deliberately lax elsewhere: it never rejects text (an unterminated literal is a token marked
//! unterminated, a stray byte is punctuation) because SQLite reports syntax errors better.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// Spaces, tabs, newlines, form feeds.
    Space,
    /// `-- ...` up to and including the newline.
    LineComment,
    /// `/* ... */`; SQLite lets an unterminated one run to the end of the text.
    BlockComment,
    /// `'...'` with `''` as the escaped quote.
    String,
    /// `"..."`, `` `...` `` (doubled quote escapes) or `[...]` (no escapes).
    QuotedIdentifier,
    /// `x'...'` or `X'...'`.
    Blob,
    /// A keyword or bare identifier.
    Word,
    /// A numeric literal.
    Number,
    /// A bound parameter: `?`, `?NNN`, `:name`, `@name`, `$name`, `#name` (the last three with
    /// SQLite's Tcl-style `::` and `(...)` suffixes).
    Parameter,
    /// `;`, the statement separator.
    Semicolon,
    /// Any other byte (operators, parentheses, commas, dots).
    Punct,
}

impl TokenKind {
    /// Comments and whitespace: tokens SQLite ignores.
    pub fn is_trivia(self) -> bool {
        matches!(
            self,
            TokenKind::Space | TokenKind::LineComment | TokenKind::BlockComment
        )
    }

    /// How the kind reads in an error message.
    pub fn describe(self) -> &'static str {
        match self {
            TokenKind::Space => "whitespace",
            TokenKind::LineComment | TokenKind::BlockComment => "a comment",
            TokenKind::String => "a string literal",
            TokenKind::QuotedIdentifier => "a quoted identifier",
            TokenKind::Blob => "a blob literal",
            TokenKind::Word => "a word",
            TokenKind::Number => "a number",
            TokenKind::Parameter => "a parameter",
            TokenKind::Semicolon => "a semicolon",
            TokenKind::Punct => "punctuation",
        }
    }
}

/// One token: its kind and its byte range in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    pub start: usize,
    pub end: usize,
    /// False for a literal, quoted identifier or block comment that the text ends inside.
    pub terminated: bool,
}

impl Token {
    /// The token's text (empty if the range is not in `sql`, which a token of `sql` never is).
    pub fn text<'a>(&self, sql: &'a str) -> &'a str {
        sql.get(self.start..self.end).unwrap_or("")
    }

    /// Whether the token is the word `keyword`, in any case.
    pub fn is_word(&self, sql: &str, keyword: &str) -> bool {
        self.kind == TokenKind::Word && self.text(sql).eq_ignore_ascii_case(keyword)
    }
}

/// The tokens of `sql`, in order, covering every byte.
pub fn tokenize(sql: &str) -> Tokens<'_> {
    Tokens {
        bytes: sql.as_bytes(),
        position: 0,
    }
}

/// Iterator returned by [`tokenize`].
pub struct Tokens<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Iterator for Tokens<'_> {
    type Item = Token;

    fn next(&mut self) -> Option<Token> {
        let start = self.position;
        let (kind, end, terminated) = scan(self.bytes, start)?;
        // Every branch of `scan` consumes at least one byte; `max` keeps that a guarantee.
        self.position = end.max(start + 1);
        Some(Token {
            kind,
            start,
            end: self.position,
            terminated,
        })
    }
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\n' | b'\r' | 0x0c)
}

/// SQLite treats every byte of a multi-byte UTF-8 character as an identifier character, which
/// also keeps every token boundary on a character boundary.
fn is_identifier_start(byte: u8) -> bool {
    byte.is_ascii_alphabetic() || byte == b'_' || byte >= 0x80
}

fn is_identifier_char(byte: u8) -> bool {
    is_identifier_start(byte) || byte.is_ascii_digit() || byte == b'$'
}

/// The end of the run of bytes from `from` that satisfy `keep`.
fn skip_while(bytes: &[u8], from: usize, keep: impl Fn(u8) -> bool) -> usize {
    bytes
        .get(from..)
        .and_then(|rest| rest.iter().position(|b| !keep(*b)))
        .map_or(bytes.len(), |offset| from + offset)
}

/// Scans a quoted run whose opening quote is at `open`; a doubled quote is an escaped one.
fn quoted(bytes: &[u8], open: usize, quote: u8) -> (usize, bool) {
    let mut at = open + 1;
    loop {
        match bytes.get(at) {
            None => return (bytes.len(), false),
            Some(b) if *b == quote => {
                if bytes.get(at + 1) == Some(&quote) {
                    at += 2;
                } else {
                    return (at + 1, true);
                }
            }
            Some(_) => at += 1,
        }
    }
}

/// The index just past the first occurrence of `needle` at or after `from`.
fn find_after(bytes: &[u8], from: usize, needle: &[u8]) -> Option<usize> {
    bytes
        .get(from..)?
        .windows(needle.len())
        .position(|window| window == needle)
        .map(|offset| from + offset + needle.len())
}

fn scan(bytes: &[u8], start: usize) -> Option<(TokenKind, usize, bool)> {
    use TokenKind::*;
    let first = *bytes.get(start)?;
    let second = bytes.get(start + 1).copied();
    let scanned = match first {
        b if is_space(b) => (Space, skip_while(bytes, start, is_space), true),
        b'-' if second == Some(b'-') => match find_after(bytes, start + 2, b"\n") {
            Some(end) => (LineComment, end, true),
            None => (LineComment, bytes.len(), true),
        },
        b'/' if second == Some(b'*') => match find_after(bytes, start + 2, b"*/") {
            Some(end) => (BlockComment, end, true),
            None => (BlockComment, bytes.len(), false),
        },
        b'\'' => {
            let (end, terminated) = quoted(bytes, start, b'\'');
            (String, end, terminated)
        }
        b'"' | b'`' => {
            let (end, terminated) = quoted(bytes, start, first);
            (QuotedIdentifier, end, terminated)
        }
        b'[' => match find_after(bytes, start + 1, b"]") {
            Some(end) => (QuotedIdentifier, end, true),
            None => (QuotedIdentifier, bytes.len(), false),
        },
        b'x' | b'X' if second == Some(b'\'') => {
            let (end, terminated) = quoted(bytes, start + 1, b'\'');
            (Blob, end, terminated)
        }
        b';' => (Semicolon, start + 1, true),
        b'?' => (
            Parameter,
            skip_while(bytes, start + 1, |b| b.is_ascii_digit()),
            true,
        ),
        b':' | b'@' | b'$' | b'#' if second.is_some_and(is_identifier_char) => {
            (Parameter, named_parameter_end(bytes, start), true)
        }
        b'.' if second.is_some_and(|b| b.is_ascii_digit()) => {
            (Number, skip_while(bytes, start + 1, is_number_char), true)
        }
        b if b.is_ascii_digit() => (Number, skip_while(bytes, start, is_number_char), true),
        b if is_identifier_start(b) => (Word, skip_while(bytes, start, is_identifier_char), true),
        _ => (Punct, start + 1, true),
    };
    Some(scanned)
}

/// The end of a named parameter starting at `start`, as SQLite's tokenizer reads it: identifier
/// characters, `::` inside the name, and one trailing `(...)` (up to a space or the `)`).
fn named_parameter_end(bytes: &[u8], start: usize) -> usize {
    let mut at = start + 1;
    loop {
        match bytes.get(at).copied() {
            Some(b) if is_identifier_char(b) => at += 1,
            Some(b':') if bytes.get(at + 1) == Some(&b':') => at += 2,
            Some(b'(') => {
                let close = skip_while(bytes, at + 1, |b| !is_space(b) && b != b')');
                return if bytes.get(close) == Some(&b')') {
                    close + 1
                } else {
                    close
                };
            }
            _ => return at,
        }
    }
}

/// Digits, hex digits, `.`, `_` separators and exponent letters; an exponent's sign becomes
/// punctuation, which is harmless: nothing here reads numbers.
fn is_number_char(byte: u8) -> bool {
    byte.is_ascii_alphanumeric() || byte == b'.' || byte == b'_'
}

/// The name an identifier token denotes: quotes removed and doubled quotes collapsed. A word is
/// its own name.
pub fn identifier_name(token: &Token, sql: &str) -> Option<String> {
    let text = token.text(sql);
    match token.kind {
        TokenKind::Word => Some(text.to_owned()),
        TokenKind::QuotedIdentifier => {
            let mut chars = text.chars();
            let open = chars.next()?;
            let inner = chars.as_str();
            let inner = if token.terminated {
                inner.get(..inner.len().saturating_sub(1))?
            } else {
                inner
            };
            Some(match open {
                '"' => inner.replace("\"\"", "\""),
                '`' => inner.replace("``", "`"),
                _ => inner.to_owned(),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use TokenKind::*;

    fn kinds(sql: &str) -> Vec<(TokenKind, &str)> {
        tokenize(sql)
            .filter(|t| t.kind != Space)
            .map(|t| (t.kind, t.text(sql)))
            .collect()
    }

    #[test]
    fn splits_a_plain_statement() {
        assert_eq!(
            kinds("SELECT a, 1.5 FROM t WHERE x = ?;"),
            vec![
                (Word, "SELECT"),
                (Word, "a"),
                (Punct, ","),
                (Number, "1.5"),
                (Word, "FROM"),
                (Word, "t"),
                (Word, "WHERE"),
                (Word, "x"),
                (Punct, "="),
                (Parameter, "?"),
                (Semicolon, ";"),
            ]
        );
    }

    #[test]
    fn string_literals_keep_escaped_quotes_and_everything_inside() {
        assert_eq!(
            kinds("'it''s -- ? /* x'"),
            vec![(String, "'it''s -- ? /* x'")]
        );
        assert_eq!(kinds("'' ''''"), vec![(String, "''"), (String, "''''")]);
    }

    #[test]
    fn quoted_identifiers_in_all_three_styles() {
        assert_eq!(
            kinds(r#""a""b" `c``d` [e"f]"#),
            vec![
                (QuotedIdentifier, r#""a""b""#),
                (QuotedIdentifier, "`c``d`"),
                (QuotedIdentifier, r#"[e"f]"#),
            ]
        );
    }

    #[test]
    fn comments_run_to_their_end() {
        assert_eq!(
            kinds("a -- ? 'x\nb /* ? \n */ c"),
            vec![
                (Word, "a"),
                (LineComment, "-- ? 'x\n"),
                (Word, "b"),
                (BlockComment, "/* ? \n */"),
                (Word, "c"),
            ]
        );
        assert_eq!(kinds("a --"), vec![(Word, "a"), (LineComment, "--")]);
    }

    #[test]
    fn blob_literals_are_not_words() {
        assert_eq!(
            kinds("x'00ff' X'' xy"),
            vec![(Blob, "x'00ff'"), (Blob, "X''"), (Word, "xy")]
        );
    }

    #[test]
    fn every_parameter_style_is_recognised() {
        assert_eq!(
            kinds("?1 ?23 :a @b $c_d #e : 1 # $a::b $f(x y) @g(h)"),
            vec![
                (Parameter, "?1"),
                (Parameter, "?23"),
                (Parameter, ":a"),
                (Parameter, "@b"),
                (Parameter, "$c_d"),
                (Parameter, "#e"),
                (Punct, ":"),
                (Number, "1"),
                (Punct, "#"),
                (Parameter, "$a::b"),
                (Parameter, "$f(x"),
                (Word, "y"),
                (Punct, ")"),
                (Parameter, "@g(h)"),
            ]
        );
    }

    #[test]
    fn unterminated_tokens_run_to_the_end_and_say_so() {
        for sql in ["'abc", "\"abc", "[abc", "/* abc", "x'00"] {
            let tokens: Vec<Token> = tokenize(sql).collect();
            assert_eq!(tokens.len(), 1, "{sql}");
            assert!(!tokens[0].terminated, "{sql}");
            assert_eq!(tokens[0].end, sql.len(), "{sql}");
        }
    }

    #[test]
    fn non_ascii_identifiers_stay_whole() {
        assert_eq!(
            kinds("SELECT prénom, 名前"),
            vec![
                (Word, "SELECT"),
                (Word, "prénom"),
                (Punct, ","),
                (Word, "名前")
            ]
        );
    }

    #[test]
    fn tokens_cover_every_byte_in_order() {
        let sql = "SELECT 'a' || \"b\" -- c\n/* d */ FROM [t];";
        let mut expected_start = 0;
        for token in tokenize(sql) {
            assert_eq!(token.start, expected_start);
            assert!(token.end > token.start);
            expected_start = token.end;
        }
        assert_eq!(expected_start, sql.len());
    }

    #[test]
    fn identifier_names_are_unquoted() {
        let name = |sql: &str| {
            let token = tokenize(sql).next().unwrap();
            identifier_name(&token, sql).unwrap()
        };
        assert_eq!(name(r#""a""b""#), r#"a"b"#);
        assert_eq!(name("`c``d`"), "c`d");
        assert_eq!(name("[e f]"), "e f");
        assert_eq!(name("_dc_meta"), "_dc_meta");
    }
}
