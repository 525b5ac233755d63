//! `this.store` bindings: `Engine.storeXxx` methods, one crossing per operation.
//!
//! Keys cross as JS values (a key part or an array of them) and are converted here; encoded
//! keys cross back as strings, ready for `ctx.storage.kv`. The isolate-wide index-lookup cache
//! lives here, shared by every handle (DESIGN rule 4); each handle's store has its own id in it.

use super::backend::JsSqlBackend;
use super::engine::Engine;
use super::interop::argument_error;
use crate::error::Error;
use crate::store::cache::ReadCache;
use crate::store::{
    decode, format_of, BigIntKey, BuildOutcome, IndexDefinition, IndexEntry, KeyError, KeyFormat,
    KeyPart, KvRange, Lower, Range, Store, StoreError, MAX_KEY_DEPTH,
};
use js_sys::{Array, Reflect, Uint8Array};
use serde::Serialize;
use std::cell::{Cell, RefCell};
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

thread_local! {
    static CACHE: RefCell<ReadCache> =
        RefCell::new(ReadCache::with_hasher(crate::store::cache::DEFAULT_BUDGET_BYTES, super::engine::isolate_hasher()));
    static NEXT_STORE_ID: Cell<u64> = const { Cell::new(1) };
}

/// Bytes the isolate-wide read cache holds now (`engineStats().readCacheBytes`).
#[wasm_bindgen(js_name = readCacheBytes)]
pub fn read_cache_bytes() -> f64 {
    with_cache(|cache| cache.used_bytes() as f64)
}

fn with_cache<T>(f: impl FnOnce(&mut ReadCache) -> T) -> T {
    CACHE.with(|cache| f(&mut cache.borrow_mut()))
}

fn not_opened() -> Error {
    argument_error("store", &"storeOpen must run before any other store call")
}

fn key_error(e: KeyError) -> Error {
    StoreError::from(e).into()
}

/// A JS key (a part, or an array of parts) as the core's tuple.
fn key_from_js(key: &JsValue) -> Result<Vec<KeyPart>, Error> {
    match key.dyn_ref::<Array>() {
        Some(parts) => parts
            .iter()
            .map(|p| part_from_js(&p, 0))
            .collect::<Result<_, _>>()
            .map_err(key_error),
        None => Ok(vec![part_from_js(key, 0).map_err(key_error)?]),
    }
}

fn part_from_js(value: &JsValue, depth: usize) -> Result<KeyPart, KeyError> {
    if let Some(text) = value.as_string() {
        // The UTF-8 conversion turns a lone surrogate into U+FFFD, which would merge distinct
        // keys: only a string showing U+FFFD pays for the exact check.
        if text.contains('\u{fffd}')
            && !js_sys::JsString::unchecked_from_js_ref(value).is_valid_utf16()
        {
            return Err(KeyError::Type(
                "a string with a lone surrogate (not well-formed UTF-16)".into(),
            ));
        }
        return Ok(KeyPart::String(text));
    }
    if let Some(number) = value.as_f64() {
        return Ok(KeyPart::Number(number));
    }
    if value.is_null() {
        return Ok(KeyPart::Null);
    }
    if let Some(flag) = value.as_bool() {
        return Ok(KeyPart::Bool(flag));
    }
    if value.is_bigint() {
        let hex = js_sys::BigInt::unchecked_from_js_ref(value)
            .to_string(16)
            .map_err(|_| KeyError::Type("unreadable bigint".into()))?;
        return BigIntKey::from_hex(&String::from(hex)).map(KeyPart::BigInt);
    }
    if let Some(bytes) = value.dyn_ref::<Uint8Array>() {
        return Ok(KeyPart::Bytes(bytes.to_vec()));
    }
    if let Some(items) = value.dyn_ref::<Array>() {
        if depth >= MAX_KEY_DEPTH {
            return Err(KeyError::Type(format!(
                "tuples nested deeper than {MAX_KEY_DEPTH}"
            )));
        }
        let parts = items
            .iter()
            .map(|item| part_from_js(&item, depth + 1))
            .collect::<Result<Vec<_>, _>>()?;
        return Ok(KeyPart::Tuple(parts));
    }
    let kind = if value.is_undefined() {
        "undefined".to_owned()
    } else {
        value.js_typeof().as_string().unwrap_or_default()
    };
    Err(KeyError::Type(format!("a key part cannot be {kind}")))
}

