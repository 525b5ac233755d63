//! The migration runner: durable-core's own `_dc_*` tables and the user's `static migrations`
//! go through the same ledger.
//!
//! The ledger `_dc_migrations` holds one row per applied migration: scope (`core:<capability>`
//! for durable-core's tables, `user` for the user's), version (1-based position), the text's
//! checksum and when it was applied. A wake reads the whole ledger with one statement
//! ([`read_ledger`]); only when something is pending does anything more run. Each pending
//! migration is applied by [`apply`] together with its ledger row; the caller runs each call
//! inside its own transaction, so a failing migration leaves nothing behind.
//!
//! Nothing is created before it is needed: the ledger table comes with the first migration
//! recorded in it, and a capability's tables with its first use ([`ensure_core_scope`]). A
//! fresh object that uses nothing runs one read-only statement at its wake: the lookup in
//! `sqlite_master` that finds no ledger ([`read_ledger_looked_up`]). A capability whose tables
//! exist is brought to its current version at the wake (its migrations are part of the wake's
//! plan).
//!
//! This module never decides *when* to migrate: the facade does, at the wake inside
//! `blockConcurrencyWhile` and at a capability's first use.

use crate::backend::{SqlBackend, SqlValue};
use crate::checksum::fingerprint;
use crate::error::{Error, ErrorCode};
use thiserror::Error;

/// The scope of the user's `static migrations`.
pub const USER_SCOPE: &str = "user";
/// The scope of `this.store`'s index tables: created at the wake of a class that declares
/// `static indexes`, and never for a store without indexes.
pub const STORE_SCOPE: &str = "core:store";
/// The scope of `this.scheduler`'s tables (`_dc_tasks`, `_dc_dead_tasks`, `_dc_alarm`):
/// created at the scheduler's first use.
pub const SCHEDULER_SCOPE: &str = "core:scheduler";

/// durable-core's own tables, by capability. Each list only ever grows at its end: an applied
/// entry must never change (the ledger would refuse it with `MIGRATION_CHANGED`).
pub const CORE_MIGRATIONS: &[(&str, &[&str])] = &[
    (
        STORE_SCOPE,
        &[
            "CREATE TABLE _dc_store_index (index_name TEXT NOT NULL, index_key TEXT NOT NULL, \
             primary_key TEXT NOT NULL, PRIMARY KEY (index_name, index_key, primary_key)) WITHOUT ROWID, STRICT; \
             CREATE INDEX _dc_store_index_by_primary ON _dc_store_index (primary_key, index_name)",
            "CREATE TABLE _dc_store_indexes (name TEXT PRIMARY KEY, checksum TEXT NOT NULL, \
             is_unique INTEGER NOT NULL, state TEXT NOT NULL, cursor TEXT, failure TEXT) WITHOUT ROWID, STRICT",
            // The code a failed build reports (INDEX_UNIQUE, INDEX_KEY_FUNCTION, KEY_TYPE, ...).
            "ALTER TABLE _dc_store_indexes ADD COLUMN failure_code TEXT",
        ],
    ),
    (
        SCHEDULER_SCOPE,
        &["CREATE TABLE _dc_tasks (id TEXT PRIMARY KEY, method TEXT NOT NULL, payload TEXT, \
           kind TEXT NOT NULL, due INTEGER NOT NULL, scheduled_at INTEGER NOT NULL, every_ms INTEGER, \
           anchor INTEGER, cron TEXT, timezone TEXT, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, \
           backoff_ms INTEGER NOT NULL, max_backoff_ms INTEGER NOT NULL, jitter INTEGER NOT NULL, \
           last_error TEXT) WITHOUT ROWID, STRICT; \
           CREATE INDEX _dc_tasks_by_due ON _dc_tasks (due); \
           CREATE TABLE _dc_dead_tasks (id TEXT PRIMARY KEY, method TEXT NOT NULL, payload TEXT, \
           kind TEXT NOT NULL, due INTEGER NOT NULL, scheduled_at INTEGER NOT NULL, every_ms INTEGER, \
           anchor INTEGER, cron TEXT, timezone TEXT, attempts INTEGER NOT NULL, max_attempts INTEGER NOT NULL, \
           backoff_ms INTEGER NOT NULL, max_backoff_ms INTEGER NOT NULL, jitter INTEGER NOT NULL, \
           last_error TEXT, error TEXT NOT NULL, failed_at INTEGER NOT NULL) STRICT",
          // Delivery bookkeeping that must survive a crash and roll back with its transaction:
          // `claimed` marks a delivery whose count is durable but whose end is not yet recorded
          // (1: claimed with other tasks, 2: claimed alone), `retry_of` the occurrence a
          // `retryFailed` of a recurring task runs, and `_dc_alarm` the alarm time the scheduler
          // last asked for (a rolled-back `setAlarm` rolls its record back with it).
          "ALTER TABLE _dc_tasks ADD COLUMN claimed INTEGER; \
           ALTER TABLE _dc_tasks ADD COLUMN retry_of INTEGER; \
           CREATE TABLE _dc_alarm (id INTEGER PRIMARY KEY CHECK (id = 0), armed INTEGER) STRICT; \
           INSERT INTO _dc_alarm (id, armed) VALUES (0, NULL)"],
    ),
];

