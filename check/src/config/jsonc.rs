//! `wrangler.jsonc` / `wrangler.json` into a [`Node`] tree (comments and trailing commas allowed,
//! as wrangler allows them).

use super::{ConfigError, Node, Spanned};
use jsonc_parser::ast::{ObjectPropName, Value};
use jsonc_parser::{parse_to_ast, CollectOptions, ParseOptions};

pub(super) fn parse(text: &str) -> Result<Node, ConfigError> {
    let parsed =
        parse_to_ast(text, &CollectOptions::default(), &ParseOptions::default()).map_err(|e| {
            ConfigError {
                message: e.to_string(),
            }
        })?;
    let value = parsed.value.ok_or_else(|| ConfigError {
        message: "the configuration is empty".into(),
    })?;
    Ok(node(&value))
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn node(value: &Value) -> Node {
    match value {
        Value::StringLit(s) => Node::Str(Spanned {
            value: s.value.to_string(),
            start: offset(s.range.start),
            end: offset(s.range.end),
        }),
        Value::Array(a) => Node::Array(
            a.elements.iter().map(node).collect(),
            offset(a.range.start),
            offset(a.range.end),
        ),
        Value::Object(o) => Node::Table(
            o.properties
                .iter()
                .map(|p| {
                    let key = match &p.name {
                        ObjectPropName::String(s) => s.value.to_string(),
                        ObjectPropName::Word(w) => w.value.to_string(),
                    };
                    (key, node(&p.value))
                })
                .collect(),
            offset(o.range.start),
            offset(o.range.end),
        ),
        Value::NumberLit(n) => Node::Other(offset(n.range.start), offset(n.range.end)),
        Value::BooleanLit(b) => Node::Other(offset(b.range.start), offset(b.range.end)),
        Value::NullKeyword(n) => Node::Other(offset(n.range.start), offset(n.range.end)),
    }
}
