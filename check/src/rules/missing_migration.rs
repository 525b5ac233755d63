//! `missing-migration`: a class bound in `durable_objects.bindings` that no migration
//! introduces, or that a migration deleted or renamed while a binding still points at it.
//! `wrangler deploy` refuses the first; the second binds a class that no longer exists.

use super::{Category, Project, RuleMeta};
use crate::diagnostic::{RawFinding, Severity};

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

pub fn check(project: &Project, out: &mut Vec<RawFinding>) {
    let config = project.config;
    for binding in &config.bindings {
        if binding.script_name.is_some() {
            continue;
        }
        let class = &binding.class_name.value;
        let mut fate = None;
        for migration in &config.migrations {
            let tag = migration
                .tag
                .as_ref()
                .map_or("(untagged)".to_owned(), |t| t.value.clone());
            let introduced = migration
                .new_sqlite_classes
                .iter()
                .chain(&migration.new_classes)
                .chain(&migration.transferred_classes)
                .any(|c| &c.value == class)
                || migration
                    .renamed_classes
                    .iter()
                    .any(|(_, to)| &to.value == class);
            if introduced {
                fate = Some(Fate::Live);
            }
            if migration.deleted_classes.iter().any(|c| &c.value == class) {
                fate = Some(Fate::Deleted(tag.clone()));
            }
            if let Some((_, to)) = migration
                .renamed_classes
                .iter()
                .find(|(from, _)| &from.value == class)
            {
                fate = Some(Fate::Renamed(tag, to.value.clone()));
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