/// The ledger's name, as SQLite names it in a "no such table" error.
pub const LEDGER_TABLE: &str = "_dc_migrations";

const READ_LEDGER: &str =
    "SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version";

const READ_SCOPE: &str =
    "SELECT scope, version, checksum FROM _dc_migrations WHERE scope = ? ORDER BY version";

/// The ledger's table, created with the first row recorded in it.
macro_rules! ledger_table {
    () => {
        "CREATE TABLE IF NOT EXISTS _dc_migrations (\
scope TEXT NOT NULL, version INTEGER NOT NULL, name TEXT, checksum TEXT NOT NULL, \
applied_at INTEGER NOT NULL, PRIMARY KEY (scope, version)) WITHOUT ROWID"
    };
}
/// The start of a ledger row's INSERT (its values follow).
macro_rules! ledger_insert {
    () => {
        "INSERT INTO _dc_migrations (scope, version, name, checksum, applied_at)"
    };
}
/// The ledger's table, created with the first row recorded in it, and the start of that row's
/// INSERT (its values follow).
macro_rules! ledger_create {
    () => {
        concat!(ledger_table!(), "; ", ledger_insert!())
    };
}
/// Records one migration, creating the ledger with the first one (a no-op read afterwards):
/// the ledger exists exactly when something was recorded in it, and a transaction that rolls
/// the first migration back takes the ledger with it.
const RECORD: &str = concat!(ledger_create!(), " VALUES (?, ?, ?, ?, ?)");
/// Records one migration in a ledger known to exist ([`Ledger::exists`]).
const RECORD_INTO_LEDGER: &str = concat!(ledger_insert!(), " VALUES (?, ?, ?, ?, ?)");

/// Whether the ledger's table exists: a read-only lookup in `sqlite_master` that cannot fail.
const LEDGER_EXISTS: &str =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_dc_migrations'";

/// Why migrations could not run. Until the cause is fixed, the object refuses every call with
/// this error, and nothing is half-applied.
#[derive(Debug, Clone, Error, PartialEq)]
pub enum MigrationError {
    #[error("migration {version} ({scope}) was edited after it was applied; migrations are append-only: restore its text and add a new migration instead")]
    Changed { scope: String, version: u32 },
    #[error("the ledger records {applied} applied migrations ({scope}) but only {declared} are declared; migrations are append-only: restore the missing ones")]
    Missing {
        scope: String,
        applied: u32,
        declared: u32,
    },
    #[error("migration {version} ({scope}) failed and was rolled back: {message}")]
    Failed {
        scope: String,
        version: u32,
        message: String,
    },
}

impl ErrorCode for MigrationError {
    fn code(&self) -> &'static str {
        match self {
            MigrationError::Changed { .. } => "MIGRATION_CHANGED",
            MigrationError::Missing { .. } => "MIGRATION_MISSING",
            MigrationError::Failed { .. } => "MIGRATION_FAILED",
        }
    }
}

/// One migration: its SQL and an optional name kept in the ledger for people reading it.
#[derive(Debug, Clone, PartialEq)]
pub struct Migration {
    pub name: Option<String>,
    pub sql: String,
}

