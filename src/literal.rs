//! Text written for JavaScript to read back.

use std::fmt::Write as _;

/// `text` as a double-quoted string that is both JSON (`JSON.parse` gives `text` back) and a
/// JavaScript literal: quotes, backslashes and control characters escaped, and U+2028/U+2029
/// too (line terminators in older JavaScript).
pub(crate) fn push_string_literal(text: &str, out: &mut String) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if u32::from(c) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::push_string_literal;

    #[test]
    fn escapes_what_json_and_javascript_need() {
        let mut out = String::new();
        push_string_literal("a\"b\\c\nd\u{1}e\u{2028}f\u{e9}", &mut out);
        assert_eq!(out, r#""a\"b\\c\nd\u0001e\u2028fé""#);
    }
}
