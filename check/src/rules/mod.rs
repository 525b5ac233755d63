//! The rules, one file each (as oxlint keeps them): an id, a default severity, a summary, and a
//! check over a file ([`FileCtx`]) or over the project ([`Project`]). Each rule's page is
//! `docs/rules/<id>.md`; each file ends with its fixtures: cases that must fire and near-misses
//! that must not.

use crate::analysis::FileCtx;
use crate::config::Config;
use crate::diagnostic::{RawFinding, Severity};
use crate::source::FileFacts;

mod alarm_without_super;
mod await_between_writes;
mod bcw_io;
mod bcw_outside_constructor;
mod class_not_exported;
mod delete_all_alarm;
mod floating_rpc;
pub(crate) mod invalid_cron;
mod invalid_topic;
mod kv_backed_class;
mod memory_only_state;
mod migration_shape;
mod missing_migration;
mod random_object_name;
mod set_alarm_overwrite;
mod sql_forbidden;
mod sql_interpolation;
mod sql_template;
mod task_method_unknown;
mod timer_in_object;
mod untyped_namespace;
mod ws_close_unanswered;
mod ws_not_hibernatable;

#[cfg(test)]
pub(crate) mod testing;

/// Which part of the project a rule reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Category {
    Configuration,
    Code,
    DurableCore,
    /// Findings about the check itself (syntax errors, unused suppressions).
    Checker,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Configuration => "configuration",
            Category::Code => "code",
            Category::DurableCore => "durable-core",
            Category::Checker => "checker",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RuleMeta {
    pub id: &'static str,
    pub severity: Severity,
    pub category: Category,
    /// One line for the rule table.
    pub summary: &'static str,
}

pub const SYNTAX_ERROR: RuleMeta = RuleMeta {
    id: "syntax-error",
    severity: Severity::Error,
    category: Category::Checker,
    summary: "A file that does not parse: nothing else in it was checked.",
};

pub const UNUSED_SUPPRESSION: RuleMeta = RuleMeta {
    id: "unused-suppression",
    severity: Severity::Warning,
    category: Category::Checker,
    summary: "A `durable-core-disable-*` comment that silences nothing or names an unknown rule.",
};

/// Every rule, in the order of the README's table.
pub const RULES: &[&RuleMeta] = &[
    &missing_migration::META,
    &kv_backed_class::META,
    &class_not_exported::META,
    &untyped_namespace::META,
    &bcw_outside_constructor::META,
    &bcw_io::META,
    &await_between_writes::META,
    &set_alarm_overwrite::META,
    &floating_rpc::META,
    &sql_interpolation::META,
    &sql_forbidden::META,
    &ws_not_hibernatable::META,
    &ws_close_unanswered::META,
    &timer_in_object::META,
    &memory_only_state::META,
    &random_object_name::META,
    &delete_all_alarm::META,
    &task_method_unknown::META,
    &invalid_cron::META,
    &invalid_topic::META,
    &sql_template::META,
    &migration_shape::META,
    &alarm_without_super::META,
    &SYNTAX_ERROR,
    &UNUSED_SUPPRESSION,
];

pub fn meta(id: &str) -> Option<&'static RuleMeta> {
    RULES.iter().copied().find(|m| m.id == id)
}

/// What the project rules see: the configuration and every file's facts.
pub struct Project<'p> {
    pub config: &'p Config,
    pub files: &'p [(&'p str, &'p FileFacts)],
    /// The entry module (`main`), relative to the project.
    pub entry: Option<&'p str>,
}

impl Project<'_> {
    pub fn facts(&self, path: &str) -> Option<&FileFacts> {
        self.files.iter().find(|(p, _)| *p == path).map(|(_, f)| *f)
    }

    /// The file a relative specifier names, trying the extensions TypeScript would.
    pub fn resolve(&self, from: &str, specifier: &str) -> Option<&str> {
        if !specifier.starts_with('.') {
            return None;
        }
        let base = crate::session::join(crate::session::dir_of(from), specifier);
        let stem = base
            .strip_suffix(".js")
            .or_else(|| base.strip_suffix(".mjs"))
            .unwrap_or(&base)
            .to_owned();
        let candidates = [
            base.clone(),
            format!("{stem}.ts"),
            format!("{stem}.tsx"),
            format!("{stem}.mts"),
            format!("{base}.ts"),
            format!("{base}.js"),
            format!("{base}.mjs"),
            format!("{base}/index.ts"),
            format!("{base}/index.js"),
        ];
        candidates
            .iter()
            .find_map(|c| self.files.iter().find(|(p, _)| p == c).map(|(p, _)| *p))
    }

    /// Every class of the project with its file.
    pub fn classes(&self) -> impl Iterator<Item = &crate::source::ClassFact> {
        self.files.iter().flat_map(|(_, f)| f.classes.iter())
    }
}

pub fn check_file(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    untyped_namespace::check(ctx, out);
    bcw_outside_constructor::check(ctx, out);
    bcw_io::check(ctx, out);
    await_between_writes::check(ctx, out);
    set_alarm_overwrite::check(ctx, out);
    floating_rpc::check(ctx, out);
    sql_interpolation::check(ctx, out);
    sql_forbidden::check(ctx, out);
    ws_not_hibernatable::check(ctx, out);
    ws_close_unanswered::check(ctx, out);
    timer_in_object::check(ctx, out);
    memory_only_state::check(ctx, out);
    random_object_name::check(ctx, out);
    delete_all_alarm::check(ctx, out);
    task_method_unknown::check(ctx, out);
    invalid_cron::check(ctx, out);
    invalid_topic::check(ctx, out);
    sql_template::check(ctx, out);
    migration_shape::check(ctx, out);
    alarm_without_super::check(ctx, out);
}

