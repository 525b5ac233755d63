//! A run of the checker: the configuration, then each file, then the report.
//!
//! Code rules run as each file is added (its AST lives only for that call); what the
//! project-wide rules need is kept as [`FileFacts`]. [`Session::finish`] runs the configuration
//! rules, applies severities and suppressions, and sorts the findings.

use crate::analysis::FileCtx;
use crate::config::Config;
use crate::depth;
use crate::diagnostic::{Finding, LineIndex, RawFinding, Report, Severity};
use crate::rules::{self, Project, RuleMeta};
use crate::source::{file_facts, FileFacts};
use crate::suppress::{self, Suppression};
use oxc_allocator::Allocator;
use oxc_parser::Parser;
use oxc_semantic::{SemanticBuilder, Stats};
use oxc_span::SourceType;
use std::collections::BTreeMap;

/// Rule severities chosen by the user: `off`, `warn` or `error` per rule id.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Options {
    pub rules: BTreeMap<String, Option<Severity>>,
}

/// A usage or configuration failure (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionError {
    pub message: String,
}

impl Options {
    /// Reads `id=off|warn|error` settings, refusing unknown rules and levels.
    pub fn set(&mut self, id: &str, level: &str) -> Result<(), SessionError> {
        if rules::meta(id).is_none() {
            return Err(SessionError {
                message: format!(
                    "unknown rule `{id}` (run `durable-core check --rules` for the list)"
                ),
            });
        }
        let severity = match level {
            "off" | "0" => None,
            "warn" | "warning" | "1" => Some(Severity::Warning),
            "error" | "2" => Some(Severity::Error),
            other => {
                return Err(SessionError {
                    message: format!(
                        "rule `{id}`: unknown level `{other}` (use off, warn or error)"
                    ),
                });
            }
        };
        self.rules.insert(id.to_owned(), severity);
        Ok(())
    }

    fn severity(&self, meta: &RuleMeta) -> Option<Severity> {
        match self.rules.get(meta.id) {
            Some(chosen) => *chosen,
            None => Some(meta.severity),
        }
    }
}

/// What a checked file leaves for [`Session::finish`]. It crosses between sessions as JSON
/// ([`Session::export_records`], [`Session::merge_records`]) when files are checked on two
/// threads.
#[derive(serde::Serialize, serde::Deserialize)]
struct FileRecord {
    path: String,
    text: String,
    findings: Vec<RawFinding>,
    suppressions: Vec<Suppression>,
    facts: Option<FileFacts>,
}

impl FileRecord {
    /// The record of a checked file. Its text is kept only when something in it will be
    /// reported (positions are resolved from it at the end): most files have nothing.
    fn new(
        path: &str,
        text: &str,
        findings: Vec<RawFinding>,
        suppressions: Vec<Suppression>,
        facts: Option<FileFacts>,
    ) -> Self {
        let text = if findings.is_empty() && suppressions.is_empty() {
            String::new()
        } else {
            text.to_owned()
        };
        FileRecord {
            path: path.to_owned(),
            text,
            findings,
            suppressions,
            facts,
        }
    }
}

/// One run of the checker.
pub struct Session {
    options: Options,
    config: Option<Config>,
    files: Vec<FileRecord>,
}

impl Session {
    pub fn new(options: Options) -> Self {
        Session {
            options,
            config: None,
            files: Vec::new(),
        }
    }

    /// Reads the wrangler configuration. Call it before any file: the code rules read it.
    pub fn set_config(&mut self, path: &str, text: &str) -> Result<&Config, SessionError> {
        let config = Config::parse(path, text).map_err(|e| SessionError {
            message: format!("{path}: {}", e.message),
        })?;
        Ok(self.config.insert(config))
    }

    /// The entry module's path (the configuration's `main`, relative to the project).
    pub fn entry(&self) -> Option<String> {
        let config = self.config.as_ref()?;
        Some(join(dir_of(&config.path), &config.main.as_ref()?.value))
    }

