//! Secondary-index rows in SQLite: the change plan for one write, and the statements that
//! read and write `_dc_store_index`.
//!
//! An index maps each primary entry to at most one index key (the user's key function, run by
//! the facade in JS, returns a key or `undefined`). Rows are `(index_name, index_key,
//! primary_key)`, both keys in their encoded kv form, so SQLite's `BINARY` order is the key
//! order and a primary key read from a row can be passed to `ctx.storage.kv.get` as it is.
//!
//! What a primary entry currently has in an index is read from the table itself, never from the
//! facade's idea of the old value: the table is the truth, so a key function that misbehaved
//! once (say, read the clock) cannot leave orphan rows behind on the next write.
//!
//! This module never decides which indexes exist (see `Store::open`) and never calls user code.

use super::cache::{CacheKey, ReadCache};
use super::range::{KvRange, Lower};
use super::StoreError;
use crate::backend::{SqlBackend, SqlValue};

/// One row of `_dc_store_index` without its primary key.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct IndexRow {
    pub index: String,
    pub index_key: String,
}

/// The rows one write removes and adds for one primary entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexChange {
    pub delete: Vec<IndexRow>,
    pub insert: Vec<IndexRow>,
}

impl IndexChange {
    /// Diffs the rows an entry has (`current`) against the keys its new value gives each
    /// maintained index (`wanted`; `None` = the key function returned `undefined`). Indexes not
    /// named in `wanted` keep their rows: they are not maintained by this write.
    pub fn plan(current: &[IndexRow], wanted: &[(String, Option<String>)]) -> IndexChange {
        let mut change = IndexChange::default();
        for (index, new_key) in wanted {
            let old_key = current
                .iter()
                .find(|row| &row.index == index)
                .map(|row| &row.index_key);
            if old_key == new_key.as_ref() {
                continue;
            }
            if let Some(old_key) = old_key {
                change.delete.push(IndexRow {
                    index: index.clone(),
                    index_key: old_key.clone(),
                });
            }
            if let Some(new_key) = new_key {
                change.insert.push(IndexRow {
                    index: index.clone(),
                    index_key: new_key.clone(),
                });
            }
        }
        change
    }

    pub fn is_empty(&self) -> bool {
        self.delete.is_empty() && self.insert.is_empty()
    }
}

const ROWS_OF_PRIMARY: &str =
    "SELECT index_name, index_key FROM _dc_store_index WHERE primary_key = ?";
const OTHER_HOLDER: &str =
    "SELECT primary_key FROM _dc_store_index WHERE index_name = ? AND index_key = ? AND primary_key <> ? LIMIT 1";
const DELETE_ROW: &str =
    "DELETE FROM _dc_store_index WHERE index_name = ? AND index_key = ? AND primary_key = ?";
const DELETE_PRIMARY: &str =
    "DELETE FROM _dc_store_index WHERE primary_key = ? RETURNING index_name, index_key";
const DELETE_SPAN: &str =
    "DELETE FROM _dc_store_index WHERE primary_key BETWEEN ? AND ? RETURNING index_name, index_key";
const DELETE_INDEX: &str = "DELETE FROM _dc_store_index WHERE index_name = ?";
/// Rows per multi-row insert: 3 bindings each, under the platform's 100 bound parameters.
const ROWS_PER_INSERT: usize = 33;

fn rows_from(result: crate::backend::QueryResult) -> Vec<IndexRow> {
    result
        .rows
        .into_iter()
        .filter_map(|row| match <[SqlValue; 2]>::try_from(row) {
            Ok([SqlValue::Text(index), SqlValue::Text(index_key)]) => {
                Some(IndexRow { index, index_key })
            }
            _ => None,
        })
        .collect()
}

/// The rows a primary entry has now.
pub fn rows_of(db: &dyn SqlBackend, primary_key: &str) -> Result<Vec<IndexRow>, StoreError> {
    Ok(rows_from(db.exec(ROWS_OF_PRIMARY, &[primary_key.into()])?))
}

