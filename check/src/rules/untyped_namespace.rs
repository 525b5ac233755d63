//! `untyped-namespace`: `DurableObjectNamespace` without its type parameter in an `Env`
//! declaration. The stubs it returns are then untyped: RPC calls are not checked and return
//! `unknown`-ish values. `wrangler types` writes `DurableObjectNamespace<import("./src").Room>`.

use super::{Category, RuleMeta};
use crate::analysis::FileCtx;
use crate::diagnostic::{RawFinding, Severity};
use oxc_ast::ast::TSTypeName;
use oxc_ast::AstKind;

pub const META: RuleMeta = RuleMeta {
    id: "untyped-namespace",
    severity: Severity::Warning,
    category: Category::Configuration,
    summary: "`DurableObjectNamespace` without its class type parameter in `Env`: stubs lose their RPC types.",
};

pub fn check(ctx: &FileCtx, out: &mut Vec<RawFinding>) {
    for (node_id, reference) in ctx.type_references() {
        let TSTypeName::IdentifierReference(name) = &reference.type_name else {
            continue;
        };
        if name.name != "DurableObjectNamespace" || reference.type_arguments.is_some() {
            continue;
        }
        let in_declaration = ctx
            .semantic
            .nodes()
            .ancestors(node_id)
            .any(|a| matches!(a.kind(), AstKind::TSPropertySignature(_)));
        if in_declaration {
            out.push(RawFinding::at(
                META.id,
                reference.span,
                "this namespace has no class type, so its stubs are untyped: write `DurableObjectNamespace<MyClass>` (or run `wrangler types`)",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::rules::testing::{assert_cases, CONFIG};

    #[test]
    fn fixtures() {
        assert_cases(
            "untyped-namespace",
            CONFIG,
            &[
                "interface Env { ROOM: DurableObjectNamespace }",
                "type Env = { ROOM: DurableObjectNamespace; CACHE: KVNamespace }",
                "declare global { interface Env { ROOM?: DurableObjectNamespace } }\nexport {};",
            ],
            &[
                "import type { Room } from './room';\ninterface Env { ROOM: DurableObjectNamespace<Room> }",
                "interface Env { CACHE: KVNamespace }",
                "export function count(ns: DurableObjectNamespace) { return ns; }",
            ],
        );
    }
}