pub fn check_project(project: &Project, out: &mut Vec<RawFinding>) {
    missing_migration::check(project, out);
    kv_backed_class::check(project, out);
    class_not_exported::check(project, out);
}

#[cfg(test)]
mod tests {
    use super::RULES;

    #[test]
    fn every_rule_has_a_page_with_why_bad_and_good() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules");
        for rule in RULES {
            let page = std::fs::read_to_string(format!("{docs}/{}.md", rule.id))
                .unwrap_or_else(|_| panic!("docs/rules/{}.md is missing", rule.id));
            for section in ["## Why", "## Bad", "## Good"] {
                assert!(
                    page.contains(section),
                    "docs/rules/{}.md has no `{section}`",
                    rule.id
                );
            }
        }
    }

    #[test]
    fn ids_are_unique_and_kebab_case() {
        for (i, rule) in RULES.iter().enumerate() {
            assert!(
                rule.id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{}",
                rule.id
            );
            assert!(
                RULES.iter().skip(i + 1).all(|r| r.id != rule.id),
                "{} twice",
                rule.id
            );
        }
    }
}

/// The Bad and Good examples of every rule's page, run as projects: a page never shows an
/// example that the rule does not judge as it says.
#[cfg(test)]
mod page_examples {
    use super::RULES;
    use crate::rules::testing::findings_of;

    const OBJECT: &str = "import { DurableObject } from \"cloudflare:workers\";\nexport class Room extends DurableObject {\n";
    const CORE: &str =
        "import { DurableCore } from \"durable-core\";\nexport class Room extends DurableCore {\n";
    const CONFIG: &str = r#"{"main":"src/index.ts","compatibility_date":"2026-10-01",
      "durable_objects":{"bindings":[{"name":"ROOM","class_name":"Room"},{"name":"LEDGER","class_name":"Ledger"}]},
      "migrations":[{"tag":"v1","new_sqlite_classes":["Room","Ledger"]}],
      "kv_namespaces":[{"binding":"FLAGS","id":"f"},{"binding":"INDEX","id":"i"}]}"#;

    /// The first fenced block after `heading`.
    fn block(page: &str, heading: &str) -> String {
        let after = page
            .split(heading)
            .nth(1)
            .unwrap_or_else(|| panic!("no {heading}"));
        let body = after.split("```").nth(1).expect("a code block");
        body.split_once('\n')
            .map(|(_, code)| code.to_owned())
            .unwrap_or_default()
    }

    /// The project an example stands for: (configuration, src/index.ts).
    fn project(rule: &str, example: &str) -> (String, String) {
        let config = CONFIG.to_owned();
        let in_class = |head: &str| format!("{head}{example}\n}}\n");
        match rule {
            "missing-migration" | "kv-backed-class" => (example.to_owned(), "export class Room {}".into()),
            "class-not-exported" => (
                r#"{"main":"src/index.ts","durable_objects":{"bindings":[{"name":"ROOM","class_name":"Room"}]},"migrations":[{"tag":"v1","new_sqlite_classes":["Room"]}]}"#.into(),
                example.to_owned(),
            ),
            "untyped-namespace" | "floating-rpc" | "syntax-error" => (config, example.to_owned()),
            "memory-only-state" => (config, format!("import {{ DurableObject }} from \"cloudflare:workers\";\n{example}")),
            "alarm-without-super" => (config, format!("import {{ DurableCore }} from \"durable-core\";\n{}", example.replacen("class Room", "export class Room", 1))),
            "sql-interpolation" | "sql-forbidden" => (config, in_class(&format!("{OBJECT}run(name) {{\n")).replacen("\n}\n", "\n}\n}\n", 1)),
            "delete-all-alarm" => (config.replace("2026-10-01", "2025-06-01"), in_class(OBJECT)),
            "ws-close-unanswered" => (config.replace("2026-10-01", "2026-01-10"), in_class(OBJECT)),
            "invalid-cron" => (config, format!("{CORE}onStart() {{\n{example}\n}}\ndigest() {{}}\n}}\n")),
            "invalid-topic" => (config, format!("{CORE}onConnect(conn) {{\n{example}\n}}\n}}\n")),
            "sql-template" => (config, format!("{CORE}save(id, body) {{\n{example}\n}}\n}}\n")),
            "task-method-unknown" | "migration-shape" => (config, in_class(CORE)),
            "random-object-name" => (config, format!("export default {{ async fetch(request, env) {{\nconst roomId = 'a';\n{example}\nreturn new Response(); }} }};\n")),
            "unused-suppression" => (config, format!("{OBJECT}flush() {{}}\nhit() {{\n{example}\n}}\n}}\n")),
            _ => (config, in_class(OBJECT)),
        }
    }

    #[test]
    fn bad_fires_and_good_does_not() {
        let docs = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/rules");
        for rule in RULES {
            let page = std::fs::read_to_string(format!("{docs}/{}.md", rule.id)).expect("page");
            let (config, bad) = project(rule.id, &block(&page, "## Bad"));
            let (good_config, good) = project(rule.id, &block(&page, "## Good"));
            assert!(
                !findings_of(rule.id, &config, &bad).is_empty(),
                "{}: the Bad example does not fire:\n{config}\n{bad}",
                rule.id
            );
            let found = findings_of(rule.id, &good_config, &good);
            assert!(
                found.is_empty(),
                "{}: the Good example fires: {found:#?}\n{good}",
                rule.id
            );
            if rule.id != "syntax-error" {
                let broken = findings_of("syntax-error", &good_config, &good);
                assert!(
                    broken.is_empty(),
                    "{}: the Good example does not parse: {broken:?}\n{good}",
                    rule.id
                );
            }
        }
    }
}