fn part_to_js(part: &KeyPart) -> JsValue {
    match part {
        KeyPart::Null => JsValue::NULL,
        KeyPart::Bool(flag) => JsValue::from_bool(*flag),
        KeyPart::Number(number) => JsValue::from_f64(*number),
        KeyPart::BigInt(big) => {
            let magnitude = big.to_hex();
            let digits = magnitude.trim_start_matches('-');
            let value = js_sys::BigInt::new(&JsValue::from_str(&format!("0x{digits}")))
                .unwrap_or_else(|_| js_sys::BigInt::from(0u32));
            if big.is_negative() {
                (-value).into()
            } else {
                value.into()
            }
        }
        KeyPart::String(text) => JsValue::from_str(text),
        KeyPart::Bytes(bytes) => Uint8Array::from(bytes.as_slice()).into(),
        KeyPart::Tuple(items) => items.iter().map(part_to_js).collect::<Array>().into(),
    }
}

fn optional_key(range: &JsValue, field: &str) -> Result<Option<Vec<KeyPart>>, Error> {
    let value = Reflect::get(range, &JsValue::from_str(field)).unwrap_or(JsValue::UNDEFINED);
    if value.is_undefined() {
        Ok(None)
    } else {
        key_from_js(&value).map(Some)
    }
}

/// A `{ prefix, start, startAfter, end, reverse, limit }` object as a core range.
fn range_from_js(range: &JsValue) -> Result<Range, Error> {
    if range.is_undefined() || range.is_null() {
        return Ok(Range::default());
    }
    let limit = Reflect::get(range, &JsValue::from_str("limit")).unwrap_or(JsValue::UNDEFINED);
    let limit = if limit.is_undefined() {
        None
    } else {
        match limit.as_f64() {
            Some(n) if n >= 0.0 && n.fract() == 0.0 => Some(if n > f64::from(u32::MAX) {
                u32::MAX
            } else {
                n as u32
            }),
            _ => return Err(argument_error("limit", &"must be a whole number ≥ 0")),
        }
    };
    Ok(Range {
        prefix: optional_key(range, "prefix")?,
        start: optional_key(range, "start")?,
        start_after: optional_key(range, "startAfter")?,
        end: optional_key(range, "end")?,
        reverse: Reflect::get(range, &JsValue::from_str("reverse"))
            .ok()
            .and_then(|r| r.as_bool())
            .unwrap_or(false),
        limit,
    })
}

/// `ctx.storage.kv.list` options: one lower bound (`start` or `startAfter`), an exclusive `end`.
#[derive(Debug, Clone, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct KvListOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub start: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub start_after: Option<String>,
    pub end: String,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    #[tsify(optional)]
    pub reverse: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[tsify(optional)]
    pub limit: Option<u32>,
}

impl KvListOptions {
    /// A planned range as list options, or `None` when nothing can match.
    fn of(plan: &KvRange) -> Option<KvListOptions> {
        if plan.is_empty() {
            return None;
        }
        let (start, start_after) = match &plan.lower {
            Lower::Inclusive(key) => (Some(key.clone()), None),
            Lower::Exclusive(key) => (None, Some(key.clone())),
        };
        Some(KvListOptions {
            start,
            start_after,
            end: plan.end.clone(),
            reverse: plan.reverse,
            limit: plan.limit,
        })
    }
}

/// The next chunk of an index build: list `options` (at most `limit` entries) and key each value.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct BuildStep {
    pub index: String,
    /// `undefined` when the range is empty (nothing left to list).
    #[tsify(optional)]
    pub options: Option<KvListOptions>,
    pub limit: u32,
}