impl Migration {
    pub fn new(sql: impl Into<String>) -> Self {
        Migration {
            name: None,
            sql: sql.into(),
        }
    }

    pub fn named(name: impl Into<String>, sql: impl Into<String>) -> Self {
        Migration {
            name: Some(name.into()),
            sql: sql.into(),
        }
    }
}

/// One applied migration, as recorded.
#[derive(Debug, Clone, PartialEq)]
struct Applied {
    scope: String,
    version: u32,
    checksum: String,
}

/// Every applied migration of the object, read in one statement.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Ledger {
    applied: Vec<Applied>,
    /// Whether the ledger table existed when it was read (a fresh object has none).
    exists: bool,
}

/// Reads the ledger in one statement. An object that never recorded a migration has no ledger
/// table: that reads as an empty ledger, and writes nothing.
pub fn read_ledger(db: &dyn SqlBackend) -> Result<Ledger, Error> {
    read(db, READ_LEDGER, &[])
}

/// Reads the ledger without ever running a statement that fails: first whether its table exists
/// ([`LEDGER_EXISTS`], read-only), then, if it does, [`read_ledger`]'s statement. A fresh object
/// runs one statement, an object with a ledger two. A failed statement costs the platform about
/// as much as a CREATE TABLE (it becomes a JS exception that crosses into the wasm), the lookup a
/// tenth of that. Every wake reads the ledger this way.
pub fn read_ledger_looked_up(db: &dyn SqlBackend) -> Result<Ledger, Error> {
    if db.exec(LEDGER_EXISTS, &[])?.rows.is_empty() {
        return Ok(Ledger::default());
    }
    read_ledger(db)
}

/// The ledger rows of one scope, in one statement (an empty ledger when it has no table).
pub fn read_scope(db: &dyn SqlBackend, scope: &str) -> Result<Ledger, Error> {
    read(db, READ_SCOPE, &[SqlValue::from(scope)])
}

fn read(db: &dyn SqlBackend, query: &str, params: &[SqlValue]) -> Result<Ledger, Error> {
    let result = match db.exec(query, params) {
        Ok(result) => result,
        Err(e) if is_missing_table(&e.message, LEDGER_TABLE) => return Ok(Ledger::default()),
        Err(e) => return Err(e.into()),
    };
    let applied = result
        .rows
        .iter()
        .filter_map(|row| match row.as_slice() {
            [scope, version, checksum] => Some(Applied {
                scope: scope.as_str()?.to_owned(),
                version: u32::try_from(version.as_i64()?).ok()?,
                checksum: checksum.as_str()?.to_owned(),
            }),
            _ => None,
        })
        .collect();
    Ok(Ledger {
        applied,
        exists: true,
    })
}

/// Whether `message` is SQLite's "no such table" for `table` (rusqlite and the platform both
/// say `no such table: <name>`, the platform with a suffix).
pub fn is_missing_table(message: &str, table: &str) -> bool {
    message.split("no such table: ").skip(1).any(|rest| {
        rest.strip_prefix(table)
            .is_some_and(|tail| !tail.starts_with(|c: char| c.is_alphanumeric() || c == '_'))
    })
}

impl Ledger {
    /// Whether the ledger table existed when it was read.
    pub fn exists(&self) -> bool {
        self.exists
    }

    /// Whether anything of `scope` was ever applied (its tables exist).
    pub fn has_scope(&self, scope: &str) -> bool {
        self.applied.iter().any(|a| a.scope == scope)
    }

    /// The versions of `migrations` (1-based) still to apply in `scope`, in order; or why the
    /// declared list no longer matches what was applied.
    pub fn pending(
        &self,
        scope: &str,
        migrations: &[Migration],
    ) -> Result<Vec<u32>, MigrationError> {
        let applied: Vec<&Applied> = self.applied.iter().filter(|a| a.scope == scope).collect();
        let declared = u32::try_from(migrations.len()).unwrap_or(u32::MAX);
        let applied_count = u32::try_from(applied.len()).unwrap_or(u32::MAX);
        if applied_count > declared {
            return Err(MigrationError::Missing {
                scope: scope.to_owned(),
                applied: applied_count,
                declared,
            });
        }
        for entry in &applied {
            let index = usize::try_from(entry.version)
                .unwrap_or(usize::MAX)
                .wrapping_sub(1);
            let unchanged = migrations
                .get(index)
                .is_some_and(|m| fingerprint(&m.sql) == entry.checksum);
            if !unchanged {
                return Err(MigrationError::Changed {
                    scope: scope.to_owned(),
                    version: entry.version,
                });
            }
        }
        Ok((applied_count + 1..=declared).collect())
    }

