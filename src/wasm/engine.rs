//! `Engine`: the per-object handle. It owns the object's backend and every capability's
//! in-memory cache; all of it can be dropped at any moment and rebuilt from SQLite (and, for
//! sockets, from `ctx.getWebSockets()`).
//!
//! Lifetime: the facade frees a handle explicitly (`free()`) when it replaces it, and keeps the
//! handles of an isolate within a byte budget, measured with [`Engine::heap_bytes`] (see
//! `pkg-template/src/engine-pool.ts`); FinalizationRegistry is off by default in Workers, so nothing
//! here relies on garbage collection.

use super::backend::{JsSqlBackend, SqlStorage};
use super::interop::{argument_error, from_ts};
use crate::error::Error;
use crate::hashing::SeededState;
use crate::schema::{self, Ledger, Migration, STORE_SCOPE, USER_SCOPE};
use serde::Serialize;
use std::cell::Cell;
use tsify::{Ts, Tsify};
use wasm_bindgen::prelude::*;

thread_local! {
    static LIVE_ENGINES: Cell<u32> = const { Cell::new(0) };
    /// The hash seed of the isolate-wide tables (the store's read cache): the first handle's.
    static ISOLATE_HASHER: Cell<Option<SeededState>> = const { Cell::new(None) };
}

/// The seed of isolate-wide hash tables. Every such table is first used through a handle, so
/// the first handle's seed is always there; the fallback (from the same random source) only
/// keeps this total.
pub(crate) fn isolate_hasher() -> SeededState {
    ISOLATE_HASHER.with(Cell::get).unwrap_or_else(|| {
        let mut words = [0u32; 4];
        super::scheduler::get_random_values(&mut words);
        SeededState::from_words(&words)
    })
}

/// A user migration as the facade passes it: `static migrations` entries, normalised.
#[derive(Debug, Clone, Tsify)]
pub struct MigrationSource {
    pub name: Option<String>,
    pub sql: String,
}

/// One migration still to apply, in order.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct MigrationStep {
    pub scope: String,
    pub version: u32,
}

/// Every migration still to apply this wake, core scopes first.
#[derive(Debug, Clone, Serialize, Tsify)]
pub struct MigrationPlan {
    pub steps: Vec<MigrationStep>,
    /// durable-core's scopes whose tables exist (current once `steps` are applied); any other
    /// core scope gets its tables at its capability's first use (`ensureCoreScope`).
    pub present: Vec<String>,
    /// Whether the ledger table existed (an object that never recorded a migration has none).
    pub ledger: bool,
}

/// The per-object handle.
#[wasm_bindgen]
pub struct Engine {
    pub(crate) db: JsSqlBackend,
    pub(crate) fanout: crate::fanout::FanoutIndex,
    pub(crate) scheduler: crate::scheduler::Scheduler,
    /// `None` until the facade opens the store with its index definitions (`storeOpen`).
    pub(crate) store: Option<crate::store::Store>,
    ledger: Ledger,
    user_migrations: Vec<Migration>,
    /// Steps of the last plan not applied yet: the migrations' text is dropped once none is left.
    pending_migrations: usize,
    /// What the last `schedulerSchedule` wrote besides the id: its due time, attempts and alarm
    /// code, read by `schedulerScheduled` (numbers cross one by one, not as an object).
    pub(crate) scheduled: [f64; 3],
}

#[wasm_bindgen]
impl Engine {
    /// A handle over the object's `ctx.storage.sql`. Reads nothing yet. `seed` is 128 random
    /// bits (`crypto.getRandomValues(new Uint32Array(4))`) that key its hash tables.
    #[wasm_bindgen(constructor)]
    pub fn new(sql: SqlStorage, seed: &[u32]) -> Engine {
        LIVE_ENGINES.with(|n| n.set(n.get().saturating_add(1)));
        let hasher = SeededState::from_words(seed);
        ISOLATE_HASHER.with(|isolate| {
            if isolate.get().is_none() {
                isolate.set(Some(hasher));
            }
        });
        Engine {
            db: JsSqlBackend::new(sql),
            ledger: Ledger::default(),
            user_migrations: Vec::new(),
            pending_migrations: 0,
            scheduled: [0.0; 3],
            fanout: crate::fanout::FanoutIndex::new(None, hasher),
            scheduler: crate::scheduler::Scheduler::with_hasher(
                super::scheduler::random_seed(),
                hasher,
            ),
            store: None,
        }
    }