    /// Checks one file and returns the module specifiers it imports (for the CLI to follow).
    pub fn add_file(&mut self, path: &str, text: &str) -> Vec<String> {
        let empty = Config::default();
        let config = self.config.as_ref().unwrap_or(&empty);
        let record = check_source(path, text, config);
        let imports = record
            .facts
            .as_ref()
            .map(|f| f.imports.clone())
            .unwrap_or_default();
        self.files.push(record);
        imports
    }

    /// Records a file that the checker could not analyse: checking it overflowed the stack or
    /// trapped (the CLI then checks the other files with a fresh instance). The file becomes a
    /// `syntax-error` finding; its suppressions are read lexically, as for a file too deeply
    /// nested to parse.
    pub fn add_unanalysable(&mut self, path: &str, text: &str) {
        let scan = depth::scan(text, suppress::PREFIX, source_type(path).is_jsx());
        let end = text.chars().next().map_or(0, |c| off(c.len_utf8()));
        let finding = RawFinding::new(
            "syntax-error",
            0,
            end,
            "the checker could not analyse this file: it ran out of stack or memory reading it (the code nests too deeply, or is too large or complex), so no rule checked it; nest less, or if the file is generated, suppress this with `// durable-core-disable-file syntax-error -- generated`".to_owned(),
        );
        let suppressions = scanned_suppressions(text, &scan);
        self.files.push(FileRecord::new(
            path,
            text,
            vec![finding],
            suppressions,
            None,
        ));
    }

    /// Takes the records of the files checked so far out of the session, as a JSON array in the
    /// order they were checked: a session on another thread checks some of the files, and the
    /// one that makes the report merges them ([`Session::merge_records`]).
    pub fn export_records(&mut self) -> String {
        let records = std::mem::take(&mut self.files);
        serde_json::to_string(&records).unwrap_or_else(|_| "[]".to_owned())
    }

    /// Merges records exported by another session ([`Session::export_records`]) into this
    /// one's, in queue order: `mine[i]` is the queue position of this session's i-th record,
    /// `theirs[i]` that of the i-th in `json`. The positions together must be `0..n`, each once.
    pub fn merge_records(
        &mut self,
        json: &str,
        mine: &[u32],
        theirs: &[u32],
    ) -> Result<(), SessionError> {
        let failure = |message: String| SessionError {
            message: format!("file records: {message}"),
        };
        let records: Vec<FileRecord> =
            serde_json::from_str(json).map_err(|e| failure(e.to_string()))?;
        if records.len() != theirs.len() || self.files.len() != mine.len() {
            return Err(failure(format!(
                "{} and {} records for {} and {} positions",
                self.files.len(),
                records.len(),
                mine.len(),
                theirs.len()
            )));
        }
        let total = mine.len() + theirs.len();
        let mut order = vec![usize::MAX; total];
        for (record, &at) in mine.iter().chain(theirs).enumerate() {
            match usize::try_from(at).ok().and_then(|i| order.get_mut(i)) {
                Some(slot) if *slot == usize::MAX => *slot = record,
                _ => {
                    return Err(failure(format!(
                        "position {at} is out of range or given twice"
                    )))
                }
            }
        }
        // Every position is taken once: `order[p]` is the record (mine, then theirs) at `p`.
        let mut all: Vec<Option<FileRecord>> = std::mem::take(&mut self.files)
            .into_iter()
            .chain(records)
            .map(Some)
            .collect();
        let slots: Vec<Option<FileRecord>> = order
            .iter()
            .map(|&r| all.get_mut(r).and_then(Option::take))
            .collect();
        self.files = slots.into_iter().flatten().collect();
        Ok(())
    }

