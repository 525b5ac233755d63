//! Ordered storage (`this.store`): typed tuple keys, range planning, secondary indexes and
//! their read cache.
//!
//! Where entries live, and why. Primary entries are stored by the facade in the native sync
//! `ctx.storage.kv` under the string [`keys::encode`] makes, whose UTF-8 byte order is the key
//! order. Measured in workerd: `kv.put` ≈ 1.6 µs, `kv.get` ≈ 1.7 µs, `kv.list` ≈ 0.65 µs per
//! entry, against `sql.exec` ≈ 2.8 µs per insert and 3.9 µs per select by key; a table of our
//! own would lose ~1.7× on every operation. On SQLite-backed objects kv lives in the same
//! database, so kv writes and the index rows this module writes through [`SqlBackend`] commit
//! together inside one `ctx.storage.transactionSync`. Secondary index rows live in
//! `_dc_store_index`, definitions in `_dc_store_indexes`.
//!
//! One operation is one call into the core: the facade passes the key parts and, for a store
//! with indexes, each index's key already computed from the value by the user's JS function;
//! the core validates and encodes everything, checks unique indexes, writes index rows and
//! returns the kv key the facade then writes. Every check runs before the first write, and the
//! facade wraps the call and its kv write in `transactionSync`, so a refused write changes
//! nothing.
//!
//! This module never touches kv or values (the facade does), never calls user code, and keeps
//! nothing in memory that SQLite cannot rebuild (the index list is reread by [`Store::open`]).

pub mod cache;
pub mod index;
pub mod keys;
pub mod range;

use crate::backend::{BackendError, SqlBackend, SqlValue};
use crate::checksum::fingerprint;
use crate::error::ErrorCode;
use cache::{CacheKey, ReadCache};
pub use index::{IndexChange, IndexEntry, IndexRow};
pub use keys::{
    decode, encode, format_of, js_literal, BigIntKey, KeyError, KeyFormat, KeyPart, MAX_KEY_BYTES,
    MAX_KEY_DEPTH, NAMESPACE,
};
pub use range::{KvRange, Lower, Range};
use thiserror::Error;

/// Entries per rebuild step: one `kv.list` page plus one core call, about 2 ms of work, so a
/// rebuild never holds the object for long.
pub const BUILD_CHUNK_ENTRIES: u32 = 500;

/// Why a store operation was refused. Each one leaves storage unchanged. (Values never reach the
/// core: `STORE_VALUE` and `STORE_VALUE_TOO_LARGE` are raised by the facade, which also owns the
/// value size limit.)
#[derive(Debug, Error)]
pub enum StoreError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("unique index `{index}` already holds the key {index_key} for entry {holder}; entry {entry} was not written")]
    IndexUnique {
        index: String,
        index_key: String,
        holder: String,
        entry: String,
    },
    /// A key function returned something that is not a key for a write (nothing was written).
    #[error("index `{index}`: the key its key function gave entry {entry} is not a key ({source}); nothing was written")]
    IndexKey {
        index: String,
        entry: String,
        source: KeyError,
    },
    /// The build met duplicates (unique index), a bad index key, or a key function that threw;
    /// `code` says which (`INDEX_UNIQUE`, `KEY_TYPE`/`KEY_TOO_LARGE`, `INDEX_KEY_FUNCTION`).
    #[error("index `{index}` could not be built: {reason}; fix the data or the key function, then change the index's `version` (or its key function) to build it again")]
    IndexBuildFailed {
        index: String,
        code: &'static str,
        reason: String,
    },
    #[error("unknown index `{0}`; declare it in `static indexes`")]
    IndexUnknown(String),
    #[error("index `{0}` is still being built; it is ready once `store.ready()` resolves")]
    IndexBuilding(String),
    #[error("static indexes.{index}: {reason}")]
    IndexDefinition { index: String, reason: String },
    #[error("index keys must name every declared index exactly once: {0}")]
    IndexKeys(String),
    #[error("storage error: {0}")]
    Storage(#[from] BackendError),
}

