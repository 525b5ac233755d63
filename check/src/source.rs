//! One source file: parsed with oxc, scopes and symbols built by oxc_semantic, then read once
//! for the facts other files and the configuration rules need ([`FileFacts`]).
//!
//! A file that does not parse yields a `syntax-error` finding and no facts; it never stops the
//! other files from being checked.

use crate::analysis::{ClassInfo, ObjectKind};
use oxc_ast::ast::{Declaration, ModuleExportName, Statement};
use oxc_semantic::Semantic;
use serde::{Deserialize, Serialize};

/// What a file contributes to the project-wide rules.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FileFacts {
    /// Names this module exports (`export class X`, `export { X }`, `export { X } from`).
    pub exports: Vec<String>,
    /// `export * from "<specifier>"`.
    pub export_all: Vec<String>,
    /// Every module specifier imported or re-exported, in order.
    pub imports: Vec<String>,
    /// Classes declared here, with what the rules need to know about them.
    pub classes: Vec<ClassFact>,
    /// True when the file imports `durable-core`.
    pub uses_durable_core: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClassFact {
    pub name: String,
    pub kind: ObjectKind,
    /// The class reaches `ctx.storage.sql` (it needs a SQLite-backed class).
    pub uses_sql: bool,
}

pub fn file_facts(semantic: &Semantic, classes: &[ClassInfo]) -> FileFacts {
    let mut facts = FileFacts::default();
    let program = semantic.nodes().program();
    for statement in &program.body {
        match statement {
            Statement::ImportDeclaration(import) => {
                facts.imports.push(import.source.value.to_string())
            }
            Statement::ExportAllDeclaration(all) => {
                facts.imports.push(all.source.value.to_string());
                match &all.exported {
                    Some(name) => facts.exports.push(export_name(name)),
                    None => facts.export_all.push(all.source.value.to_string()),
                }
            }
            Statement::ExportNamedDeclaration(named) => {
                facts
                    .exports
                    .extend(named.specifiers.iter().map(|s| export_name(&s.exported)));
            }
            Statement::ExportFromDeclaration(from) => {
                facts.imports.push(from.source.value.to_string());
                facts
                    .exports
                    .extend(from.specifiers.iter().map(|s| export_name(&s.exported)));
            }
            Statement::ExportDeclaration(export) => match &export.declaration {
                Declaration::ClassDeclaration(class) => {
                    facts
                        .exports
                        .extend(class.id.as_ref().map(|id| id.name.to_string()));
                }
                Declaration::FunctionDeclaration(f) => {
                    facts
                        .exports
                        .extend(f.id.as_ref().map(|id| id.name.to_string()));
                }
                Declaration::VariableDeclaration(v) => {
                    for d in &v.declarations {
                        facts.exports.extend(
                            d.id.get_binding_identifiers()
                                .iter()
                                .map(|b| b.name.to_string()),
                        );
                    }
                }
                _ => {}
            },
            // `export default class X` exports `default`, not the name `X`.
            Statement::ExportDefaultDeclaration(_) => facts.exports.push("default".into()),
            _ => {}
        }
    }
    facts.uses_durable_core = facts
        .imports
        .iter()
        .any(|s| s == "durable-core" || s.starts_with("durable-core/"));
    facts.classes = classes
        .iter()
        .filter_map(|c| {
            Some(ClassFact {
                name: c.name.clone()?,
                kind: c.kind,
                uses_sql: c.uses_sql,
            })
        })
        .collect();
    facts
}

fn export_name(name: &ModuleExportName) -> String {
    match name {
        ModuleExportName::IdentifierName(n) => n.name.to_string(),
        ModuleExportName::IdentifierReference(n) => n.name.to_string(),
        ModuleExportName::StringLiteral(s) => s.value.to_string(),
    }
}
