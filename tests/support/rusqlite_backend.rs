//! The native [`SqlBackend`]: rusqlite with a bundled SQLite, used by `cargo test` only.
//! Shared by the unit tests (through `#[path]` in lib.rs) and the integration tests in tests/.

use durable_core::backend::{BackendError, QueryResult, SqlBackend, SqlValue};
use rusqlite::fallible_iterator::FallibleIterator;
use rusqlite::types::{Value, ValueRef};
use rusqlite::Connection;

/// An in-memory SQLite database behind the same trait as `ctx.storage.sql`.
pub struct RusqliteBackend {
    conn: Connection,
}

impl RusqliteBackend {
    pub fn open() -> Self {
        RusqliteBackend {
            conn: Connection::open_in_memory().expect("open in-memory SQLite"),
        }
    }

    /// [`RusqliteBackend::open`] with every core scope's tables migrated, as an object whose
    /// capabilities have all been used.
    #[allow(
        dead_code,
        reason = "each test crate includes this file; only the scheduler's call it"
    )]
    pub fn with_core_tables() -> Self {
        let db = Self::open();
        let mut ledger = durable_core::schema::read_ledger(&db).unwrap();
        for (scope, migrations) in durable_core::schema::core_migrations() {
            for version in ledger.pending(scope, &migrations).unwrap() {
                let migration = &migrations[version as usize - 1];
                db.atomically(|| durable_core::schema::apply(&db, scope, version, migration, 0.0))
                    .unwrap();
                ledger.record(scope, version, migration);
            }
        }
        db
    }

    /// Runs `f` in a transaction that commits when it returns `Ok` and rolls back otherwise,
    /// as `ctx.storage.transactionSync` does when its callback throws.
    pub fn atomically<T, E>(&self, f: impl FnOnce() -> Result<T, E>) -> Result<T, E> {
        self.conn
            .execute_batch("SAVEPOINT dc_tx")
            .expect("savepoint");
        let result = f();
        let end = if result.is_ok() {
            "RELEASE dc_tx"
        } else {
            "ROLLBACK TO dc_tx; RELEASE dc_tx"
        };
        self.conn.execute_batch(end).expect("end savepoint");
        result
    }
}

fn to_sql(value: &SqlValue) -> Value {
    match value {
        SqlValue::Null => Value::Null,
        SqlValue::Integer(i) => Value::Integer(*i),
        SqlValue::Real(r) => Value::Real(*r),
        SqlValue::Text(s) => Value::Text(s.clone()),
        SqlValue::Blob(b) => Value::Blob(b.clone()),
    }
}

fn from_sql(value: ValueRef<'_>) -> SqlValue {
    match value {
        ValueRef::Null => SqlValue::Null,
        ValueRef::Integer(i) => SqlValue::Integer(i),
        ValueRef::Real(r) => SqlValue::Real(r),
        ValueRef::Text(t) => SqlValue::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => SqlValue::Blob(b.to_vec()),
    }
}

fn backend_error(e: rusqlite::Error) -> BackendError {
    BackendError {
        message: e.to_string(),
    }
}

impl SqlBackend for RusqliteBackend {
    fn exec(&self, sql: &str, params: &[SqlValue]) -> Result<QueryResult, BackendError> {
        // Each statement runs before the next is prepared (a later one may use a table an
        // earlier one creates); the last statement's rows are the result. Bindings go to the
        // statement that has placeholders, which the platform requires to be the last.
        let values: Vec<Value> = params.iter().map(to_sql).collect();
        let mut batch = rusqlite::Batch::new(&self.conn, sql);
        let mut result = QueryResult::default();
        let mut rows_written = 0;
        while let Some(mut stmt) = batch.next().map_err(backend_error)? {
            let changes_before = self.conn.total_changes();
            let columns: Vec<String> = stmt.column_names().map(|c| c.to_string()).collect();
            let bound: &[Value] = if stmt.parameter_count() > 0 {
                &values
            } else {
                &[]
            };
            let mut rows = Vec::new();
            {
                let mut cursor = stmt
                    .query(rusqlite::params_from_iter(bound.iter()))
                    .map_err(backend_error)?;
                while let Some(row) = cursor.next().map_err(backend_error)? {
                    let mut out = Vec::with_capacity(columns.len());
                    for i in 0..columns.len() {
                        out.push(from_sql(row.get_ref(i).map_err(backend_error)?));
                    }
                    rows.push(out);
                }
            }
            rows_written += self.conn.total_changes() - changes_before;
            result = QueryResult {
                columns,
                rows,
                rows_written: 0,
            };
        }
        result.rows_written = rows_written;
        Ok(result)
    }
}