    /// Runs the project rules, applies severities and suppressions, and returns the report.
    pub fn finish(mut self) -> Report {
        let mut config_record = None;
        if let Some(config) = &self.config {
            let facts: Vec<(&str, &FileFacts)> = self
                .files
                .iter()
                .filter_map(|f| Some((f.path.as_str(), f.facts.as_ref()?)))
                .collect();
            let entry = self.entry();
            let project = Project {
                config,
                files: &facts,
                entry: entry.as_deref(),
            };
            let mut findings = Vec::new();
            rules::check_project(&project, &mut findings);
            config_record = Some(FileRecord {
                path: config.path.clone(),
                text: config.text.clone(),
                findings,
                suppressions: suppress::scan_config(&config.text),
                facts: None,
            });
        }
        let mut report = Report {
            schema: 1,
            ..Report::default()
        };
        let records = config_record
            .into_iter()
            .chain(std::mem::take(&mut self.files));
        for record in records {
            report.files.push(record.path.clone());
            resolve(record, &self.options, &mut report.findings);
        }
        report
            .findings
            .sort_by(|a, b| (&a.file, a.start, &a.rule).cmp(&(&b.file, b.start, &b.rule)));
        report.errors = report
            .findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count();
        report.warnings = report.findings.len() - report.errors;
        report
    }
}

/// How many nodes, scopes, symbols and references oxc_semantic reserves room for. Without an
/// estimate it counts them in a pass over the AST of its own; these ratios to the text's length
/// are above those measured on TypeScript (docs/reports/s8-check.md). A low estimate only
/// means that a table grows while it is filled.
fn estimated_stats(text: &str) -> Stats {
    let len = u32::try_from(text.len()).unwrap_or(u32::MAX);
    Stats::new(len / 4 + 16, len / 64 + 4, len / 48 + 4, len / 20 + 4)
}

fn source_type(path: &str) -> SourceType {
    SourceType::from_path(path).unwrap_or_else(|_| SourceType::ts())
}

