//! Suppressions written in the code:
//!
//! - `// durable-core-disable-next-line <rule>[, <rule>...] -- <reason>` silences those rules on
//!   the next line;
//! - `// durable-core-disable-file <rule>[, <rule>...] -- <reason>` silences them in the whole file.
//!
//! A suppression that silences nothing, or names a rule that does not exist, is itself reported
//! (`unused-suppression`), so stale ones do not pile up.

const NEXT_LINE: &str = "durable-core-disable-next-line";
const FILE: &str = "durable-core-disable-file";
/// What every suppression starts with: a comment without it is none (a cheap test before
/// [`parse`]).
pub const PREFIX: &str = "durable-core-disable";

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    pub rules: Vec<String>,
    /// 1-based line the suppression applies to; `None` for the whole file.
    pub line: Option<u32>,
    /// Where the comment is (byte offsets), to report it when unused.
    pub start: u32,
    pub end: u32,
}

/// Reads a suppression out of one comment's text (without its `//` or `/* */`).
/// `comment_line` is the comment's own 1-based line (of its end, for block comments).
pub fn parse(content: &str, comment_line: u32, start: u32, end: u32) -> Option<Suppression> {
    let content = content.trim_start_matches(['*', '/', '#']).trim();
    let (line, rest) = if let Some(rest) = content.strip_prefix(NEXT_LINE) {
        (Some(comment_line + 1), rest)
    } else if let Some(rest) = content.strip_prefix(FILE) {
        (None, rest)
    } else {
        return None;
    };
    if !rest.is_empty() && !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rules_text = rest.split(" --").next().unwrap_or_default();
    let rules = rules_text
        .split([',', ' '])
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .map(str::to_owned)
        .collect();
    Some(Suppression {
        rules,
        line,
        start,
        end,
    })
}

/// Suppressions in a configuration file: whole-line `//` (JSONC) or `#` (TOML) comments.
pub fn scan_config(text: &str) -> Vec<Suppression> {
    let mut found = Vec::new();
    let mut offset = 0u32;
    for (index, line) in text.split('\n').enumerate() {
        let trimmed = line.trim_start();
        let lead = u32::try_from(line.len() - trimmed.len()).unwrap_or(0);
        let body = trimmed
            .strip_prefix("//")
            .or_else(|| trimmed.strip_prefix('#'));
        if let Some(body) = body {
            let line_no = u32::try_from(index + 1).unwrap_or(u32::MAX);
            let start = offset + lead;
            let end = offset + u32::try_from(line.trim_end().len()).unwrap_or(0);
            if let Some(s) = parse(body, line_no, start, end) {
                found.push(s);
            }
        }
        offset += u32::try_from(line.len() + 1).unwrap_or(0);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_both_forms_with_reasons() {
        let s = parse(
            " durable-core-disable-next-line timer-in-object -- a short debounce",
            3,
            0,
            10,
        )
        .unwrap();
        assert_eq!(s.rules, vec!["timer-in-object"]);
        assert_eq!(s.line, Some(4));
        let s = parse(" durable-core-disable-file floating-rpc, bcw-io", 1, 0, 10).unwrap();
        assert_eq!(s.rules, vec!["floating-rpc", "bcw-io"]);
        assert_eq!(s.line, None);
    }

    #[test]
    fn every_suppression_holds_the_prefix() {
        assert!(NEXT_LINE.starts_with(PREFIX) && FILE.starts_with(PREFIX));
        // The session skips comments without it, so a comment parse() reads must hold it.
        for comment in [
            " durable-core-disable-next-line a",
            "* durable-core-disable-file a",
            "/ durable-core-disable-file",
        ] {
            assert!(parse(comment, 1, 0, 1).is_some() && comment.contains(PREFIX));
        }
    }

    #[test]
    fn other_comments_are_not_suppressions() {
        assert!(parse(" eslint-disable-next-line foo", 1, 0, 1).is_none());
        assert!(parse(" durable-core-disable-next-linefoo", 1, 0, 1).is_none());
        assert!(parse(" see durable-core-disable-file", 1, 0, 1).is_none());
    }

    #[test]
    fn config_comments_are_scanned_by_line() {
        let text =
            "{\n  // durable-core-disable-next-line kv-backed-class -- legacy class\n  \"x\": 1\n}";
        let found = scan_config(text);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(3));
        assert_eq!(
            &text[found[0].start as usize..found[0].start as usize + 2],
            "//"
        );
        let toml = "[[migrations]]\ntag = \"v1\"\n# durable-core-disable-next-line kv-backed-class -- legacy\nnew_classes = [\"Room\"]\n";
        let found = scan_config(toml);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].line, Some(4));
    }
}