/// One page of an index listing, in index key then primary key order.
#[derive(Debug, Clone, Serialize, Tsify)]
#[serde(rename_all = "camelCase")]
pub struct IndexPageEntry {
    pub index_key: String,
    pub primary_key: String,
}

#[derive(Debug, Clone, Serialize, Tsify)]
pub struct IndexPage {
    pub entries: Vec<IndexPageEntry>,
}

fn to_ts<T: Serialize + Tsify>(value: &T, what: &'static str) -> Result<Ts<T>, Error> {
    Ts::from_rust(value).map_err(|e| argument_error(what, &e))
}

/// The key format the facade names by its version number (1 or 2).
fn key_format(version: u8) -> Result<KeyFormat, Error> {
    KeyFormat::from_version(version)
        .ok_or_else(|| argument_error("format", &format!("unknown key format {version}")))
}

fn definitions_from_js(indexes: &Array) -> Result<Vec<IndexDefinition>, Error> {
    indexes
        .iter()
        .map(|def| {
            let field = |name: &str| {
                Reflect::get(&def, &JsValue::from_str(name)).unwrap_or(JsValue::UNDEFINED)
            };
            let name = field("name")
                .as_string()
                .ok_or_else(|| argument_error("indexes", &"each index needs a name"))?;
            let prefix = field("prefix");
            Ok(IndexDefinition {
                name,
                unique: field("unique").as_bool().unwrap_or(false),
                source: field("source").as_string().unwrap_or_default(),
                version: field("version").as_string(),
                prefix: if prefix.is_undefined() {
                    None
                } else {
                    Some(key_from_js(&prefix)?)
                },
            })
        })
        .collect()
}

/// One maintained index's key for a value (`None`: the key function returned undefined).
type IndexKey = (String, Option<Vec<KeyPart>>);

impl Engine {
    fn opened_store(&self) -> Result<&Store, Error> {
        self.store.as_ref().ok_or_else(not_opened)
    }

    /// The backend and the store, borrowed apart for the calls that change the store's state.
    fn opened_store_mut(&mut self) -> Result<(&JsSqlBackend, &mut Store), Error> {
        Ok((&self.db, self.store.as_mut().ok_or_else(not_opened)?))
    }

    /// Index keys aligned with `storeMaintained()` (undefined = the key function skipped it).
    fn index_keys(&self, keys: &Array) -> Result<Vec<IndexKey>, Error> {
        let store = self.opened_store()?;
        store
            .maintained_indexes()
            .zip(keys.iter().chain(std::iter::repeat(JsValue::UNDEFINED)))
            .map(|(name, key)| {
                let key = if key.is_undefined() {
                    None
                } else {
                    Some(key_from_js(&key)?)
                };
                Ok((name.to_owned(), key))
            })
            .collect()
    }
}

#[wasm_bindgen]
impl Engine {
    /// Reconciles `static indexes` (`[{ name, unique, source }]`) with the stored definitions.
    /// Run inside `transactionSync`, once per handle. Returns whether a build is pending.
    #[wasm_bindgen(js_name = storeOpen)]
    pub fn store_open(&mut self, indexes: Array, format: u8) -> Result<bool, Error> {
        let declared = definitions_from_js(&indexes)?;
        let format = key_format(format)?;
        let id = NEXT_STORE_ID.with(|next| {
            let id = next.get();
            next.set(id.wrapping_add(1));
            id
        });
        let store = with_cache(|cache| Store::open_in(&self.db, cache, id, &declared, format))?;
        let pending = store.build_step().is_some();
        self.store = Some(store);
        Ok(pending)
    }

    /// Throws the error of the first index whose build failed (what `store.ready()` rejects
    /// with); returns when every index is ready or still building.
    #[wasm_bindgen(js_name = storeFailure)]
    pub fn store_failure(&self) -> Result<(), Error> {
        match self.opened_store()?.first_failure() {
            Some(failure) => Err(failure.into()),
            None => Ok(()),
        }
    }

