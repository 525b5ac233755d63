//! `memory-only-state`: a class field of a Durable Object (a `Map`, `Set`, array or counter)
//! that handlers change but that is neither persisted nor rebuilt on wake. The object's memory
//! is dropped on eviction, hibernation and every deploy; the field silently starts over.
//!
//! Tuned to few false positives: the field is reported only when some handler changes it
//! without touching durable state at all (no `ctx.storage`, SQL, `this.sql`/`this.store`,
//! socket attachments or `getWebSockets()` in that handler), and no code that reads durable
//! state ever writes it (which would be a rebuild, or a cache filled from storage).

use super::{Category, RuleMeta};
use crate::analysis::{FileCtx, Member};
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::{
    AssignmentTarget, ClassElement, Expression, MethodDefinitionKind, SimpleAssignmentTarget,
};
use oxc_ast::AstKind;
use oxc_semantic::NodeId;

pub const META: RuleMeta = RuleMeta {
    id: "memory-only-state",
    severity: Severity::Warning,
    category: Category::Code,
    summary: "A field (Map, Set, array, counter) changed by handlers and neither persisted nor rebuilt on wake.",
};

const MUTATORS: &[&str] = &[
    "set", "add", "push", "delete", "clear", "splice", "unshift", "pop", "shift",
];
const DURABLE: &[&str] = &[
    "getWebSockets",
    "serializeAttachment",
    "deserializeAttachment",
    "acceptWebSocket",
];

/// `this.<name>` / `this.#name` as the field's name.
fn this_field(expr: &Expression) -> Option<String> {
    match expr.without_parentheses() {
        Expression::StaticMemberExpression(m)
            if matches!(m.object, Expression::ThisExpression(_)) =>
        {
            Some(m.property.name.to_string())
        }
        Expression::PrivateFieldExpression(p)
            if matches!(p.object, Expression::ThisExpression(_)) =>
        {
            Some(format!("#{}", p.field.name))
        }
        _ => None,
    }
}

fn is_memory_value(expr: &Expression) -> bool {
    match expr.without_parentheses() {
        Expression::NewExpression(n) => {
            matches!(&n.callee, Expression::Identifier(id) if id.name == "Map" || id.name == "Set")
        }
        Expression::ArrayExpression(a) => a.elements.is_empty(),
        Expression::NumericLiteral(_) => true,
        _ => false,
    }
}

const SHRINKERS: &[&str] = &["delete", "clear", "splice", "pop", "shift"];

/// True when a write removes from the field or resets it (`delete`, `--`, `-=`, `= 0`, ...).
fn shrinks(kind: AstKind) -> bool {
    match kind {
        AstKind::CallExpression(call) => call
            .callee
            .get_member_expr()
            .and_then(|m| m.static_property_name())
            .is_some_and(|m| SHRINKERS.contains(&m)),
        AstKind::UpdateExpression(update) => {
            update.operator == oxc_syntax::operator::UpdateOperator::Decrement
        }
        AstKind::AssignmentExpression(assign) => match assign.operator {
            oxc_syntax::operator::AssignmentOperator::Subtraction => true,
            oxc_syntax::operator::AssignmentOperator::Assign => {
                is_memory_value(&assign.right)
                    || matches!(&assign.right, Expression::CallExpression(c) if c.callee.get_member_expr().and_then(|m| m.static_property_name()) == Some("max"))
            }
            _ => false,
        },
        _ => false,
    }
}

/// The field a node writes, if it writes one: a mutating method call, `++`/`--`, an assignment
/// to the field or to one of its properties or elements.
fn written_field(kind: AstKind) -> Option<String> {
    match kind {
        AstKind::CallExpression(call) => {
            let member = call.callee.without_parentheses().get_member_expr()?;
            if !MUTATORS.contains(&member.static_property_name()?) {
                return None;
            }
            this_field(member.object())
        }
        AstKind::UpdateExpression(update) => match &update.argument {
            SimpleAssignmentTarget::StaticMemberExpression(m)
                if matches!(m.object, Expression::ThisExpression(_)) =>
            {
                Some(m.property.name.to_string())
            }
            SimpleAssignmentTarget::PrivateFieldExpression(p)
                if matches!(p.object, Expression::ThisExpression(_)) =>
            {
                Some(format!("#{}", p.field.name))
            }
            _ => None,
        },
        AstKind::AssignmentExpression(assign) => match &assign.left {
            AssignmentTarget::StaticMemberExpression(m) => this_field(&m.object).or_else(|| {
                matches!(m.object, Expression::ThisExpression(_))
                    .then(|| m.property.name.to_string())
            }),
            AssignmentTarget::ComputedMemberExpression(m) => this_field(&m.object),
            AssignmentTarget::PrivateFieldExpression(p)
                if matches!(p.object, Expression::ThisExpression(_)) =>
            {
                Some(format!("#{}", p.field.name))
            }
            _ => None,
        },
        _ => None,
    }
}