impl ErrorCode for StoreError {
    fn code(&self) -> &'static str {
        match self {
            StoreError::Key(e) => e.code(),
            StoreError::IndexUnique { .. } => "INDEX_UNIQUE",
            StoreError::IndexKey { source, .. } => source.code(),
            StoreError::IndexBuildFailed { code, .. } => code,
            StoreError::IndexUnknown(_) => "INDEX_UNKNOWN",
            StoreError::IndexBuilding(_) => "INDEX_BUILDING",
            StoreError::IndexKeys(_) => "ARGUMENT",
            StoreError::IndexDefinition { .. } => "INDEX_DEFINITION",
            StoreError::Storage(_) => "STORAGE",
        }
    }
}

/// The code of a build failed because a key function threw (the facade runs user code; the
/// core records the failure with this code).
pub const INDEX_KEY_FUNCTION: &str = "INDEX_KEY_FUNCTION";

/// An index as `static indexes` declares it. `source` is the key function's text
/// (`fn.toString()`), `version` the user's own label and `prefix` the key prefix the index covers
/// (`None`: the whole store): a change to any of them, or to `unique`, means a changed index,
/// rebuilt. The text cannot see what a closure captured or a helper does; `version` can.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndexDefinition {
    pub name: String,
    pub unique: bool,
    pub source: String,
    pub version: Option<String>,
    pub prefix: Option<Vec<KeyPart>>,
}

impl IndexDefinition {
    /// Validates the definition: the prefix must be a key.
    fn encoded_prefix(&self, format: KeyFormat) -> Result<Option<String>, StoreError> {
        self.prefix
            .as_deref()
            .map(|prefix| {
                format
                    .encode(prefix)
                    .map_err(|e| StoreError::IndexDefinition {
                        index: self.name.clone(),
                        reason: format!("its prefix is not a key ({e})"),
                    })
            })
            .transpose()
    }

    /// The definition's fingerprint. An index declared without `version` or `prefix` keeps the
    /// fingerprint it had before either existed, so upgrading never rebuilds it.
    fn checksum(&self, encoded_prefix: Option<&str>) -> String {
        let mut text = format!("{}\n{}", self.unique, self.source);
        if let Some(version) = &self.version {
            text.push_str("\nversion:");
            text.push_str(version);
        }
        if let Some(prefix) = encoded_prefix {
            text.push_str("\nprefix:");
            text.push_str(prefix);
        }
        fingerprint(&text)
    }
}

/// Where an index is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexState {
    /// Entries up to `cursor` (an encoded primary key; `None` = none yet) have rows.
    Building {
        cursor: Option<String>,
    },
    Ready,
    /// The build could not finish (duplicates under a unique index, a bad index key, a key
    /// function that threw); not maintained until redefined. `code` is the failure's error code.
    Failed {
        code: &'static str,
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
struct Index {
    name: String,
    unique: bool,
    /// The encoded key prefix the index covers, `None` for the whole store.
    prefix: Option<String>,
    state: IndexState,
}

impl Index {
    /// Whether the entry under the kv key `primary_key` belongs in this index at all.
    fn covers(&self, primary_key: &str) -> bool {
        self.prefix
            .as_deref()
            .is_none_or(|prefix| primary_key.starts_with(prefix))
    }
}

/// The failure codes a build can record; what `_dc_store_indexes.failure_code` holds, read back
/// as the `&'static str` every error code is (a row from before the column existed reads as the
/// code such failures had then).
fn failure_code(stored: Option<&str>) -> &'static str {
    match stored {
        Some("INDEX_KEY_FUNCTION") => INDEX_KEY_FUNCTION,
        Some("KEY_TYPE") => "KEY_TYPE",
        Some("KEY_TOO_LARGE") => "KEY_TOO_LARGE",
        _ => "INDEX_UNIQUE",
    }
}