fn off(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// The `syntax-error` finding of a file nested too deeply to be read (see [`crate::depth`]).
fn too_deep(text: &str, at: u32, limit: u32, what: &str) -> RawFinding {
    let start = usize::try_from(at).unwrap_or(usize::MAX);
    let end = text
        .get(start..)
        .and_then(|rest| rest.chars().next())
        .map_or(at, |c| at + u32::try_from(c.len_utf8()).unwrap_or(1));
    RawFinding::new(
        "syntax-error",
        at,
        end,
        format!(
            "the code here nests more than {limit} levels deep ({what}), beyond the checker's limit: no rule checked this file; nest less, or if the file is generated, suppress this with `// durable-core-disable-file syntax-error -- generated`"
        ),
    )
}

/// The suppressions among the comments a lexical scan collected, for a file that is not parsed.
fn scanned_suppressions(text: &str, scan: &depth::Scan) -> Vec<Suppression> {
    let index = LineIndex::new(text);
    scan.comments
        .iter()
        .filter_map(|c| {
            let content = text.get(c.content_start as usize..c.content_end as usize)?;
            let line = index.position(text, c.end).line;
            suppress::parse(content, line, c.start, c.end)
        })
        .collect()
}

fn check_source(path: &str, text: &str, config: &Config) -> FileRecord {
    let source_type = source_type(path);
    // The parser and oxc_semantic recurse once per level: a file nested far beyond what people
    // write is a finding before either reads it (docs/rules/syntax-error.md).
    let scan = depth::scan(text, suppress::PREFIX, source_type.is_jsx());
    if let Some(at) = scan.too_deep_at {
        let finding = too_deep(
            text,
            at,
            depth::MAX_NESTING,
            "brackets, JSX elements, functions, conditionals or assignments inside one another",
        );
        return FileRecord::new(
            path,
            text,
            vec![finding],
            scanned_suppressions(text, &scan),
            None,
        );
    }
    let allocator = Allocator::default();
    let parsed = Parser::new(&allocator, text, source_type).parse();
    let mut findings = Vec::new();
    // Lines are counted only for comments that can be suppressions (most files have none).
    let mut index = None;
    let suppressions: Vec<Suppression> = parsed
        .program
        .comments
        .iter()
        .filter_map(|c| {
            let content = c.content_span().source_text(text);
            if !content.contains(suppress::PREFIX) {
                return None;
            }
            let line = index
                .get_or_insert_with(|| LineIndex::new(text))
                .position(text, c.span.end)
                .line;
            suppress::parse(content, line, c.span.start, c.span.end)
        })
        .collect();
    if let Some(at) = depth::ast_too_deep(&parsed.program) {
        // A parse error comes first, as it would have (oxc_semantic's errors follow it).
        let finding = match parsed.diagnostics.first() {
            Some(error) => parse_error(error),
            None => too_deep(
                text,
                at,
                depth::MAX_AST_DEPTH,
                "expressions, statements or types, counting each operand of a chain like `a + b + c` or `a.b.c`",
            ),
        };
        return FileRecord::new(path, text, vec![finding], suppressions, None);
    }
    let built = SemanticBuilder::new()
        .with_build_nodes(true)
        .with_stats(estimated_stats(text))
        .build(&parsed.program);
    let errors: Vec<_> = parsed
        .diagnostics
        .iter()
        .chain(built.diagnostics.iter())
        .collect();
    if parsed.panicked || !errors.is_empty() {
        // The first error only: the ones after it are usually its consequences.
        for error in errors.into_iter().take(1) {
            findings.push(parse_error(error));
        }
        return FileRecord::new(path, text, findings, suppressions, None);
    }
    let semantic = built.semantic;
    let ctx = FileCtx::new(path, text, &semantic, config);
    rules::check_file(&ctx, &mut findings);
    let facts = file_facts(&semantic, &ctx.classes);
    FileRecord::new(path, text, findings, suppressions, Some(facts))
}

/// The `syntax-error` finding of a parse (or oxc_semantic) error.
fn parse_error(error: &oxc_diagnostics::OxcDiagnostic) -> RawFinding {
    let (start, end) = error
        .labels
        .first()
        .map_or((0, 0), |l| (l.offset(), l.offset() + l.len()));
    RawFinding::new(
        "syntax-error",
        start,
        end,
        format!(
            "{}: the file could not be parsed, so no other rule checked it; fix the syntax",
            error.message
        ),
    )
}

/// Turns a file's raw findings into reported ones: severity, suppressions, positions.
fn resolve(record: FileRecord, options: &Options, out: &mut Vec<Finding>) {
    if record.findings.is_empty() && record.suppressions.is_empty() {
        return;
    }
    let index = LineIndex::new(&record.text);
    let mut used = vec![false; record.suppressions.len()];
    let push = |raw: RawFinding, severity: Severity, out: &mut Vec<Finding>| {
        out.push(Finding {
            rule: raw.rule.to_owned(),
            severity,
            file: record.path.clone(),
            start: index.position(&record.text, raw.start),
            end: index.position(&record.text, raw.end),
            message: raw.message,
            docs: format!("docs/rules/{}.md", raw.rule),
        });
    };
    for raw in record.findings {
        let Some(meta) = rules::meta(raw.rule) else {
            continue;
        };
        let Some(configured) = options.severity(meta) else {
            continue;
        };
        let line = index.position(&record.text, raw.start).line;
        let suppressed = record.suppressions.iter().position(|s| {
            s.rules.iter().any(|r| r == raw.rule) && s.line.is_none_or(|l| l == line)
        });
        if let Some(i) = suppressed {
            if let Some(flag) = used.get_mut(i) {
                *flag = true;
            }
            continue;
        }
        // A rule that grades its own findings keeps the grade unless the user set one.
        let severity = match (options.rules.get(meta.id), raw.severity) {
            (None, Some(own)) => own,
            _ => configured,
        };
        push(raw, severity, out);
    }
    let unused_meta = rules::meta("unused-suppression");
    for (suppression, used) in record.suppressions.iter().zip(used) {
        if used {
            continue;
        }
        let Some(severity) = unused_meta.and_then(|m| options.severity(m)) else {
            break;
        };
        let unknown: Vec<&String> = suppression
            .rules
            .iter()
            .filter(|r| rules::meta(r).is_none())
            .collect();
        let message = if suppression.rules.is_empty() {
            "this suppression names no rule: name the rule it silences, e.g. `durable-core-disable-next-line timer-in-object -- why`".to_owned()
        } else if !unknown.is_empty() {
            format!(
                "this suppression names an unknown rule ({}): fix the id or remove it",
                join_names(&unknown)
            )
        } else {
            format!(
                "this suppression of {} silences nothing: remove it",
                join_names(&suppression.rules.iter().collect::<Vec<_>>())
            )
        };
        push(
            RawFinding::new(
                "unused-suppression",
                suppression.start,
                suppression.end,
                message,
            ),
            severity,
            out,
        );
    }
}

fn join_names(names: &[&String]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The directory part of a `/`-separated path ("" for a bare name).
pub fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| path.get(..i).unwrap_or(""))
}