/// True when the member touches durable state anywhere inside it.
fn touches_durable(ctx: &FileCtx, member: &Member) -> bool {
    ctx.method_calls().any(|c| {
        ctx.is_inside(c.node_id, member.node_id)
            && (c.receiver.as_deref().is_some_and(|p| {
                crate::analysis::storage_rest(p).is_some()
                    || matches!(p, [this, s, ..] if this == "this" && (s == "sql" || s == "store"))
            }) || DURABLE.contains(&c.method.as_str()))
    }) || ctx.tagged_templates().any(|(node_id, t)| {
        t.tag.get_member_expr().is_some_and(|m| {
            ctx.path(m.object())
                .is_some_and(|p| matches!(p.as_slice(), [this, s] if this == "this" && s == "sql"))
        }) && ctx.is_inside(node_id, member.node_id)
    })
}

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for class in ctx.classes.iter().filter(|c| c.is_object()) {
        // Candidate fields: initialised to an empty Map, Set, array or a number.
        let mut fields: Vec<(String, u32, u32)> = Vec::new();
        for (name, element) in ctx.class_members(class.node_id) {
            match element {
                ClassElement::PropertyDefinition(p)
                    if !p.r#static && p.value.as_ref().is_some_and(is_memory_value) =>
                {
                    fields.push((name, p.span.start, p.span.end));
                }
                ClassElement::MethodDefinition(m)
                    if m.kind == MethodDefinitionKind::Constructor =>
                {
                    for statement in m.value.body.iter().flat_map(|b| b.statements.iter()) {
                        let oxc_ast::ast::Statement::ExpressionStatement(e) = statement else {
                            continue;
                        };
                        let Expression::AssignmentExpression(a) = &e.expression else {
                            continue;
                        };
                        let AssignmentTarget::StaticMemberExpression(target) = &a.left else {
                            continue;
                        };
                        if matches!(target.object, Expression::ThisExpression(_))
                            && is_memory_value(&a.right)
                        {
                            fields.push((
                                target.property.name.to_string(),
                                e.span.start,
                                e.span.end,
                            ));
                        }
                    }
                }
                _ => {}
            }
        }
        if fields.is_empty() {
            continue;
        }
        // Every write of a candidate, with the member it is in.
        let mut writes: Vec<(String, Member, NodeId, bool)> = Vec::new();
        for node in ctx.semantic.nodes().iter() {
            let Some(field) = written_field(node.kind()) else {
                continue;
            };
            if !fields.iter().any(|(f, _, _)| *f == field)
                || ctx.class_of_node(node.id()) != Some(class.node_id)
            {
                continue;
            }
            let Some(member) = ctx.member_of(node.id()) else {
                continue;
            };
            writes.push((field, member, node.id(), shrinks(node.kind())));
        }
        for (field, start, end) in &fields {
            let sites: Vec<&(String, Member, NodeId, bool)> =
                writes.iter().filter(|(f, ..)| f == field).collect();
            let in_handlers: Vec<&&(String, Member, NodeId, bool)> = sites
                .iter()
                .filter(|(_, m, ..)| !m.is_constructor)
                .collect();
            if in_handlers.is_empty() {
                continue;
            }
            // Bookkeeping of work in flight (added, then removed by the same member: a set of
            // running tasks, a reference count) dies with the work it tracks: not state.
            let in_flight =
                in_handlers
                    .iter()
                    .filter(|(.., shrink)| !*shrink)
                    .all(|(_, grower, ..)| {
                        in_handlers
                            .iter()
                            .any(|(_, m, _, shrink)| *shrink && m.node_id == grower.node_id)
                    });
            if in_flight {
                continue;
            }
            // A write in code that reads durable state rebuilds it, or fills a cache from storage.
            let rebuilt = sites.iter().any(|(_, m, id, _)| {
                touches_durable(ctx, m) || (m.is_constructor && ctx.function_of(*id) != m.function)
            }) || sites.iter().any(|(_, m, ..)| m.name == "onStart");
            if rebuilt {
                continue;
            }
            let Some((_, handler, ..)) = in_handlers
                .iter()
                .find(|(.., shrink)| !*shrink)
                .map(|s| **s)
            else {
                continue;
            };
            out.push(RawFinding::new(
                META.id,
                *start,
                *end,
                format!("`{field}` is changed in `{}` but never persisted or rebuilt, so it starts over whenever the object is evicted, hibernates or is redeployed: keep it in ctx.storage (or SQL), rebuild it in the constructor, or keep per-socket data in the socket's attachment", handler.name),
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = object_with;
        let fire = [
            wrap("#count = 0; async fetch() { this.#count++; return new Response(String(this.#count)); }"),
            wrap("sessions = new Map(); async webSocketMessage(ws, m) { this.sessions.set(ws, m); }"),
            wrap("constructor(ctx, env) { super(ctx, env); this.queue = []; } enqueue(x) { this.queue.push(x); }"),
            wrap("sessions = new Map(); async fetch(r) { this.sessions.set(r.url, 1); return new Response(); } async webSocketClose(ws) { this.sessions.delete(ws); }"),
        ];
        let pass = [
            wrap("#count = 0; async fetch() { this.#count++; await this.ctx.storage.put('count', this.#count); return new Response(); }"),
            wrap("#cache = new Map(); async read(k) { if (!this.#cache.has(k)) this.#cache.set(k, await this.ctx.storage.get(k)); return this.#cache.get(k); }"),
            wrap("#count = 0; constructor(ctx, env) { super(ctx, env); ctx.blockConcurrencyWhile(async () => { this.#count = (await ctx.storage.get('count')) ?? 0; }); } hit() { this.#count++; }"),
            wrap("names = new Set(); webSocketMessage(ws, m) { this.names.add(m); ws.serializeAttachment({ name: m }); }"),
            "export class Plain { #n = 0; hit() { this.#n++; } }".to_owned(),
            wrap("#running = new Set(); async run(id) { this.#running.add(id); try { await this.work(id); } finally { this.#running.delete(id); } } async work() {}"),
            wrap("#refs = 0; keepAlive() { this.#refs++; return () => { this.#refs = Math.max(0, this.#refs - 1); }; }"),
        ];
        assert_cases("memory-only-state", CONFIG, &fire, &pass);
    }
}