/// Some other primary entry holding `row`, if any: a unique index's conflict.
pub fn other_holder(
    db: &dyn SqlBackend,
    row: &IndexRow,
    primary_key: &str,
) -> Result<Option<String>, StoreError> {
    let result = db.exec(
        OTHER_HOLDER,
        &[
            row.index.as_str().into(),
            row.index_key.as_str().into(),
            primary_key.into(),
        ],
    )?;
    Ok(result
        .scalar()
        .and_then(SqlValue::as_str)
        .map(str::to_owned))
}

/// Writes `change` for `primary_key`, forgetting the cached lookups it touches first.
pub fn apply(
    db: &dyn SqlBackend,
    cache: &mut ReadCache,
    store: u64,
    primary_key: &str,
    change: &IndexChange,
) -> Result<(), StoreError> {
    for row in &change.delete {
        cache.invalidate(&CacheKey::new(store, &row.index, &row.index_key));
        db.exec(
            DELETE_ROW,
            &[
                row.index.as_str().into(),
                row.index_key.as_str().into(),
                primary_key.into(),
            ],
        )?;
    }
    let rows: Vec<(&IndexRow, &str)> = change.insert.iter().map(|row| (row, primary_key)).collect();
    insert_rows(db, cache, store, &rows, false)
}

/// Inserts rows in multi-row statements; `or_ignore` lets a rebuild skip rows a concurrent
/// write already added.
pub fn insert_rows(
    db: &dyn SqlBackend,
    cache: &mut ReadCache,
    store: u64,
    rows: &[(&IndexRow, &str)],
    or_ignore: bool,
) -> Result<(), StoreError> {
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut params = Vec::with_capacity(chunk.len() * 3);
        for (row, primary_key) in chunk {
            cache.invalidate(&CacheKey::new(store, &row.index, &row.index_key));
            params.extend([
                row.index.as_str().into(),
                row.index_key.as_str().into(),
                (*primary_key).into(),
            ]);
        }
        let placeholders = vec!["(?, ?, ?)"; chunk.len()].join(", ");
        let verb = if or_ignore {
            "INSERT OR IGNORE"
        } else {
            "INSERT"
        };
        db.exec(
            &format!("{verb} INTO _dc_store_index (index_name, index_key, primary_key) VALUES {placeholders}"),
            &params,
        )?;
    }
    Ok(())
}

/// Removes every row of one primary entry (a delete).
pub fn delete_primary(
    db: &dyn SqlBackend,
    cache: &mut ReadCache,
    store: u64,
    primary_key: &str,
) -> Result<(), StoreError> {
    let removed = rows_from(db.exec(DELETE_PRIMARY, &[primary_key.into()])?);
    removed
        .iter()
        .for_each(|row| cache.invalidate(&CacheKey::new(store, &row.index, &row.index_key)));
    Ok(())
}

/// Removes every row of the primary entries from `first` to `last` inclusive, in one statement
/// (a `deleteRange`: the facade passes the first and last key it listed and deleted).
pub fn delete_span(
    db: &dyn SqlBackend,
    cache: &mut ReadCache,
    store: u64,
    first: &str,
    last: &str,
) -> Result<u64, StoreError> {
    let (low, high) = if first <= last {
        (first, last)
    } else {
        (last, first)
    };
    let removed = rows_from(db.exec(DELETE_SPAN, &[low.into(), high.into()])?);
    removed
        .iter()
        .for_each(|row| cache.invalidate(&CacheKey::new(store, &row.index, &row.index_key)));
    Ok(removed.len() as u64)
}

/// Removes every row of one index (dropped or changed definition).
pub fn delete_index(
    db: &dyn SqlBackend,
    cache: &mut ReadCache,
    store: u64,
    index: &str,
) -> Result<(), StoreError> {
    cache.invalidate_store(store, Some(index));
    db.exec(DELETE_INDEX, &[index.into()])?;
    Ok(())
}

/// The primary keys holding `index_key` in `index`, in primary key order.
pub fn lookup(
    db: &dyn SqlBackend,
    index: &str,
    index_key: &str,
) -> Result<Vec<String>, StoreError> {
    let result = db.exec(
        "SELECT primary_key FROM _dc_store_index WHERE index_name = ? AND index_key = ? ORDER BY primary_key",
        &[index.into(), index_key.into()],
    )?;
    Ok(result
        .rows
        .iter()
        .filter_map(|row| row.first()?.as_str().map(str::to_owned))
        .collect())
}