    /// Notes that `version` of `scope` was applied, so that a later `pending` call on this
    /// in-memory ledger agrees with the database.
    pub fn record(&mut self, scope: &str, version: u32, migration: &Migration) {
        self.applied.push(Applied {
            scope: scope.to_owned(),
            version,
            checksum: fingerprint(&migration.sql),
        });
    }
}

/// Applies one migration and records it in the ledger. Atomic only inside the caller's
/// transaction: run each call in its own `transactionSync`.
pub fn apply(
    db: &dyn SqlBackend,
    scope: &str,
    version: u32,
    migration: &Migration,
    now_ms: f64,
) -> Result<(), MigrationError> {
    apply_recording(db, scope, version, migration, now_ms, RECORD)
}

/// [`apply`] into a ledger whose table is known to exist: its row is a plain INSERT.
pub fn apply_into_ledger(
    db: &dyn SqlBackend,
    scope: &str,
    version: u32,
    migration: &Migration,
    now_ms: f64,
) -> Result<(), MigrationError> {
    apply_recording(db, scope, version, migration, now_ms, RECORD_INTO_LEDGER)
}

fn apply_recording(
    db: &dyn SqlBackend,
    scope: &str,
    version: u32,
    migration: &Migration,
    now_ms: f64,
    record: &str,
) -> Result<(), MigrationError> {
    let failed = |message: String| MigrationError::Failed {
        scope: scope.to_owned(),
        version,
        message,
    };
    // The user's migrations get the same statement checks as their queries: a BEGIN would
    // break the transaction this runs in, a write to `_dc_*` would corrupt durable-core.
    if scope == USER_SCOPE {
        crate::sql::check(&migration.sql).map_err(|e| failed(e.to_string()))?;
    }
    db.exec(&migration.sql, &[])
        .map_err(|e| failed(e.message))?;
    db.exec(
        record,
        &[
            SqlValue::from(scope),
            SqlValue::Integer(i64::from(version)),
            SqlValue::from(migration.name.clone()),
            SqlValue::from(fingerprint(&migration.sql)),
            SqlValue::Integer(now_ms as i64),
        ],
    )
    .map_err(|e| failed(e.message))?;
    Ok(())
}

/// durable-core's own migrations, as [`Migration`]s of their scope.
pub fn core_migrations() -> impl Iterator<Item = (&'static str, Vec<Migration>)> {
    CORE_MIGRATIONS.iter().map(|(scope, sqls)| {
        (
            *scope,
            sqls.iter().map(|sql| Migration::new(*sql)).collect(),
        )
    })
}

/// The names of durable-core's scopes, in the order their migrations apply.
pub fn core_scopes() -> impl Iterator<Item = &'static str> {
    CORE_MIGRATIONS.iter().map(|(scope, _)| *scope)
}

/// The migrations of one of durable-core's scopes (`core:store`, `core:scheduler`); only that
/// scope's texts are copied.
pub fn core_scope(scope: &str) -> Option<Vec<Migration>> {
    CORE_MIGRATIONS
        .iter()
        .find(|(s, _)| *s == scope)
        .map(|(_, sqls)| sqls.iter().map(|sql| Migration::new(*sql)).collect())
}