impl Index {
    fn is_maintained(&self) -> bool {
        !matches!(self.state, IndexState::Failed { .. })
    }
}

/// The next chunk of a rebuild: list `range` from kv, compute `index`'s key for each entry and
/// pass them to [`Store::build_chunk`].
#[derive(Debug, Clone, PartialEq)]
pub struct BuildStep {
    pub index: String,
    pub range: KvRange,
}

/// What one rebuild chunk achieved. A failed build is an outcome, not an error, so that the
/// facade's transaction commits the `failed` state instead of rolling it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    /// More chunks to go: call [`Store::build_step`] again (after yielding).
    Progress,
    Ready,
    /// The index could not be built (a duplicate under a unique index, a bad index key);
    /// queries on it report `INDEX_UNIQUE` with this reason.
    Failed {
        reason: String,
    },
}

/// The key each maintained index gives a value (`None`: the key function returned undefined).
pub type IndexKeys = [(String, Option<Vec<KeyPart>>)];

/// One object's store: its id in the isolate-wide cache, the format of its keys and its indexes.
#[derive(Debug, Clone, PartialEq)]
pub struct Store {
    id: u64,
    format: KeyFormat,
    indexes: Vec<Index>,
}

/// Whether the definitions' table exists: a read-only lookup in `sqlite_master` that cannot fail.
const INDEX_TABLE_EXISTS: &str =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_dc_store_indexes'";
const READ_DEFINITIONS: &str =
    "SELECT name, checksum, is_unique, state, cursor, failure, failure_code FROM _dc_store_indexes";
const WRITE_DEFINITION: &str = "INSERT OR REPLACE INTO _dc_store_indexes \
(name, checksum, is_unique, state, cursor, failure, failure_code) VALUES (?, ?, ?, ?, ?, ?, NULL)";
const SET_STATE: &str =
    "UPDATE _dc_store_indexes SET state = ?, cursor = ?, failure = ?, failure_code = ? WHERE name = ?";

impl Store {
    /// Reconciles the declared indexes with the stored ones, once per wake (inside the
    /// facade's `blockConcurrencyWhile` and a transaction): a new or changed index restarts
    /// building from the first key, a dropped one loses its rows. `id` names this object's
    /// entries in the isolate-wide cache.
    pub fn open(
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        id: u64,
        declared: &[IndexDefinition],
    ) -> Result<Store, StoreError> {
        Store::open_in(db, cache, id, declared, KeyFormat::CURRENT)
    }