    /// The names of the indexes whose keys `storePut` expects, in order.
    #[wasm_bindgen(js_name = storeMaintained)]
    pub fn store_maintained(&self) -> Result<Vec<String>, Error> {
        Ok(self
            .opened_store()?
            .maintained_indexes()
            .map(str::to_owned)
            .collect())
    }

    /// The key format (its version) of an object whose first store key in kv order is
    /// `first_key`: the format that key was written in, or the current one for an object with no
    /// store key (`undefined`) or an unreadable one.
    #[wasm_bindgen(js_name = storeFormat)]
    pub fn store_format(first_key: Option<String>) -> u8 {
        first_key
            .as_deref()
            .and_then(format_of)
            .unwrap_or(KeyFormat::CURRENT)
            .version()
    }

    /// The kv key of `key` in the key format `format` (for get, has, getMany).
    #[wasm_bindgen(js_name = storeEncode)]
    pub fn store_encode(key: JsValue, format: u8) -> Result<String, Error> {
        key_format(format)?
            .encode(&key_from_js(&key)?)
            .map_err(key_error)
    }

    /// The key a kv key stands for, as a JS array.
    #[wasm_bindgen(js_name = storeDecode)]
    pub fn store_decode(kv_key: &str) -> Result<Array, Error> {
        let parts = decode(kv_key).map_err(key_error)?;
        Ok(parts.iter().map(part_to_js).collect())
    }

    /// Validates `key` and the index keys of its new value, checks unique indexes, writes the
    /// index rows and returns the kv key to put the value under. Run in `transactionSync`
    /// together with the `kv.put`.
    #[wasm_bindgen(js_name = storePut)]
    pub fn store_put(&self, key: JsValue, index_keys: Array) -> Result<String, Error> {
        let key = key_from_js(&key)?;
        let index_keys = self.index_keys(&index_keys)?;
        let store = self.opened_store()?;
        Ok(with_cache(|cache| {
            store.put(&self.db, cache, &key, &index_keys)
        })?)
    }

    /// Removes the index rows of `key` and returns its kv key. Run in `transactionSync` with the
    /// `kv.delete`.
    #[wasm_bindgen(js_name = storeDelete)]
    pub fn store_delete(&self, key: JsValue) -> Result<String, Error> {
        let key = key_from_js(&key)?;
        let store = self.opened_store()?;
        Ok(with_cache(|cache| store.delete(&self.db, cache, &key))?)
    }

    /// Removes the index rows of the entries from `first` to `last` (kv keys, inclusive).
    #[wasm_bindgen(js_name = storeDeleteSpan)]
    pub fn store_delete_span(&self, first: &str, last: &str) -> Result<(), Error> {
        let store = self.opened_store()?;
        Ok(with_cache(|cache| {
            store.delete_span(&self.db, cache, first, last)
        })?)
    }

    /// `kv.list` options for a range over keys of `format`, or `undefined` when nothing can match.
    #[wasm_bindgen(js_name = storeRange)]
    pub fn store_range(range: JsValue, format: u8) -> Result<Option<Ts<KvListOptions>>, Error> {
        let plan =
            KvRange::plan_in(&range_from_js(&range)?, key_format(format)?).map_err(key_error)?;
        KvListOptions::of(&plan)
            .map(|options| to_ts(&options, "range"))
            .transpose()
    }

    /// The kv keys of the entries whose `index` key is `key`. `fill`: whether a miss may be
    /// cached (false while a transaction that wrote index rows may still roll back).
    #[wasm_bindgen(js_name = storeIndexGet)]
    pub fn store_index_get(
        &self,
        index: &str,
        key: JsValue,
        fill: bool,
    ) -> Result<Vec<String>, Error> {
        let key = key_from_js(&key)?;
        let store = self.opened_store()?;
        Ok(with_cache(|cache| {
            store.index_get(&self.db, cache, index, &key, fill)
        })?)
    }

