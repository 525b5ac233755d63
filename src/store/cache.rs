//! The store's read cache: one byte budget for every object in the isolate (the binding keeps a
//! single instance), least recently used entries evicted first.
//!
//! What it caches is index point lookups (`index(name).get(key)` → primary keys): those cost a
//! `sql.exec` select (≈ 3.9 µs) that a hit replaces with a hash lookup inside the call the
//! facade makes anyway. Primary values are *not* cached here: `ctx.storage.kv.get` (≈ 1.7 µs,
//! deserialization included) already returns a ready JS value, while a wasm-side copy would
//! have to be serialized on every put and deserialized on every hit, which leaves no margin.
//!
//! Coherence: every index write goes through the core, which [`ReadCache::invalidate`]s the
//! lookups it touches before writing. A lookup may only be *added* when no transaction that
//! wrote index rows can still be open: the caller decides (`fill` of `Store::index_get`; the
//! facade stops filling for the rest of the synchronous turn of any index write, since every
//! `transactionSync` around that write ends within the turn). So a rolled-back transaction can
//! only have removed entries, never left a stale one. Dropping the cache (or any entry) at any
//! time is always safe: SQLite stays the source of truth.
//!
//! This module never reads storage itself.

use std::collections::BTreeMap;

use crate::hashing::{SeededMap, SeededState};

/// The default isolate-wide budget: 8 MiB of the isolate's 128 MB.
pub const DEFAULT_BUDGET_BYTES: usize = 8 * 1024 * 1024;

/// Bookkeeping bytes charged per entry on top of its strings: the map's slot (two `String`s and
/// a `Vec` header), the recency links, the allocator's headers and the slack of growing tables.
/// Set from the wasm memory an entry really costs in workerd (S7, docs/reports/wasm-size.md), so
/// that the budget bounds memory rather than a lower estimate of it.
const ENTRY_OVERHEAD_BYTES: usize = 224;

/// What a cached entry answers: one index key of one index of one object's store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CacheKey {
    pub store: u64,
    pub index: String,
    pub index_key: String,
}

impl CacheKey {
    pub fn new(store: u64, index: &str, index_key: &str) -> Self {
        CacheKey {
            store,
            index: index.to_owned(),
            index_key: index_key.to_owned(),
        }
    }

    fn cost(&self, primary_keys: &[String]) -> usize {
        ENTRY_OVERHEAD_BYTES
            + self.index.len()
            + self.index_key.len()
            + primary_keys.iter().map(|k| k.len() + 24).sum::<usize>()
    }
}

struct Entry {
    primary_keys: Vec<String>,
    cost: usize,
    last_used: u64,
}

/// A byte-bounded LRU map from index lookups to the primary keys they found.
pub struct ReadCache {
    budget_bytes: usize,
    used_bytes: usize,
    clock: u64,
    /// Keyed by index keys users choose: hashed with a secret seed (see `crate::hashing`).
    entries: SeededMap<CacheKey, Entry>,
    by_age: BTreeMap<u64, CacheKey>,
}

#[cfg(not(target_arch = "wasm32"))]
impl Default for ReadCache {
    fn default() -> Self {
        ReadCache::new(DEFAULT_BUDGET_BYTES)
    }
}

impl ReadCache {
    #[cfg(not(target_arch = "wasm32"))]
    pub fn new(budget_bytes: usize) -> Self {
        ReadCache::with_hasher(budget_bytes, SeededState::default())
    }

    pub fn with_hasher(budget_bytes: usize, hasher: SeededState) -> Self {
        ReadCache {
            budget_bytes,
            used_bytes: 0,
            clock: 0,
            entries: SeededMap::with_hasher(hasher),
            by_age: BTreeMap::new(),
        }
    }

    pub fn used_bytes(&self) -> usize {
        self.used_bytes
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The cached primary keys for `key`, marking it recently used.
    pub fn get(&mut self, key: &CacheKey) -> Option<&[String]> {
        self.clock += 1;
        let clock = self.clock;
        let entry = self.entries.get_mut(key)?;
        self.by_age.remove(&entry.last_used);
        entry.last_used = clock;
        self.by_age.insert(clock, key.clone());
        Some(&entry.primary_keys)
    }

    /// Remembers a lookup's answer, unless the entry alone exceeds the budget. Evicts least
    /// recently used entries to stay within the budget.
    pub fn fill(&mut self, key: CacheKey, primary_keys: Vec<String>) {
        let cost = key.cost(&primary_keys);
        if cost > self.budget_bytes {
            return;
        }
        self.invalidate(&key);
        while self.used_bytes + cost > self.budget_bytes {
            let Some((_, oldest)) = self.by_age.pop_first() else {
                break;
            };
            if let Some(evicted) = self.entries.remove(&oldest) {
                self.used_bytes -= evicted.cost;
            }
        }
        self.clock += 1;
        self.by_age.insert(self.clock, key.clone());
        self.entries.insert(
            key,
            Entry {
                primary_keys,
                cost,
                last_used: self.clock,
            },
        );
        self.used_bytes += cost;
    }

    /// Forgets one lookup; called before every index write that touches it.
    pub fn invalidate(&mut self, key: &CacheKey) {
        if let Some(entry) = self.entries.remove(key) {
            self.by_age.remove(&entry.last_used);
            self.used_bytes -= entry.cost;
        }
    }

    /// Forgets every lookup of one store, or of one of its indexes (rebuilds, dropped indexes,
    /// a freed handle).
    pub fn invalidate_store(&mut self, store: u64, index: Option<&str>) {
        let doomed: Vec<CacheKey> = self
            .entries
            .keys()
            .filter(|k| k.store == store && index.is_none_or(|name| k.index == name))
            .cloned()
            .collect();
        doomed.iter().for_each(|k| self.invalidate(k));
    }

    pub fn clear(&mut self) {
        self.entries.clear();
        self.by_age.clear();
        self.used_bytes = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(store: u64, index_key: &str) -> CacheKey {
        CacheKey::new(store, "byEmail", index_key)
    }

    #[test]
    fn evicts_least_recently_used_within_the_budget() {
        let one = key(1, "a").cost(&["p".into()]);
        let mut cache = ReadCache::new(one * 2);
        cache.fill(key(1, "a"), vec!["p".into()]);
        cache.fill(key(1, "b"), vec!["p".into()]);
        assert!(cache.get(&key(1, "a")).is_some());
        cache.fill(key(1, "c"), vec!["p".into()]);
        assert!(
            cache.get(&key(1, "b")).is_none(),
            "b was least recently used"
        );
        assert!(cache.get(&key(1, "a")).is_some());
        assert!(cache.used_bytes() <= one * 2);
    }

    #[test]
    fn invalidation_per_store() {
        let mut cache = ReadCache::default();
        cache.fill(key(1, "a"), vec![]);
        cache.fill(key(2, "a"), vec![]);
        cache.invalidate_store(1, None);
        assert_eq!(cache.len(), 1);
        assert!(cache.get(&key(2, "a")).is_some());
        cache.clear();
        assert_eq!(cache.used_bytes(), 0);
    }
}