    /// [`Store::open`] for an object whose keys are in `format` (see [`format_of`]).
    pub fn open_in(
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        id: u64,
        declared: &[IndexDefinition],
        format: KeyFormat,
    ) -> Result<Store, StoreError> {
        let prefixes = declared
            .iter()
            .map(|definition| definition.encoded_prefix(format))
            .collect::<Result<Vec<_>, _>>()?;
        let checksums: Vec<String> = declared
            .iter()
            .zip(&prefixes)
            .map(|(d, prefix)| d.checksum(prefix.as_deref()))
            .collect();
        // A store that never had an index has no index tables (src/schema.rs creates them for a
        // class that declares indexes): nothing to reconcile. Asked of `sqlite_master` rather
        // than learnt from reading the missing table, because a failed statement costs the
        // platform several times a lookup.
        if declared.is_empty() && db.exec(INDEX_TABLE_EXISTS, &[])?.rows.is_empty() {
            return Ok(Store {
                id,
                format,
                indexes: Vec::new(),
            });
        }
        // A class that declares indexes has the table (src/schema.rs creates it).
        let stored = db.exec(READ_DEFINITIONS, &[])?;
        let mut indexes = Vec::new();
        for row in &stored.rows {
            let [name, checksum, _, state, cursor, failure, code] = row.as_slice() else {
                continue;
            };
            let Some(name) = name.as_str() else { continue };
            let position = declared.iter().position(|d| d.name == name);
            let still_declared = position
                .and_then(|at| checksums.get(at))
                .is_some_and(|expected| checksum.as_str() == Some(expected.as_str()));
            if !still_declared {
                index::delete_index(db, cache, id, name)?;
                db.exec(
                    "DELETE FROM _dc_store_indexes WHERE name = ?",
                    &[name.into()],
                )?;
                continue;
            }
            let state = match state.as_str() {
                Some("ready") => IndexState::Ready,
                Some("failed") => IndexState::Failed {
                    code: failure_code(code.as_str()),
                    reason: failure.as_str().unwrap_or_default().to_owned(),
                },
                _ => IndexState::Building {
                    cursor: cursor.as_str().map(str::to_owned),
                },
            };
            let unique = declared.iter().any(|d| d.name == name && d.unique);
            let prefix = position.and_then(|at| prefixes.get(at).cloned().flatten());
            indexes.push(Index {
                name: name.to_owned(),
                unique,
                prefix,
                state,
            });
        }
        for ((definition, prefix), checksum) in declared.iter().zip(prefixes).zip(checksums) {
            if indexes.iter().any(|i| i.name == definition.name) {
                continue;
            }
            db.exec(
                WRITE_DEFINITION,
                &[
                    definition.name.as_str().into(),
                    checksum.into(),
                    SqlValue::Integer(i64::from(definition.unique)),
                    "building".into(),
                    SqlValue::Null,
                    SqlValue::Null,
                ],
            )?;
            indexes.push(Index {
                name: definition.name.clone(),
                unique: definition.unique,
                prefix,
                state: IndexState::Building { cursor: None },
            });
        }
        Ok(Store {
            id,
            format,
            indexes,
        })
    }

    pub fn id(&self) -> u64 {
        self.id
    }

    pub fn format(&self) -> KeyFormat {
        self.format
    }

    /// `key` encoded in this store's format.
    fn encode(&self, key: &[KeyPart]) -> Result<String, KeyError> {
        self.format.encode(key)
    }

    /// `range` planned over this store's keys.
    fn plan(&self, range: &Range) -> Result<KvRange, KeyError> {
        KvRange::plan_in(range, self.format)
    }

    /// The names of the indexes a write must give keys for (every one not failed).
    pub fn maintained_indexes(&self) -> impl Iterator<Item = &str> {
        self.indexes
            .iter()
            .filter(|i| i.is_maintained())
            .map(|i| i.name.as_str())
    }

    /// Where `name` is in the list of indexes.
    fn position(&self, name: &str) -> Result<usize, StoreError> {
        self.indexes
            .iter()
            .position(|i| i.name == name)
            .ok_or_else(|| StoreError::IndexUnknown(name.to_owned()))
    }

    fn index(&self, name: &str) -> Result<&Index, StoreError> {
        self.indexes
            .iter()
            .find(|i| i.name == name)
            .ok_or_else(|| StoreError::IndexUnknown(name.to_owned()))
    }

    fn ready_index(&self, name: &str) -> Result<&Index, StoreError> {
        let index = self.index(name)?;
        match &index.state {
            IndexState::Ready => Ok(index),
            IndexState::Building { .. } => Err(StoreError::IndexBuilding(name.to_owned())),
            IndexState::Failed { code, reason } => Err(StoreError::IndexBuildFailed {
                index: name.to_owned(),
                code,
                reason: reason.clone(),
            }),
        }
    }

    /// The error of the first index whose build failed, if any: what `store.ready()` rejects
    /// with (a building index is not an error: `ready()` waits for it).
    pub fn first_failure(&self) -> Option<StoreError> {
        self.indexes.iter().find_map(|index| match &index.state {
            IndexState::Failed { code, reason } => Some(StoreError::IndexBuildFailed {
                index: index.name.clone(),
                code,
                reason: reason.clone(),
            }),
            _ => None,
        })
    }

