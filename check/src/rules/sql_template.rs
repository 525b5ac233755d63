//! `sql-template`: a `this.sql` tagged template (`run`, `all`, `one`, `first`, and `sql`
//! fragments inside them) that durable-core's template compiler would refuse at run time: a
//! placeholder inside a string literal or comment, a forbidden statement, a bad `sql.id(...)`
//! name, more than 100 parameters. The template is compiled by the core's own
//! `durable_core::sql::compile`, so the finding carries the `SQL_*` error's message.

use super::{Category, RuleMeta};
use crate::analysis::{FileCtx, ObjectKind};
use crate::diagnostic::{RawFinding, Severity};
use durable_core::error::ErrorCode;
use durable_core::sql::{compile, Hole, Template};
use oxc_ast::ast::{Expression, TemplateLiteral};

pub const META: RuleMeta = RuleMeta {
    id: "sql-template",
    severity: Severity::Error,
    category: Category::DurableCore,
    summary: "A `this.sql` template that durable-core's compiler would refuse at run time.",
};

const METHODS: &[&str] = &["run", "all", "one", "first"];

/// The template's literal parts and hole shapes, or `None` when a hole's shape is not known
/// statically (a `sql.join` of a computed list, a `sql.id` of a variable).
fn template<'a>(
    ctx: &FileCtx<'_, 'a>,
    quasi: &'a TemplateLiteral<'a>,
    depth: u32,
) -> Option<Template> {
    if depth > 8 {
        return None;
    }
    let strings = quasi
        .quasis
        .iter()
        .map(|q| q.value.cooked.as_ref().map(|c| c.to_string()))
        .collect::<Option<Vec<_>>>()?;
    let mut holes = Vec::new();
    for expr in &quasi.expressions {
        holes.push(hole(ctx, expr, depth)?);
    }
    Some(Template { strings, holes })
}

fn hole<'a>(ctx: &FileCtx<'_, 'a>, expr: &'a Expression<'a>, depth: u32) -> Option<Hole> {
    match expr.without_parentheses() {
        Expression::TaggedTemplateExpression(tagged) if is_sql_tag(&tagged.tag) => {
            Some(Hole::Fragment(template(ctx, &tagged.quasi, depth + 1)?))
        }
        Expression::CallExpression(call) => {
            let Some(member) = call.callee.get_member_expr() else {
                return Some(Hole::Value);
            };
            if !is_sql_tag(member.object()) {
                return Some(Hole::Value);
            }
            let argument = call.arguments.first().and_then(|a| a.as_expression());
            match member.static_property_name()? {
                "id" => Some(Hole::Id {
                    name: ctx.static_string(argument?)?,
                }),
                "raw" => Some(Hole::Raw {
                    text: ctx.static_string(argument?)?,
                }),
                "json" => Some(Hole::Json),
                "in" => Some(Hole::In),
                _ => None,
            }
        }
        _ => Some(Hole::Value),
    }
}

fn is_sql_tag(expr: &Expression) -> bool {
    matches!(expr.without_parentheses(), Expression::Identifier(id) if id.name == "sql")
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for (node_id, tagged) in ctx.tagged_templates() {
        let Some(member) = tagged.tag.get_member_expr() else {
            continue;
        };
        if !member
            .static_property_name()
            .is_some_and(|m| METHODS.contains(&m))
        {
            continue;
        }
        let on_this_sql = ctx
            .path(member.object())
            .is_some_and(|p| matches!(p.as_slice(), [this, s] if this == "this" && s == "sql"));
        if !on_this_sql
            || ctx
                .object_class(node_id)
                .is_none_or(|c| c.kind != ObjectKind::DurableCore)
        {
            continue;
        }
        let Some(template) = template(ctx, &tagged.quasi, 0) else {
            continue;
        };
        if let Err(error) = compile(&template) {
            out.push(RawFinding::at(
                META.id,
                tagged.quasi.span,
                format!("{error} ({} at run time)", error.code()),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| {
            format!("import {{ DurableCore, sql }} from 'durable-core';\nexport class Room extends DurableCore {{ go(id, name) {{ {body} }} }}")
        };
        let fire = [
            wrap("this.sql.run`UPDATE t SET note = '${name}' WHERE id = ${id}`;"),
            wrap("this.sql.all`SELECT * FROM ${sql.id('bad\\u0000name')}`;"),
            wrap("this.sql.run`BEGIN`;"),
            wrap("return this.sql.first`SELECT * FROM t WHERE a = ${sql`${id} -- ${name}`}`;"),
        ];
        let pass = [
            wrap("this.sql.run`UPDATE t SET note = ${name} WHERE id = ${id}`;"),
            wrap("return this.sql.all`SELECT * FROM ${sql.id('items')} WHERE id IN ${sql.in([1, 2])}`;"),
            wrap("this.sql.all`SELECT ${sql.join(this.cols)} FROM t`;"),
            wrap("this.other.run`BEGIN`;"),
        ];
        assert_cases("sql-template", CONFIG, &fire, &pass);
    }
}
