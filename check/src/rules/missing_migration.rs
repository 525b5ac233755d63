//! `missing-migration`: a class bound in `durable_objects.bindings` that no migration
//! introduces, or that a migration deleted or renamed while a binding still points at it.
//! `wrangler deploy` refuses the first; the second binds a class that no longer exists.

use super::{Category, Project, RuleMeta};
use crate::config::Migration;
use crate::diagnostic::{RawFinding, Severity};
use std::collections::{HashMap, HashSet};

pub const META: RuleMeta = RuleMeta {
    id: "missing-migration",
    severity: Severity::Error,
    category: Category::Configuration,
    summary: "A bound class that no migration introduces, or that a migration deleted or renamed.",
};

enum Fate {
    Live,
    Deleted(String),
    Renamed(String, String),
}

/// One migration's class lists as sets (a large project's single migration names hundreds of
/// classes, and every binding asks about each migration).
struct Lists<'c> {
    tag: String,
    introduced: HashSet<&'c str>,
    deleted: HashSet<&'c str>,
    /// `from` -> `to`, the first renaming of a class winning.
    renamed: HashMap<&'c str, &'c str>,
}

fn lists(migration: &Migration) -> Lists<'_> {
    let mut renamed = HashMap::new();
    for (from, to) in &migration.renamed_classes {
        renamed
            .entry(from.value.as_str())
            .or_insert(to.value.as_str());
    }
    Lists {
        tag: migration
            .tag
            .as_ref()
            .map_or("(untagged)".to_owned(), |t| t.value.clone()),
        introduced: migration
            .new_sqlite_classes
            .iter()
            .chain(&migration.new_classes)
            .chain(&migration.transferred_classes)
            .chain(migration.renamed_classes.iter().map(|(_, to)| to))
            .map(|c| c.value.as_str())
            .collect(),
        deleted: migration
            .deleted_classes
            .iter()
            .map(|c| c.value.as_str())
            .collect(),
        renamed,
    }
}

pub fn check(project: &Project, out: &mut Vec<RawFinding>) {
    let config = project.config;
    let migrations: Vec<Lists> = config.migrations.iter().map(lists).collect();
    for binding in &config.bindings {
        if binding.script_name.is_some() {
            continue;
        }
        let class = &binding.class_name.value;
        let mut fate = None;
        for migration in &migrations {
            if migration.introduced.contains(class.as_str()) {
                fate = Some(Fate::Live);
            }
            if migration.deleted.contains(class.as_str()) {
                fate = Some(Fate::Deleted(migration.tag.clone()));
            }
            if let Some(to) = migration.renamed.get(class.as_str()) {
                fate = Some(Fate::Renamed(migration.tag.clone(), (*to).to_owned()));
            }
        }
        let message = match fate {
            Some(Fate::Live) => continue,
            None => format!(
                "binding `{}` points at class `{class}`, which no migration introduces: add a migration such as {{ \"tag\": \"v{}\", \"new_sqlite_classes\": [\"{class}\"] }}",
                binding.name.value,
                config.migrations.len() + 1
            ),
            Some(Fate::Deleted(tag)) => format!(
                "migration `{tag}` deletes class `{class}` but binding `{}` still points at it: remove the binding or stop deleting the class",
                binding.name.value
            ),
            Some(Fate::Renamed(tag, to)) => format!(
                "migration `{tag}` renames class `{class}` to `{to}` but binding `{}` still points at `{class}`: bind `{to}` instead",
                binding.name.value
            ),
        };
        out.push(RawFinding::new(
            META.id,
            binding.class_name.start,
            binding.class_name.end,
            message,
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::assert_config_cases;

    const SRC: &str = "export class Room {}\nexport class Hall {}";

    #[test]
    fn fixtures() {
        assert_config_cases(
            "missing-migration",
            &[
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]}}"#,
                    SRC,
                ),
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},
                       "migrations":[{"tag":"v1","new_sqlite_classes":["Room"]},{"tag":"v2","deleted_classes":["Room"]}]}"#,
                    SRC,
                ),
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},
                       "migrations":[{"tag":"v1","new_sqlite_classes":["Room"]},{"tag":"v2","renamed_classes":[{"from":"Room","to":"Hall"}]}]}"#,
                    SRC,
                ),
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},
                       "migrations":[{"tag":"v1","new_sqlite_classes":["Rooms"]}]}"#,
                    SRC,
                ),
            ],
            &[
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},
                       "migrations":[{"tag":"v1","new_sqlite_classes":["Room"]}]}"#,
                    SRC,
                ),
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Hall"}]},
                       "migrations":[{"tag":"v1","new_sqlite_classes":["Room"]},{"tag":"v2","renamed_classes":[{"from":"Room","to":"Hall"}]}]}"#,
                    SRC,
                ),
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room","script_name":"rooms"}]}}"#,
                    SRC,
                ),
                (
                    r#"{"durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},
                       "migrations":[{"tag":"v1","new_classes":["Room"]},{"tag":"v2","deleted_classes":["Hall"]}]}"#,
                    SRC,
                ),
            ],
        );
    }

    #[test]
    fn toml_points_at_the_class_name() {
        let config = "[[durable_objects.bindings]]\nname = \"R\"\nclass_name = \"Room\"\n";
        let mut session = crate::Session::new(crate::Options::default());
        session.set_config("wrangler.toml", config).unwrap();
        let report = session.finish();
        let f = report
            .findings
            .iter()
            .find(|f| f.rule == "missing-migration")
            .unwrap();
        assert_eq!((f.start.line, f.start.column), (3, 14));
    }
}