    /// Validates and encodes each index key of the entry `primary_key`; every maintained index
    /// must appear exactly once. An index whose prefix does not cover the entry gets no row,
    /// whatever key was given for it.
    fn encode_index_keys(
        &self,
        primary_key: &str,
        index_keys: &IndexKeys,
    ) -> Result<Vec<(String, Option<String>)>, StoreError> {
        let mut encoded = Vec::with_capacity(index_keys.len());
        for (name, key) in index_keys {
            let index = self.index(name)?;
            if encoded.iter().any(|(seen, _): &(String, _)| seen == name) {
                return Err(StoreError::IndexKeys(format!("`{name}` appears twice")));
            }
            if !index.is_maintained() {
                continue;
            }
            let key = match key.as_deref() {
                Some(key) if index.covers(primary_key) => {
                    Some(self.encode(key).map_err(|source| StoreError::IndexKey {
                        index: name.clone(),
                        entry: describe(primary_key),
                        source,
                    })?)
                }
                _ => None,
            };
            encoded.push((name.clone(), key));
        }
        if let Some(missing) = self
            .maintained_indexes()
            .find(|m| !encoded.iter().any(|(n, _)| n == m))
        {
            return Err(StoreError::IndexKeys(format!(
                "no key given for `{missing}`"
            )));
        }
        Ok(encoded)
    }

    /// Plans and writes the index rows of a put of `key`; returns the kv key to put the value
    /// under. Refuses (writing nothing) a bad key, a bad index key or a unique violation.
    pub fn put(
        &self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        key: &[KeyPart],
        index_keys: &IndexKeys,
    ) -> Result<String, StoreError> {
        let primary_key = self.encode(key)?;
        let wanted = self.encode_index_keys(&primary_key, index_keys)?;
        if wanted.is_empty() {
            return Ok(primary_key);
        }
        let current = index::rows_of(db, &primary_key)?;
        let change = IndexChange::plan(&current, &wanted);
        for row in &change.insert {
            let unique = self.index(&row.index).is_ok_and(|i| i.unique);
            if !unique {
                continue;
            }
            if let Some(holder) = index::other_holder(db, row, &primary_key)? {
                return Err(StoreError::IndexUnique {
                    index: row.index.clone(),
                    index_key: describe(&row.index_key),
                    holder: describe(&holder),
                    entry: describe(&primary_key),
                });
            }
        }
        index::apply(db, cache, self.id, &primary_key, &change)?;
        Ok(primary_key)
    }

    /// Removes the index rows of `key`; returns the kv key to delete.
    pub fn delete(
        &self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        key: &[KeyPart],
    ) -> Result<String, StoreError> {
        let primary_key = self.encode(key)?;
        if !self.indexes.is_empty() {
            index::delete_primary(db, cache, self.id, &primary_key)?;
        }
        Ok(primary_key)
    }

    /// Removes the index rows of every entry from `first` to `last` (encoded kv keys, the first
    /// and last the facade listed for a `deleteRange`), in one statement.
    pub fn delete_span(
        &self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        first: &str,
        last: &str,
    ) -> Result<(), StoreError> {
        if !self.indexes.is_empty() {
            index::delete_span(db, cache, self.id, first, last)?;
        }
        Ok(())
    }

    /// The primary kv keys whose `index` key is `key` (at most one for a unique index), from
    /// the cache when it has them. A miss is remembered only when `fill`: the caller passes
    /// `false` whenever a transaction that wrote index rows may still be open (the answer could
    /// be rolled back; see [`cache`]).
    pub fn index_get(
        &self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        index: &str,
        key: &[KeyPart],
        fill: bool,
    ) -> Result<Vec<String>, StoreError> {
        self.ready_index(index)?;
        let index_key = self.encode(key)?;
        let cache_key = CacheKey::new(self.id, index, &index_key);
        if let Some(hit) = cache.get(&cache_key) {
            return Ok(hit.to_vec());
        }
        let primary_keys = index::lookup(db, index, &index_key)?;
        if fill {
            cache.fill(cache_key, primary_keys.clone());
        }
        Ok(primary_keys)
    }