/// One index row as a range query returns it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct IndexEntry {
    pub index_key: String,
    pub primary_key: String,
}

/// The `WHERE` clause and bindings of `range` over one index, resuming after `resume` (the
/// last entry of the previous page: a non-unique index can repeat an index key across pages).
fn range_filter(
    index: &str,
    range: &KvRange,
    resume: Option<&IndexEntry>,
) -> (String, Vec<SqlValue>) {
    let lower = match &range.lower {
        Lower::Inclusive(_) => ">=",
        Lower::Exclusive(_) => ">",
    };
    let mut clause = format!("index_name = ? AND index_key {lower} ? AND index_key < ?");
    let mut params: Vec<SqlValue> = vec![
        index.into(),
        range.lower.key().into(),
        range.end.as_str().into(),
    ];
    if let Some(after) = resume {
        let direction = if range.reverse { "<" } else { ">" };
        clause.push_str(&format!(" AND (index_key, primary_key) {direction} (?, ?)"));
        params.extend([
            after.index_key.as_str().into(),
            after.primary_key.as_str().into(),
        ]);
    }
    (clause, params)
}

/// The index entries in `range`, in index key then primary key order (both reversed with
/// `reverse`), at most `range.limit` of them.
pub fn list(
    db: &dyn SqlBackend,
    index: &str,
    range: &KvRange,
    resume: Option<&IndexEntry>,
) -> Result<Vec<IndexEntry>, StoreError> {
    if range.is_empty() {
        return Ok(Vec::new());
    }
    let (clause, mut params) = range_filter(index, range, resume);
    let order = if range.reverse { "DESC" } else { "ASC" };
    params.push(SqlValue::Integer(range.limit.map_or(-1, i64::from)));
    let sql = format!(
        "SELECT index_key, primary_key FROM _dc_store_index WHERE {clause} \
         ORDER BY index_key {order}, primary_key {order} LIMIT ?"
    );
    let result = db.exec(&sql, &params)?;
    Ok(result
        .rows
        .into_iter()
        .filter_map(|row| match <[SqlValue; 2]>::try_from(row) {
            Ok([SqlValue::Text(index_key), SqlValue::Text(primary_key)]) => Some(IndexEntry {
                index_key,
                primary_key,
            }),
            _ => None,
        })
        .collect())
}

/// How many index entries `range` holds, capped by its limit.
pub fn count(db: &dyn SqlBackend, index: &str, range: &KvRange) -> Result<u64, StoreError> {
    if range.is_empty() {
        return Ok(0);
    }
    let (clause, mut params) = range_filter(index, range, None);
    params.push(SqlValue::Integer(range.limit.map_or(-1, i64::from)));
    let sql =
        format!("SELECT count(*) FROM (SELECT 1 FROM _dc_store_index WHERE {clause} LIMIT ?)");
    let result = db.exec(&sql, &params)?;
    Ok(result
        .scalar()
        .and_then(SqlValue::as_i64)
        .and_then(|n| u64::try_from(n).ok())
        .unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(index: &str, key: &str) -> IndexRow {
        IndexRow {
            index: index.into(),
            index_key: key.into(),
        }
    }

    #[test]
    fn an_unchanged_key_writes_nothing() {
        let current = [row("byEmail", "a")];
        let change = IndexChange::plan(&current, &[("byEmail".into(), Some("a".into()))]);
        assert!(change.is_empty());
    }

    #[test]
    fn a_changed_key_moves_and_undefined_removes() {
        let current = [row("byEmail", "a"), row("byAge", "7")];
        let change = IndexChange::plan(
            &current,
            &[
                ("byEmail".into(), Some("b".into())),
                ("byAge".into(), None),
                ("byName".into(), Some("n".into())),
            ],
        );
        assert_eq!(change.delete, vec![row("byEmail", "a"), row("byAge", "7")]);
        assert_eq!(change.insert, vec![row("byEmail", "b"), row("byName", "n")]);
    }
}
