//! `task-method-unknown`: `this.scheduler.at/after/every/cron` with a literal method name that
//! the class does not define, or that is a lifecycle method. The scheduler refuses the first
//! with `TASK_METHOD` when the task is created; a lifecycle method (`fetch`, `alarm`,
//! `onConnect`, ...) would run with a task payload instead of its platform arguments.

use super::{Category, RuleMeta};
use crate::analysis::{FileCtx, ObjectKind};
use crate::diagnostic::{RawFinding, Severity};
use crate::rules::invalid_cron::is_scheduler;
use oxc_ast::ast::{ClassElement, Expression};
use oxc_span::GetSpan;

pub const META: RuleMeta = RuleMeta {
    id: "task-method-unknown",
    severity: Severity::Error,
    category: Category::DurableCore,
    summary: "A scheduled task naming a method the class does not define, or a lifecycle method.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for call in ctx.method_calls() {
        if !matches!(call.method.as_str(), "at" | "after" | "every" | "cron")
            || !call.receiver.as_deref().is_some_and(is_scheduler)
        {
            continue;
        }
        let Some(class) = ctx.object_class(call.node_id) else {
            continue;
        };
        if class.kind != ObjectKind::DurableCore {
            continue;
        }
        let Some(name_expr) = call.call.arguments.get(1).and_then(|a| a.as_expression()) else {
            continue;
        };
        let Some(name) = ctx.static_string(name_expr) else {
            continue;
        };
        let members = ctx.class_members(class.node_id);
        let is_method = members.iter().any(|(n, element)| {
            n == &name
                && match element {
                    ClassElement::MethodDefinition(m) => !m.r#static,
                    ClassElement::PropertyDefinition(p) => {
                        !p.r#static
                            && matches!(
                                p.value,
                                Some(
                                    Expression::ArrowFunctionExpression(_)
                                        | Expression::FunctionExpression(_)
                                )
                            )
                    }
                    _ => false,
                }
        });
        let class_name = class.name.clone().unwrap_or_else(|| "this class".into());
        let message = if durable_core::scheduler::is_lifecycle_method(&name) {
            format!("`{name}` is a lifecycle method of {class_name}, called by the platform with its own arguments: schedule a method of your own that does the work")
        } else if !is_method {
            format!("{name} is not a method of {class_name}: a task runs this[method](payload, task); define `{name}(payload, task)` or fix the name (TASK_METHOD at run time)")
        } else {
            continue;
        };
        let span = name_expr.span();
        out.push(RawFinding::new(META.id, span.start, span.end, message));
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, core_object_with, CONFIG};

    #[test]
    fn fixtures() {
        let wrap = |body: &str| {
            core_object_with(&format!(
                "onStart() {{ {body} }} digest() {{}} tick = () => {{}}; static build() {{}}"
            ))
        };
        let fire = [
            wrap("this.scheduler.after(1000, 'digets');"),
            wrap("this.scheduler.cron('0 9 * * *', 'alarm');"),
            wrap("this.scheduler.every(60000, 'build');"),
            wrap("const M = 'nope'; this.scheduler.at(Date.now(), M);"),
            // Lifecycle names the class itself defines are still refused (the core's one list).
            "import { DurableCore } from 'durable-core';\nexport class Room extends DurableCore { onBeforeConnect() {} go() { this.scheduler.after(1, 'onBeforeConnect'); } }".to_owned(),
            "import { DurableCore } from 'durable-core';\nexport class Room extends DurableCore { dup() {} go() { this.scheduler.after(1, 'dup'); } }".to_owned(),
        ];
        let pass = [
            wrap("this.scheduler.after(1000, 'digest');"),
            wrap("this.scheduler.every(60000, 'tick', { n: 1 });"),
            wrap("this.scheduler.after(1000, this.method);"),
            "import { DurableObject } from 'cloudflare:workers';\nexport class Room extends DurableObject { go() { this.scheduler.after(1, 'nope'); } }".to_owned(),
        ];
        assert_cases("task-method-unknown", CONFIG, &fire, &pass);
    }
}