    /// Forgets the cached lookup of `key` in `index`, so that the next [`Store::index_get`] asks
    /// SQLite. The facade calls it when a cached answer names an entry kv no longer holds: index
    /// rows and entries commit together, so the storage changed behind the store (a raw
    /// `ctx.storage.deleteAll()`), and only SQLite can say how.
    pub fn forget_lookup(
        &self,
        cache: &mut ReadCache,
        index: &str,
        key: &[KeyPart],
    ) -> Result<(), StoreError> {
        cache.invalidate(&CacheKey::new(self.id, index, &self.encode(key)?));
        Ok(())
    }

    /// One page of `index` entries in `range`, resuming after `resume` (see [`index::list`]).
    pub fn index_list(
        &self,
        db: &dyn SqlBackend,
        index: &str,
        range: &Range,
        resume: Option<&IndexEntry>,
    ) -> Result<Vec<IndexEntry>, StoreError> {
        self.ready_index(index)?;
        index::list(db, index, &self.plan(range)?, resume)
    }

    pub fn index_count(
        &self,
        db: &dyn SqlBackend,
        index: &str,
        range: &Range,
    ) -> Result<u64, StoreError> {
        self.ready_index(index)?;
        index::count(db, index, &self.plan(range)?)
    }

    /// The next rebuild chunk, or `None` when every index is ready (or failed).
    pub fn build_step(&self) -> Option<BuildStep> {
        self.indexes.iter().find_map(|index| match &index.state {
            IndexState::Building { cursor } => {
                let mut range = match &index.prefix {
                    Some(prefix) => KvRange::within(prefix),
                    None => self.plan(&Range::default()).ok()?,
                };
                if let Some(cursor) = cursor {
                    range.lower = Lower::Exclusive(cursor.clone());
                }
                range.limit = Some(BUILD_CHUNK_ENTRIES);
                Some(BuildStep {
                    index: index.name.clone(),
                    range,
                })
            }
            _ => None,
        })
    }

    /// Adds the rows of one listed chunk (`entries`: kv key and the index key of its value, in
    /// list order) to a building index; `complete` when the listing returned fewer than asked,
    /// which makes the index ready. A unique conflict or an index key that is not a key
    /// (`KEY_TYPE`, `KEY_TOO_LARGE`) fails the index: its rows are dropped, and queries report
    /// why until the definition changes. Failing instead of refusing keeps a bad key function
    /// from breaking every wake (the build runs inside `blockConcurrencyWhile`).
    pub fn build_chunk(
        &mut self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        index_name: &str,
        entries: &[(String, Option<Vec<KeyPart>>)],
        complete: bool,
    ) -> Result<BuildOutcome, StoreError> {
        let position = self.position(index_name)?;
        let unique = self.indexes.get(position).is_some_and(|i| i.unique);
        let covers = |primary_key: &str| {
            self.indexes
                .get(position)
                .is_some_and(|i| i.covers(primary_key))
        };
        let mut rows = Vec::with_capacity(entries.len());
        for (primary_key, key) in entries {
            decode(primary_key)?;
            if !covers(primary_key) {
                continue;
            }
            if let Some(key) = key {
                let index_key = match self.format.encode(key) {
                    Ok(index_key) => index_key,
                    Err(e) => {
                        let reason = format!(
                            "the key its key function gave entry {} is not a key ({e})",
                            describe(primary_key)
                        );
                        return self.fail_build(db, cache, position, e.code(), reason);
                    }
                };
                rows.push((
                    IndexRow {
                        index: index_name.to_owned(),
                        index_key,
                    },
                    primary_key.as_str(),
                ));
            }
        }
        if unique {
            if let Some(reason) = self.first_conflict(db, &rows)? {
                return self.fail_build(db, cache, position, "INDEX_UNIQUE", reason);
            }
        }
        let borrowed: Vec<(&IndexRow, &str)> = rows.iter().map(|(row, pk)| (row, *pk)).collect();
        index::insert_rows(db, cache, self.id, &borrowed, true)?;
        let cursor = entries.last().map(|(pk, _)| pk.clone());
        let (state, next) = if complete {
            ("ready", IndexState::Ready)
        } else {
            let current = match self.indexes.get(position).map(|i| &i.state) {
                Some(IndexState::Building { cursor: c }) => c.clone(),
                _ => None,
            };
            let cursor = cursor.or(current);
            ("building", IndexState::Building { cursor })
        };
        let cursor_value = match &next {
            IndexState::Building { cursor } => SqlValue::from(cursor.clone()),
            _ => SqlValue::Null,
        };
        db.exec(
            SET_STATE,
            &[
                state.into(),
                cursor_value,
                SqlValue::Null,
                SqlValue::Null,
                index_name.into(),
            ],
        )?;
        let outcome = if next == IndexState::Ready {
            BuildOutcome::Ready
        } else {
            BuildOutcome::Progress
        };
        if let Some(index) = self.indexes.get_mut(position) {
            index.state = next;
        }
        Ok(outcome)
    }