/// Creates (or brings up to date) the tables of one of durable-core's scopes, on a capability's
/// first use: reads the scope's ledger rows and applies what is pending with its rows, in one
/// batch ([`core_batch`]). Returns
/// the versions applied (none when the tables were current). Atomic only inside the caller's
/// transaction: a rollback of it takes the tables, their rows and a ledger created for them back.
pub fn ensure_core_scope(db: &dyn SqlBackend, scope: &str, now_ms: f64) -> Result<Vec<u32>, Error> {
    let migrations = core_scope(scope)
        .ok_or_else(|| Error::argument("scope", format!("no core scope {scope}")))?;
    let pending = read_scope(db, scope)?.pending(scope, &migrations)?;
    if let Some(batch) = core_batch(scope, &pending, &migrations, now_ms) {
        let first = pending.first().copied().unwrap_or(1);
        db.exec(&batch, &[]).map_err(|e| MigrationError::Failed {
            scope: scope.to_owned(),
            version: first,
            message: e.message,
        })?;
    }
    Ok(pending)
}

/// The `pending` migrations of one of durable-core's scopes and their ledger rows, as one
/// batch of statements (one crossing into the platform instead of two per migration). Its
/// values are literals: the scope is a constant of durable-core, the checksums are hex digits
/// and the time an integer. `None` when nothing is pending.
fn core_batch(
    scope: &str,
    pending: &[u32],
    migrations: &[Migration],
    now_ms: f64,
) -> Option<String> {
    let mut statements = String::new();
    let mut rows = Vec::new();
    for version in pending {
        let index = usize::try_from(*version)
            .unwrap_or(usize::MAX)
            .wrapping_sub(1);
        let migration = migrations.get(index)?;
        statements.push_str(&migration.sql);
        statements.push_str(";\n");
        let name = migration
            .name
            .as_deref()
            .map_or_else(|| "NULL".to_owned(), sql_text);
        rows.push(format!(
            "({}, {version}, {name}, '{}', {})",
            sql_text(scope),
            fingerprint(&migration.sql),
            now_ms as i64
        ));
    }
    if rows.is_empty() {
        return None;
    }
    statements.push_str(ledger_create!());
    statements.push_str(" VALUES ");
    statements.push_str(&rows.join(", "));
    Some(statements)
}

