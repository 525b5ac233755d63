//! `kv-backed-class`: a class introduced with `new_classes` is key-value backed, for good: an
//! existing class cannot be switched to SQLite later. New classes should be
//! `new_sqlite_classes` (the platform's recommendation); a class that reaches
//! `ctx.storage.sql` or extends `DurableCore` cannot work on a key-value backend at all.

use super::{Category, Project, RuleMeta};
use crate::analysis::ObjectKind;
use crate::diagnostic::{RawFinding, Severity};

pub const META: RuleMeta = RuleMeta {
    id: "kv-backed-class",
    severity: Severity::Warning,
    category: Category::Configuration,
    summary:
        "A class introduced with `new_classes` (key-value storage); an error if it needs SQLite.",
};

pub fn check(project: &Project, out: &mut Vec<RawFinding>) {
    for migration in &project.config.migrations {
        for class in &migration.new_classes {
            let fact = project.classes().find(|c| c.name == class.value);
            let needs_sql = fact.filter(|c| c.uses_sql || c.kind == ObjectKind::DurableCore);
            let finding = match needs_sql {
                Some(c) => RawFinding::new(
                    META.id,
                    class.start,
                    class.end,
                    format!(
                        "class `{}` {} but this migration makes it key-value backed, where SQL does not exist: introduce it with `new_sqlite_classes` (before its first deploy; a deployed class cannot be switched)",
                        class.value,
                        if c.kind == ObjectKind::DurableCore { "extends DurableCore" } else { "uses ctx.storage.sql" }
                    ),
                )
                .with_severity(Severity::Error),
                None => RawFinding::new(
                    META.id,
                    class.start,
                    class.end,
                    format!(
                        "class `{}` is introduced with `new_classes` (key-value storage): new classes should use `new_sqlite_classes`, which the platform recommends and which cannot be switched to later",
                        class.value
                    ),
                ),
            };
            out.push(finding);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnostic::Severity;
    use crate::rules::testing::{assert_config_cases, findings_of};

    const KV: &str = r#"{"main":"src/index.ts","durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},"migrations":[{"tag":"v1","new_classes":["Room"]}]}"#;
    const SQLITE: &str = r#"{"main":"src/index.ts","durable_objects":{"bindings":[{"name":"R","class_name":"Room"}]},"migrations":[{"tag":"v1","new_sqlite_classes":["Room"]}]}"#;
    const PLAIN: &str = "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { async fetch() { return new Response(await this.ctx.storage.get('x')); } }";
    const SQL: &str = "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { n() { return this.ctx.storage.sql.exec('SELECT 1').one(); } }";
    const CORE: &str =
        "import { DurableCore } from 'durable-core';\nexport class Room extends DurableCore {}";

    #[test]
    fn fixtures() {
        assert_config_cases(
            "kv-backed-class",
            &[(KV, PLAIN), (KV, SQL), (KV, CORE)],
            &[(SQLITE, PLAIN), (SQLITE, SQL), (SQLITE, CORE)],
        );
    }

    #[test]
    fn needing_sql_makes_it_an_error() {
        let severity = |source: &str| findings_of("kv-backed-class", KV, source)[0].severity;
        assert_eq!(severity(PLAIN), Severity::Warning);
        assert_eq!(severity(SQL), Severity::Error);
        let aliased = "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { n() { const s = this.ctx.storage; return s.sql.exec('SELECT 1').one(); } }";
        assert_eq!(severity(aliased), Severity::Error);
        assert_eq!(severity(CORE), Severity::Error);
    }
}