    /// Fails a building index because its key function threw for the entry `primary_key` (`code`
    /// `INDEX_KEY_FUNCTION`), or gave a key the facade refused before it crossed (`KEY_TOO_LARGE`):
    /// the facade runs user code, the core only records why. Returns the reason queries report.
    pub fn fail_index(
        &mut self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        index_name: &str,
        primary_key: &str,
        why: &str,
        code: &str,
    ) -> Result<String, StoreError> {
        let position = self.position(index_name)?;
        let code = failure_code(Some(code));
        let reason = if code == INDEX_KEY_FUNCTION {
            format!(
                "its key function threw for entry {}: {why}",
                describe(primary_key)
            )
        } else {
            format!("for entry {}: {why}", describe(primary_key))
        };
        self.fail_build(db, cache, position, code, reason.clone())?;
        Ok(reason)
    }

    /// A duplicate among `rows` or against rows already in the table, described for the user.
    fn first_conflict(
        &self,
        db: &dyn SqlBackend,
        rows: &[(IndexRow, &str)],
    ) -> Result<Option<String>, StoreError> {
        let mut seen: std::collections::HashMap<&str, &str> = std::collections::HashMap::new();
        for (row, primary_key) in rows {
            let holder = match seen.insert(&row.index_key, primary_key) {
                Some(other) => Some(other.to_owned()),
                None => index::other_holder(db, row, primary_key)?,
            };
            if let Some(other) = holder {
                return Ok(Some(format!(
                    "entries {} and {} have the same key {}",
                    describe(&other),
                    describe(primary_key),
                    describe(&row.index_key)
                )));
            }
        }
        Ok(None)
    }

    fn fail_build(
        &mut self,
        db: &dyn SqlBackend,
        cache: &mut ReadCache,
        position: usize,
        code: &'static str,
        reason: String,
    ) -> Result<BuildOutcome, StoreError> {
        let Some(index) = self.indexes.get_mut(position) else {
            return Ok(BuildOutcome::Progress);
        };
        index::delete_index(db, cache, self.id, &index.name)?;
        db.exec(
            SET_STATE,
            &[
                "failed".into(),
                SqlValue::Null,
                reason.as_str().into(),
                code.into(),
                index.name.as_str().into(),
            ],
        )?;
        index.state = IndexState::Failed {
            code,
            reason: reason.clone(),
        };
        Ok(BuildOutcome::Failed { reason })
    }
}

/// A stored key as the user would write it (a JavaScript literal), for error messages.
fn describe(encoded: &str) -> String {
    decode(encoded).map_or_else(|_| format!("{encoded:?}"), |parts| js_literal(&parts))
}