    /// Reads the ledger (one statement, which writes nothing) and returns what is still to
    /// apply: the missing migrations of durable-core's scopes that have tables, then the user's.
    /// Fails with `MIGRATION_CHANGED`/`MIGRATION_MISSING` when the declared user migrations no
    /// longer match the ledger.
    ///
    /// `indexes`: the class declares `static indexes`, so the store's tables are part of the
    /// plan even on an object that has none yet (its indexes are built at the wake).
    ///
    /// The ledger is read after asking `sqlite_master` whether it exists
    /// ([`schema::read_ledger_looked_up`]), so no statement fails at a wake: a failed statement
    /// becomes a JS exception that crosses back into the wasm, which made the wake of an object
    /// without a ledger (a class with nothing declared, or whose capabilities were never used)
    /// cost about 2.5× the lookup's (S6W). An object with a ledger runs one read-only statement
    /// more.
    #[wasm_bindgen(js_name = planMigrations)]
    pub fn plan_migrations(
        &mut self,
        user: Vec<Ts<MigrationSource>>,
        indexes: Option<bool>,
    ) -> Result<Ts<MigrationPlan>, Error> {
        self.user_migrations = user
            .iter()
            .map(|m| {
                let m = from_ts(m, "migrations")?;
                Ok(Migration {
                    name: m.name,
                    sql: m.sql,
                })
            })
            .collect::<Result<_, Error>>()?;
        self.ledger = schema::read_ledger_looked_up(&self.db)?;
        let mut steps = Vec::new();
        let mut present = Vec::new();
        // A scope with no ledger rows has no tables: nothing of it is planned, or even copied
        // (a fresh object's wake looks at no core migration text).
        for scope in schema::core_scopes() {
            let declared = scope == STORE_SCOPE && indexes == Some(true);
            if !declared && !self.ledger.has_scope(scope) {
                continue;
            }
            let migrations = schema::core_scope(scope).unwrap_or_default();
            present.push(scope.to_owned());
            let pending = self.ledger.pending(scope, &migrations)?;
            steps.extend(pending.into_iter().map(|version| MigrationStep {
                scope: scope.to_owned(),
                version,
            }));
        }
        let pending = self.ledger.pending(USER_SCOPE, &self.user_migrations)?;
        steps.extend(pending.into_iter().map(|version| MigrationStep {
            scope: USER_SCOPE.to_owned(),
            version,
        }));
        self.pending_migrations = steps.len();
        let ledger = self.ledger.exists();
        self.release_migrations_when_done();
        Ts::from_rust(&MigrationPlan {
            steps,
            present,
            ledger,
        })
        .map_err(|e| argument_error("plan", &e))
    }

    /// Creates the tables of one of durable-core's scopes (`core:scheduler`), or brings them
    /// up to date, at its capability's first use; returns how many migrations it applied (0 when
    /// the tables were current). Call it inside `ctx.storage.transactionSync`.
    #[wasm_bindgen(js_name = ensureCoreScope)]
    pub fn ensure_core_scope(&self, scope: &str, now_ms: f64) -> Result<u32, Error> {
        let applied = schema::ensure_core_scope(&self.db, scope, now_ms)?;
        Ok(u32::try_from(applied.len()).unwrap_or(u32::MAX))
    }

    /// Applies one planned migration with its ledger row. Call it inside
    /// `ctx.storage.transactionSync`, one call per transaction.
    #[wasm_bindgen(js_name = applyMigration)]
    pub fn apply_migration(&mut self, scope: &str, version: u32, now_ms: f64) -> Result<(), Error> {
        let migration = self.migration(scope, version)?;
        // The plan saw the ledger's table: the row needs no CREATE TABLE IF NOT EXISTS in front.
        if self.ledger.exists() {
            schema::apply_into_ledger(&self.db, scope, version, &migration, now_ms)?;
        } else {
            schema::apply(&self.db, scope, version, &migration, now_ms)?;
        }
        self.ledger.record(scope, version, &migration);
        self.pending_migrations = self.pending_migrations.saturating_sub(1);
        self.release_migrations_when_done();
        Ok(())
    }

    /// An estimate of the heap bytes this handle holds, for the facade's isolate-wide byte
    /// budget: the handle itself, its topic index (O(1), see `FanoutIndex::heap_bytes`), its
    /// statement cache and what the migrations still hold. The store's read cache is shared by
    /// every handle and bounded on its own (`readCacheBytes`).
    #[wasm_bindgen(js_name = heapBytes)]
    pub fn heap_bytes(&self) -> f64 {
        let migrations: usize = self
            .user_migrations
            .iter()
            .map(|m| m.sql.len() + m.name.as_ref().map_or(0, String::len) + 64)
            .sum();
        (std::mem::size_of::<Engine>()
            + self.fanout.heap_bytes()
            + self.db.heap_bytes()
            + migrations) as f64
    }

    /// How many handles are alive in this instance (for the facade's lifetime tests).
    #[wasm_bindgen(js_name = liveCount)]
    pub fn live_count() -> u32 {
        LIVE_ENGINES.with(Cell::get)
    }
}

impl Engine {
    /// The migrations' text and the ledger only serve the wake's plan and applies: a quiet
    /// handle need not keep a copy of every migration of the class.
    fn release_migrations_when_done(&mut self) {
        if self.pending_migrations == 0 {
            self.user_migrations = Vec::new();
            self.ledger = Ledger::default();
        }
    }

    fn migration(&self, scope: &str, version: u32) -> Result<Migration, Error> {
        let index = usize::try_from(version)
            .unwrap_or(usize::MAX)
            .wrapping_sub(1);
        let found = if scope == USER_SCOPE {
            self.user_migrations.get(index).cloned()
        } else {
            schema::core_scope(scope).and_then(|migrations| migrations.get(index).cloned())
        };
        found.ok_or_else(|| {
            Error::argument(
                "version",
                format!("no migration {version} in scope {scope}"),
            )
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        LIVE_ENGINES.with(|n| n.set(n.get().saturating_sub(1)));
    }
}
