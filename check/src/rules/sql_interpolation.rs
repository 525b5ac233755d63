//! `sql-interpolation`: a template literal with run-time values, or a concatenation, passed as
//! the query of `ctx.storage.sql.exec`. The values become SQL text: an injection, and a new
//! statement for the runtime's statement cache each time. Bind them with `?`.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::{Expression, TSLiteral, TSType};
use oxc_ast::AstKind;
use oxc_span::GetSpan;
use oxc_syntax::operator::BinaryOperator;

pub const META: RuleMeta = RuleMeta {
    id: "sql-interpolation",
    severity: Severity::Error,
    category: Category::Code,
    summary:
        "Run-time values spliced into `sql.exec` text (a template or `+`): bind them with `?`.",
};

/// True when `expr` is a parameter typed as a string literal or a union of them
/// (`table: "a" | "b"`): a run-time value, but one of a closed set written in the code.
fn is_literal_typed(ctx: &FileCtx, expr: &Expression) -> bool {
    let Expression::Identifier(id) = expr.without_parentheses() else {
        return false;
    };
    let Some(symbol) = id
        .reference_id
        .get()
        .and_then(|r| ctx.semantic.scoping().get_reference(r).symbol_id())
    else {
        return false;
    };
    let AstKind::FormalParameter(param) =
        ctx.kind(ctx.semantic.scoping().symbol_declaration(symbol))
    else {
        return false;
    };
    let Some(annotation) = &param.type_annotation else {
        return false;
    };
    let literal = |t: &TSType| matches!(t, TSType::TSLiteralType(l) if matches!(l.literal, TSLiteral::StringLiteral(_)));
    match &annotation.type_annotation {
        TSType::TSUnionType(union) => union.types.iter().all(literal),
        other => literal(other),
    }
}

fn is_spliced<'a>(ctx: &FileCtx<'_, 'a>, expr: &'a Expression<'a>) -> bool {
    let expr = ctx.const_init(expr).unwrap_or(expr);
    match expr.without_parentheses() {
        Expression::TemplateLiteral(t) => t
            .expressions
            .iter()
            .any(|e| ctx.static_string(e).is_none() && !is_literal_typed(ctx, e)),
        Expression::BinaryExpression(b) => {
            b.operator == BinaryOperator::Addition && ctx.static_string(expr).is_none()
        }
        _ => false,
    }
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.sql_exec_calls() {
        let Some(query) = call.argument(0) else {
            continue;
        };
        if !is_spliced(ctx, query) {
            continue;
        }
        out.push(RawFinding::at(
            META.id,
            query.span(),
            "run-time values are spliced into this SQL text (injection, and a new statement each time): write `?` in the text and pass the values as arguments, `sql.exec(\"... WHERE id = ?\", id)`",
        ));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| object_with(&format!("run(id, name) {{ {body} }}"));
        let fire = [
            wrap("this.ctx.storage.sql.exec(`SELECT * FROM t WHERE id = ${id}`);"),
            wrap("const s = this.ctx.storage; s.sql.exec('DELETE FROM t WHERE name = \\'' + name + '\\'');"),
            wrap("const q = `UPDATE t SET name = '${name}'`; this.ctx.storage.sql.exec(q);"),
            "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { count(table: string) { return this.ctx.storage.sql.exec(`SELECT count(*) FROM ${table}`).one(); } }".to_owned(),
        ];
        let pass = [
            wrap("this.ctx.storage.sql.exec('SELECT * FROM t WHERE id = ?', id);"),
            wrap("const TABLE = 'items'; this.ctx.storage.sql.exec(`SELECT * FROM ${TABLE} WHERE id = ?`, id);"),
            wrap("this.ctx.storage.sql.exec('SELECT * ' + 'FROM t');"),
            wrap("this.db.exec(`SELECT ${id}`);"),
            "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { count(table: 'a' | 'b') { return this.ctx.storage.sql.exec(`SELECT count(*) FROM ${table}`).one(); } }".to_owned(),
        ];
        assert_cases("sql-interpolation", CONFIG, &fire, &pass);
    }
}
