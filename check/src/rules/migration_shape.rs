//! `migration-shape`: a `static migrations` entry of a `DurableCore` class that durable-core
//! would refuse when the object wakes: an entry that is neither SQL text nor `{ name?, sql }`
//! (`MIGRATION_INVALID`), or SQL that the core's statement check refuses (a `BEGIN` would break
//! the transaction each migration runs in; a write to `_dc_*` would corrupt durable-core). A
//! refused migration makes the object refuse every call until a deploy fixes it.

use super::{Category, RuleMeta};
use crate::analysis::{key_name, FileCtx};
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::{ArrayExpressionElement, ClassElement, Expression, ObjectPropertyKind};
use oxc_span::GetSpan;

pub const META: RuleMeta = RuleMeta {
    id: "migration-shape",
    severity: Severity::Error,
    category: Category::DurableCore,
    summary:
        "A `static migrations` entry durable-core would refuse on wake (shape or statement check).",
};

fn describe(expr: &Expression) -> &'static str {
    match expr.without_parentheses() {
        Expression::NumericLiteral(_) | Expression::BigIntLiteral(_) => "number",
        Expression::BooleanLiteral(_) => "boolean",
        Expression::NullLiteral(_)
        | Expression::ArrayExpression(_)
        | Expression::ObjectExpression(_) => "object",
        _ => "a value of another type",
    }
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for element in ctx.core_members_named("migrations") {
        let ClassElement::PropertyDefinition(p) = element else {
            continue;
        };
        if !p.r#static {
            continue;
        }
        let Some(Expression::ArrayExpression(list)) =
            p.value.as_ref().map(|v| v.without_parentheses())
        else {
            continue;
        };
        for (index, item) in list.elements.iter().enumerate() {
            let Some(entry) = (match item {
                ArrayExpressionElement::SpreadElement(_) | ArrayExpressionElement::Elision(_) => {
                    None
                }
                other => other.as_expression(),
            }) else {
                continue;
            };
            let invalid = || {
                format!("static migrations[{index}] must be SQL text or {{ name?, sql }}, got {} (MIGRATION_INVALID on wake)", describe(entry))
            };
            let (sql, span) = match entry.without_parentheses() {
                Expression::ObjectExpression(object) => {
                    let sql = object.properties.iter().find_map(|prop| match prop {
                        ObjectPropertyKind::ObjectProperty(prop)
                            if key_name(&prop.key).as_deref() == Some("sql") =>
                        {
                            Some(&prop.value)
                        }
                        _ => None,
                    });
                    match sql {
                        None => (Err(invalid()), entry.span()),
                        Some(value) => match ctx.static_string(value) {
                            Some(text) => (Ok(text), value.span()),
                            None if matches!(
                                value.without_parentheses(),
                                Expression::NumericLiteral(_)
                                    | Expression::BooleanLiteral(_)
                                    | Expression::NullLiteral(_)
                            ) =>
                            {
                                (Err(invalid()), value.span())
                            }
                            None => continue,
                        },
                    }
                }
                Expression::NumericLiteral(_)
                | Expression::BooleanLiteral(_)
                | Expression::NullLiteral(_)
                | Expression::ArrayExpression(_) => (Err(invalid()), entry.span()),
                _ => match ctx.static_string(entry) {
                    Some(text) => (Ok(text), entry.span()),
                    None => continue,
                },
            };
            let message = match sql {
                Err(message) => message,
                Ok(text) => match durable_core::sql::check(&text) {
                    Ok(()) => continue,
                    Err(error) => format!("static migrations[{index}]: {error} (MIGRATION_FAILED on wake, and the object refuses every call until it is fixed)"),
                },
            };
            out.push(RawFinding::new(META.id, span.start, span.end, message));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |list: &str| {
            format!("import {{ DurableCore }} from 'durable-core';\nexport class Room extends DurableCore {{ static migrations = [{list}]; }}")
        };
        let fire = [
            wrap("'CREATE TABLE a (x)', 'BEGIN; CREATE TABLE b (y); COMMIT'"),
            wrap("'CREATE TABLE a (x)', 42"),
            wrap("{ name: 'init', sql: 'INSERT INTO _dc_tasks (id) VALUES (1)' }"),
            wrap("{ name: 'no sql here' }"),
        ];
        let pass = [
            wrap("'CREATE TABLE a (x)', { name: 'b', sql: 'CREATE TABLE b (y)' }"),
            wrap("`CREATE TABLE notes (body TEXT) -- BEGIN`"),
            wrap("...BASE, 'CREATE TABLE c (z)'"),
            "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { static migrations = ['BEGIN']; }".to_owned(),
        ];
        assert_cases("migration-shape", CONFIG, &fire, &pass);
    }
}
