//! Findings and the report the CLI prints. The JSON form of [`Report`] is the stable schema
//! documented in `docs/rules/README.md` (`--format json` prints it as is).

use oxc_span::Span;
use serde::{Deserialize, Serialize};

/// How much a finding matters: errors fail the check, warnings only past `--max-warnings`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// A position: 1-based line, 1-based column in UTF-16 code units (as editors and SARIF count).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// One finding of one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub rule: String,
    pub severity: Severity,
    /// The file, as the CLI named it (relative to the project directory).
    pub file: String,
    pub start: Position,
    pub end: Position,
    /// What is wrong and what to do, in one or two sentences.
    pub message: String,
    /// `docs/rules/<rule>.md`, relative to the package.
    pub docs: String,
}

/// Every finding of a run, sorted by file and position, with counts.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Report {
    /// Bumped only when a field changes meaning or disappears.
    pub schema: u32,
    pub findings: Vec<Finding>,
    pub errors: usize,
    pub warnings: usize,
    /// The files that were read, in the order they were checked.
    pub files: Vec<String>,
}

/// A raw finding before positions are resolved: byte offsets into the file's text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RawFinding {
    pub rule: &'static str,
    pub start: u32,
    pub end: u32,
    pub message: String,
    /// Set by rules whose severity depends on what they found (`kv-backed-class`); `None` takes
    /// the rule's configured severity.
    pub severity: Option<Severity>,
}

/// A [`RawFinding`] read back from another session's records: its rule id becomes the rule's
/// own `&'static str`.
#[derive(Deserialize)]
struct RawFindingRecord {
    rule: String,
    start: u32,
    end: u32,
    message: String,
    severity: Option<Severity>,
}

impl<'de> Deserialize<'de> for RawFinding {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let record = RawFindingRecord::deserialize(deserializer)?;
        let rule = crate::rules::meta(&record.rule)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown rule `{}`", record.rule)))?
            .id;
        Ok(RawFinding {
            rule,
            start: record.start,
            end: record.end,
            message: record.message,
            severity: record.severity,
        })
    }
}

impl RawFinding {
    pub fn new(rule: &'static str, start: u32, end: u32, message: impl Into<String>) -> Self {
        RawFinding {
            rule,
            start,
            end,
            message: message.into(),
            severity: None,
        }
    }

    /// A finding over `span` (a node's span, or [`crate::analysis::MethodCall::name_span`]).
    pub fn at(rule: &'static str, span: Span, message: impl Into<String>) -> Self {
        Self::new(rule, span.start, span.end, message)
    }

    pub fn with_severity(mut self, severity: Severity) -> Self {
        self.severity = Some(severity);
        self
    }
}

/// Line starts of a text, to turn byte offsets into [`Position`]s.
#[derive(Debug, Clone)]
pub struct LineIndex {
    starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0u32];
        for (i, b) in text.bytes().enumerate() {
            if b == b'\n' {
                starts.push(u32::try_from(i + 1).unwrap_or(u32::MAX));
            }
        }
        LineIndex { starts }
    }

    pub fn position(&self, text: &str, offset: u32) -> Position {
        let line = self
            .starts
            .partition_point(|&s| s <= offset)
            .saturating_sub(1);
        let start = self.starts.get(line).copied().unwrap_or(0);
        let end = (offset as usize).min(text.len());
        let column = text
            .get(start as usize..end)
            .map_or(0, |prefix| prefix.encode_utf16().count());
        Position {
            line: u32::try_from(line + 1).unwrap_or(u32::MAX),
            column: u32::try_from(column + 1).unwrap_or(u32::MAX),
        }
    }
}