/// `text` as an SQL string literal.
fn sql_text(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rusqlite_backend::RusqliteBackend;

    fn run_all(
        db: &RusqliteBackend,
        scope: &str,
        migrations: &[Migration],
    ) -> Result<Vec<u32>, MigrationError> {
        let mut ledger = read_ledger(db).map_err(|e| MigrationError::Failed {
            scope: scope.into(),
            version: 0,
            message: e.to_string(),
        })?;
        let pending = ledger.pending(scope, migrations)?;
        for version in &pending {
            let migration = &migrations[*version as usize - 1];
            db.atomically(|| apply(db, scope, *version, migration, 1.0))?;
            ledger.record(scope, *version, migration);
        }
        Ok(pending)
    }

    fn user(sqls: &[&str]) -> Vec<Migration> {
        sqls.iter().map(|s| Migration::new(*s)).collect()
    }

    #[test]
    fn applies_each_migration_once() {
        let db = RusqliteBackend::open();
        let m = user(&["CREATE TABLE a (x)", "INSERT INTO a VALUES (1)"]);
        assert_eq!(run_all(&db, USER_SCOPE, &m), Ok(vec![1, 2]));
        assert_eq!(run_all(&db, USER_SCOPE, &m), Ok(vec![]));
        let rows = db.exec("SELECT count(*) FROM a", &[]).unwrap();
        assert_eq!(rows.scalar().and_then(SqlValue::as_i64), Some(1));
    }

    #[test]
    fn appended_migrations_apply_later() {
        let db = RusqliteBackend::open();
        run_all(&db, USER_SCOPE, &user(&["CREATE TABLE a (x)"])).unwrap();
        let more = user(&["CREATE TABLE a (x)", "CREATE TABLE b (y)"]);
        assert_eq!(run_all(&db, USER_SCOPE, &more), Ok(vec![2]));
    }

    #[test]
    fn an_edited_migration_is_refused() {
        let db = RusqliteBackend::open();
        run_all(&db, USER_SCOPE, &user(&["CREATE TABLE a (x)"])).unwrap();
        let err = run_all(&db, USER_SCOPE, &user(&["CREATE TABLE a (y)"])).unwrap_err();
        assert_eq!(err.code(), "MIGRATION_CHANGED");
        assert!(err.to_string().contains("migration 1"));
    }

    #[test]
    fn a_removed_migration_is_refused() {
        let db = RusqliteBackend::open();
        run_all(
            &db,
            USER_SCOPE,
            &user(&["CREATE TABLE a (x)", "CREATE TABLE b (x)"]),
        )
        .unwrap();
        let err = run_all(&db, USER_SCOPE, &user(&["CREATE TABLE a (x)"])).unwrap_err();
        assert_eq!(err.code(), "MIGRATION_MISSING");
    }

    #[test]
    fn a_failing_migration_rolls_back_whole() {
        let db = RusqliteBackend::open();
        let m =
            user(&["CREATE TABLE a (x); INSERT INTO a VALUES (1); INSERT INTO nope VALUES (2)"]);
        let err = run_all(&db, USER_SCOPE, &m).unwrap_err();
        assert_eq!(err.code(), "MIGRATION_FAILED");
        assert!(err.to_string().contains("nope"), "{err}");
        assert!(
            db.exec("SELECT * FROM a", &[]).is_err(),
            "table a must not exist"
        );
        assert_eq!(
            read_ledger(&db).unwrap(),
            Ledger::default(),
            "no ledger row (nor table) is left"
        );
    }

    #[test]
    fn reading_the_ledger_of_a_fresh_object_writes_nothing() {
        let db = RusqliteBackend::open();
        let ledger = read_ledger(&db).unwrap();
        assert!(!ledger.exists());
        assert_eq!(tables(&db), Vec::<String>::new());
        run_all(&db, USER_SCOPE, &user(&["CREATE TABLE a (x)"])).unwrap();
        assert!(read_ledger(&db).unwrap().exists());
        assert_eq!(tables(&db), ["_dc_migrations", "a"]);
    }

    #[test]
    fn a_core_scope_is_created_on_demand_once_and_rolls_back_with_its_transaction() {
        let db = RusqliteBackend::open();
        let versions = core_scope("core:scheduler").unwrap().len() as u32;
        let rolled_back: Result<(), Error> = db.atomically(|| {
            assert_eq!(
                ensure_core_scope(&db, "core:scheduler", 1.0).unwrap(),
                (1..=versions).collect::<Vec<_>>()
            );
            Err(Error::argument("test", "roll back"))
        });
        assert!(rolled_back.is_err());
        assert_eq!(
            tables(&db),
            Vec::<String>::new(),
            "the rollback takes the tables and the ledger back"
        );
        db.atomically(|| ensure_core_scope(&db, "core:scheduler", 1.0))
            .unwrap();
        assert!(tables(&db).contains(&"_dc_tasks".to_owned()));
        assert_eq!(
            db.atomically(|| ensure_core_scope(&db, "core:scheduler", 1.0))
                .unwrap(),
            Vec::<u32>::new()
        );
        let ledger = read_ledger(&db).unwrap();
        assert!(ledger.has_scope("core:scheduler") && !ledger.has_scope("core:store"));
    }

    /// Counts the statements a backend runs.
    struct Counting<'a>(&'a RusqliteBackend, std::cell::Cell<usize>);

    impl SqlBackend for Counting<'_> {
        fn exec(
            &self,
            sql: &str,
            params: &[SqlValue],
        ) -> Result<crate::backend::QueryResult, crate::backend::BackendError> {
            self.1.set(self.1.get() + 1);
            self.0.exec(sql, params)
        }
    }

    #[test]
    fn a_core_scope_is_created_in_one_batch_with_the_rows_apply_would_write() {
        let db = RusqliteBackend::open();
        let counting = Counting(&db, std::cell::Cell::new(0));
        let versions = core_scope(SCHEDULER_SCOPE).unwrap().len() as u32;
        let applied = db
            .atomically(|| ensure_core_scope(&counting, SCHEDULER_SCOPE, 7.0))
            .unwrap();
        assert_eq!(applied, (1..=versions).collect::<Vec<_>>());
        assert_eq!(counting.1.get(), 2, "the ledger read, then one batch");
        let one_by_one = RusqliteBackend::open();
        for (index, migration) in core_scope(SCHEDULER_SCOPE).unwrap().iter().enumerate() {
            one_by_one
                .atomically(|| {
                    apply(
                        &one_by_one,
                        SCHEDULER_SCOPE,
                        index as u32 + 1,
                        migration,
                        7.0,
                    )
                })
                .unwrap();
        }
        let ledger = |db: &RusqliteBackend| {
            db.exec("SELECT scope, version, name, checksum, applied_at FROM _dc_migrations ORDER BY version", &[]).unwrap().rows
        };
        assert_eq!(ledger(&db), ledger(&one_by_one));
        assert_eq!(tables(&db), tables(&one_by_one));
    }

    #[test]
    fn a_looked_up_ledger_read_never_fails_and_agrees_with_the_plain_read() {
        let db = RusqliteBackend::open();
        let counting = Counting(&db, std::cell::Cell::new(0));
        let fresh = read_ledger_looked_up(&counting).unwrap();
        assert_eq!(fresh, Ledger::default());
        assert_eq!(counting.1.get(), 1, "a fresh object: the lookup alone");
        assert_eq!(tables(&db), Vec::<String>::new(), "writes nothing");
        let m = user(&["CREATE TABLE a (x)"]);
        db.atomically(|| apply(&db, USER_SCOPE, 1, &m[0], 1.0))
            .unwrap();
        let counting = Counting(&db, std::cell::Cell::new(0));
        let known = read_ledger_looked_up(&counting).unwrap();
        assert_eq!(counting.1.get(), 2, "the lookup, then the read");
        assert!(known.exists());
        assert_eq!(known, read_ledger(&db).unwrap());
        // Into a ledger known to exist, a row is a plain INSERT; a rollback leaves the ledger as it was.
        let more = user(&[
            "CREATE TABLE a (x)",
            "CREATE TABLE b (x); INSERT INTO nope VALUES (1)",
        ]);
        assert_eq!(known.pending(USER_SCOPE, &more), Ok(vec![2]));
        let failed = db.atomically(|| apply_into_ledger(&db, USER_SCOPE, 2, &more[1], 1.0));
        assert_eq!(failed.unwrap_err().code(), "MIGRATION_FAILED");
        assert_eq!(read_ledger(&db).unwrap(), known);
        assert_eq!(tables(&db), ["_dc_migrations", "a"]);
    }

    /// The wake of a class with migrations (`read_ledger_looked_up`, then `apply_into_ledger`
    /// once the ledger is known to exist), step by step as the engine runs it.
    fn run_looked_up(
        db: &RusqliteBackend,
        migrations: &[Migration],
    ) -> Result<Vec<u32>, MigrationError> {
        let mut ledger = read_ledger_looked_up(db).map_err(|e| MigrationError::Failed {
            scope: USER_SCOPE.into(),
            version: 0,
            message: e.to_string(),
        })?;
        let pending = ledger.pending(USER_SCOPE, migrations)?;
        for version in &pending {
            let migration = &migrations[*version as usize - 1];
            if ledger.exists() {
                db.atomically(|| apply_into_ledger(db, USER_SCOPE, *version, migration, 1.0))?;
            } else {
                db.atomically(|| apply(db, USER_SCOPE, *version, migration, 1.0))?;
            }
            ledger.record(USER_SCOPE, *version, migration);
        }
        Ok(pending)
    }

    #[test]
    fn a_looked_up_wake_fails_second_migrations_changed_texts_and_empty_ledgers_like_the_plain_one()
    {
        // A fresh object whose second migration fails: the first stays, the second leaves nothing.
        let db = RusqliteBackend::open();
        let broken = user(&[
            "CREATE TABLE a (x)",
            "CREATE TABLE half (x); INSERT INTO nope VALUES (1)",
        ]);
        let failed = run_looked_up(&db, &broken).unwrap_err();
        assert_eq!(failed.code(), "MIGRATION_FAILED");
        assert_eq!(tables(&db), ["_dc_migrations", "a"]);
        // Fixed in a later deploy: only the second applies, into the existing ledger.
        let fixed = user(&["CREATE TABLE a (x)", "CREATE TABLE b (x)"]);
        assert_eq!(run_looked_up(&db, &fixed), Ok(vec![2]));
        assert_eq!(run_looked_up(&db, &fixed), Ok(vec![]));
        assert_eq!(tables(&db), ["_dc_migrations", "a", "b"]);
        // A changed text is refused before anything runs.
        let changed = user(&["CREATE TABLE a (x, y)", "CREATE TABLE b (x)"]);
        assert_eq!(
            run_looked_up(&db, &changed).unwrap_err().code(),
            "MIGRATION_CHANGED"
        );
        assert_eq!(
            read_ledger_looked_up(&db).unwrap(),
            read_ledger(&db).unwrap()
        );
        // A ledger table with no rows (an older release): it exists, and rows go into it.
        let old = RusqliteBackend::open();
        old.exec(ledger_table!(), &[]).unwrap();
        let empty = read_ledger_looked_up(&old).unwrap();
        assert!(empty.exists());
        assert_eq!(empty, read_ledger(&old).unwrap());
        assert_eq!(run_looked_up(&old, &fixed), Ok(vec![1, 2]));
        assert_eq!(
            read_ledger(&old).unwrap().pending(USER_SCOPE, &fixed),
            Ok(vec![])
        );
    }

    #[test]
    fn an_old_scope_gets_only_its_missing_migrations() {
        let db = RusqliteBackend::open();
        let all = core_scope("core:scheduler").unwrap();
        db.atomically(|| apply(&db, "core:scheduler", 1, &all[0], 1.0))
            .unwrap();
        assert_eq!(
            db.atomically(|| ensure_core_scope(&db, "core:scheduler", 1.0))
                .unwrap(),
            (2..=all.len() as u32).collect::<Vec<_>>()
        );
        assert!(tables(&db).contains(&"_dc_alarm".to_owned()));
    }

    #[test]
    fn only_the_ledger_going_missing_reads_as_an_empty_ledger() {
        assert!(is_missing_table(
            "no such table: _dc_migrations: SQLITE_ERROR",
            LEDGER_TABLE
        ));
        assert!(is_missing_table(
            "no such table: _dc_migrations",
            LEDGER_TABLE
        ));
        assert!(!is_missing_table(
            "no such table: _dc_migrations_old",
            LEDGER_TABLE
        ));
        assert!(!is_missing_table("no such table: items", LEDGER_TABLE));
        assert!(!is_missing_table(
            "near \"_dc_migrations\": syntax error",
            LEDGER_TABLE
        ));
    }

    fn tables(db: &RusqliteBackend) -> Vec<String> {
        let rows = db
            .exec(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name",
                &[],
            )
            .unwrap()
            .rows;
        rows.iter()
            .filter_map(|row| row.first()?.as_str().map(str::to_owned))
            .collect()
    }

    #[test]
    fn a_user_migration_that_breaks_the_rules_is_refused_before_it_runs() {
        let db = RusqliteBackend::open();
        for text in [
            "BEGIN; CREATE TABLE a (x); COMMIT",
            "CREATE TABLE a (x); DELETE FROM _dc_migrations",
        ] {
            let err = run_all(&db, USER_SCOPE, &user(&[text])).unwrap_err();
            assert_eq!(err.code(), "MIGRATION_FAILED");
            assert!(err.to_string().contains("migration 1"), "{err}");
            assert!(
                db.exec("SELECT * FROM a", &[]).is_err(),
                "nothing may run: {text}"
            );
        }
    }

    #[test]
    fn each_core_scope_is_named_once_with_its_migrations() {
        let names: Vec<&str> = core_scopes().collect();
        assert_eq!(names, [STORE_SCOPE, SCHEDULER_SCOPE]);
        for (scope, migrations) in core_migrations() {
            assert_eq!(core_scope(scope), Some(migrations));
        }
        assert_eq!(core_scope("core:nothing"), None);
    }

    #[test]
    fn scopes_are_independent() {
        let db = RusqliteBackend::open();
        for (scope, migrations) in core_migrations() {
            run_all(&db, scope, &migrations).unwrap();
        }
        assert_eq!(
            run_all(&db, USER_SCOPE, &user(&["CREATE TABLE a (x)"])),
            Ok(vec![1])
        );
        for (scope, migrations) in core_migrations() {
            assert_eq!(run_all(&db, scope, &migrations), Ok(vec![]));
        }
    }
}