    /// Forgets the cached lookup of `key` in `index` (a cached answer named an entry kv no
    /// longer holds): the next `storeIndexGet` asks SQLite.
    #[wasm_bindgen(js_name = storeIndexForget)]
    pub fn store_index_forget(&self, index: &str, key: JsValue) -> Result<(), Error> {
        let key = key_from_js(&key)?;
        let store = self.opened_store()?;
        Ok(with_cache(|cache| store.forget_lookup(cache, index, &key))?)
    }

    /// One page of index entries, resuming after the entry `(resumeIndexKey, resumePrimaryKey)`
    /// when given.
    #[wasm_bindgen(js_name = storeIndexList)]
    pub fn store_index_list(
        &self,
        index: &str,
        range: JsValue,
        resume_index_key: Option<String>,
        resume_primary_key: Option<String>,
    ) -> Result<Ts<IndexPage>, Error> {
        let range = range_from_js(&range)?;
        let resume = match (resume_index_key, resume_primary_key) {
            (Some(index_key), Some(primary_key)) => Some(IndexEntry {
                index_key,
                primary_key,
            }),
            _ => None,
        };
        let entries = self
            .opened_store()?
            .index_list(&self.db, index, &range, resume.as_ref())?;
        let entries = entries
            .into_iter()
            .map(|e| IndexPageEntry {
                index_key: e.index_key,
                primary_key: e.primary_key,
            })
            .collect();
        to_ts(&IndexPage { entries }, "index page")
    }

    #[wasm_bindgen(js_name = storeIndexCount)]
    pub fn store_index_count(&self, index: &str, range: JsValue) -> Result<f64, Error> {
        let range = range_from_js(&range)?;
        let count = self.opened_store()?.index_count(&self.db, index, &range)?;
        Ok(count as f64)
    }

    /// The next rebuild chunk, or `undefined` when every index is built.
    #[wasm_bindgen(js_name = storeBuildStep)]
    pub fn store_build_step(&self) -> Result<Option<Ts<BuildStep>>, Error> {
        let Some(step) = self.opened_store()?.build_step() else {
            return Ok(None);
        };
        let limit = step.range.limit.unwrap_or(0);
        to_ts(
            &BuildStep {
                index: step.index,
                options: KvListOptions::of(&step.range),
                limit,
            },
            "build step",
        )
        .map(Some)
    }

    /// Adds one listed chunk (kv keys and the index key of each value, undefined = skipped) to
    /// a building index. Returns the failure reason when the build failed (a duplicate under a
    /// unique index, an index key that is not a key).
    #[wasm_bindgen(js_name = storeBuildChunk)]
    pub fn store_build_chunk(
        &mut self,
        index: &str,
        kv_keys: Vec<String>,
        keys: Array,
        complete: bool,
    ) -> Result<Option<String>, Error> {
        let entries = kv_keys
            .into_iter()
            .zip(keys.iter())
            .map(|(kv_key, key)| {
                let key = if key.is_undefined() {
                    None
                } else {
                    Some(key_from_js(&key)?)
                };
                Ok((kv_key, key))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        let (db, store) = self.opened_store_mut()?;
        let outcome = with_cache(|cache| store.build_chunk(db, cache, index, &entries, complete))?;
        Ok(match outcome {
            BuildOutcome::Failed { reason } => Some(reason),
            BuildOutcome::Progress | BuildOutcome::Ready => None,
        })
    }

    /// Fails a building index whose key function threw (`why`, `code` `INDEX_KEY_FUNCTION`) or
    /// gave a key too large to cross (`KEY_TOO_LARGE`) for the entry `kvKey`; returns the reason
    /// its queries will report. Run in `transactionSync`.
    #[wasm_bindgen(js_name = storeBuildFail)]
    pub fn store_build_fail(
        &mut self,
        index: &str,
        kv_key: &str,
        why: &str,
        code: &str,
    ) -> Result<String, Error> {
        let (db, store) = self.opened_store_mut()?;
        Ok(with_cache(|cache| {
            store.fail_index(db, cache, index, kv_key, why, code)
        })?)
    }
}
