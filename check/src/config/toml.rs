//! `wrangler.toml` into a [`Node`] tree, keeping spans (toml's `DeTable` parser).

use super::{ConfigError, Node, Spanned};
use toml::de::{DeTable, DeValue};

pub(super) fn parse(text: &str) -> Result<Node, ConfigError> {
    let table = DeTable::parse(text).map_err(|e| ConfigError {
        message: e.to_string(),
    })?;
    let span = table.span();
    Ok(table_node(table.get_ref(), span.start, span.end))
}

fn offset(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

fn table_node(table: &DeTable, start: usize, end: usize) -> Node {
    Node::Table(
        table
            .iter()
            .map(|(k, v)| {
                let span = v.span();
                (
                    k.get_ref().to_string(),
                    node(v.get_ref(), span.start, span.end),
                )
            })
            .collect(),
        offset(start),
        offset(end),
    )
}

fn node(value: &DeValue, start: usize, end: usize) -> Node {
    match value {
        DeValue::String(s) => Node::Str(Spanned {
            value: s.to_string(),
            start: offset(start),
            end: offset(end),
        }),
        DeValue::Array(items) => Node::Array(
            items
                .iter()
                .map(|item| {
                    let span = item.span();
                    node(item.get_ref(), span.start, span.end)
                })
                .collect(),
            offset(start),
            offset(end),
        ),
        DeValue::Table(t) => table_node(t, start, end),
        _ => Node::Other(offset(start), offset(end)),
    }
}