/// `base/relative`, with `.` and `..` segments folded.
pub fn join(base: &str, relative: &str) -> String {
    let mut parts: Vec<&str> = if relative.starts_with('/') {
        Vec::new()
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    for segment in relative.split('/') {
        match segment {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::{Options, Session};

    const CONFIG: &str = r#"{"main":"src/a.ts","durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},"migrations":[{"tag":"v1","new_sqlite_classes":["Room"]}]}"#;
    const FILES: [(&str, &str); 4] = [
        ("src/a.ts", "export { Room } from './b.js';\nexport default {};\n"),
        ("src/b.ts", "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { hit() { setTimeout(() => {}, 1); } }\n"),
        ("src/c.ts", "export const c = 1;\n// durable-core-disable-next-line floating-rpc -- stale\nexport const d = 2;\n"),
        ("src/d.ts", "export function (\n"),
    ];

    fn session() -> Session {
        let mut s = Session::new(Options::default());
        s.set_config("wrangler.jsonc", CONFIG).unwrap();
        s
    }

    #[test]
    fn merged_records_give_the_report_of_one_session() {
        let mut one = session();
        for (path, text) in FILES {
            one.add_file(path, text);
        }
        let expected = serde_json::to_string(&one.finish()).unwrap();
        // This session checks files 1 and 2, the other 0 and 3.
        let mut other = session();
        other.add_file(FILES[0].0, FILES[0].1);
        other.add_file(FILES[3].0, FILES[3].1);
        let mut this = session();
        this.add_file(FILES[1].0, FILES[1].1);
        this.add_file(FILES[2].0, FILES[2].1);
        this.merge_records(&other.export_records(), &[1, 2], &[0, 3])
            .unwrap();
        assert_eq!(serde_json::to_string(&this.finish()).unwrap(), expected);
    }

    #[test]
    fn a_file_that_could_not_be_analysed_is_a_syntax_error_finding_that_can_be_suppressed() {
        let mut s = session();
        s.add_file(FILES[1].0, FILES[1].1);
        s.add_unanalysable("src/deep.ts", "export const x =\na =\n1;\n");
        s.add_unanalysable(
            "src/generated.tsx",
            "// durable-core-disable-file syntax-error -- generated\nexport const x = <a/>;\n",
        );
        let report = s.finish();
        let found: Vec<_> = report
            .findings
            .iter()
            .map(|f| (f.file.as_str(), f.rule.as_str(), f.start.line))
            .collect();
        assert_eq!(
            found,
            [
                ("src/b.ts", "timer-in-object", 2),
                ("src/deep.ts", "syntax-error", 1)
            ]
        );
        assert!(report.findings[1]
            .message
            .contains("could not analyse this file"));
        assert_eq!(report.files.len(), 4);
    }

    #[test]
    fn merging_refuses_positions_that_do_not_match_the_records() {
        let mut other = session();
        other.add_file(FILES[0].0, FILES[0].1);
        let records = other.export_records();
        let mut this = session();
        this.add_file(FILES[1].0, FILES[1].1);
        assert!(this.merge_records(&records, &[0], &[0]).is_err());
        assert!(this.merge_records(&records, &[0], &[2]).is_err());
        assert!(this.merge_records(&records, &[0], &[]).is_err());
    }
}
