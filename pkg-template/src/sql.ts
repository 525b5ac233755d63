/**
 * The SQL query layer: `this.sql` (tagged-template queries and transactions) and the `sql`
 * helper (fragments, `IN` lists, identifiers, JSON, raw text, in `sql-template.ts`).
 *
 * Each query is prepared by `sql-compile.ts` (text compiled by the core once per call site,
 * values bound here in JS) and run with one `ctx.storage.sql.exec`; this module reads the
 * result and turns what the platform threw into coded errors.
 */
import type { CoreContext } from "./core-context.js";
import { DurableCoreError } from "./errors.js";
import { STATEMENT_PREVIEW_CHARS } from "./generated/core.js";
import { isAsyncFunction, isThenable } from "./kernel/async.js";
import { errorText } from "./kernel/error-text.js";
import { prepare, type Statement } from "./sql-compile.js";
import type { SqlFragment } from "./sql-template.js";

export { sql, SqlFragment } from "./sql-template.js";
export type { SqlHelper } from "./sql-template.js";

/** A value `this.sql` binds: booleans as 1/0, `Date` as epoch milliseconds, bytes as BLOBs. */
export type SqlBindable = string | number | bigint | boolean | null | Date | ArrayBuffer | ArrayBufferView;

/** A row as the platform returns it. */
export type SqlRow = Record<string, SqlStorageValue>;

/** What `this.sql.run` reports. */
export interface SqlRunResult {
  rowsRead: number;
  rowsWritten: number;
}

/**
 * `this.sql`: tagged-template queries over the object's SQLite, and transactions.
 *
 * @example
 * const item = this.sql.one<{ stock: number }>`SELECT stock FROM items WHERE id = ${id}`;
 */
export class Sql {
  readonly #core: CoreContext;
  readonly #storage: SqlStorage;

  /** @internal Created by `DurableCore`. */
  constructor(core: CoreContext) {
    this.#core = core;
    this.#storage = core.ctx.storage.sql;
  }

  // Each query is one `exec` and at most one native read (`toArray`, or `next` for `first`):
  // the same platform calls a hand-written `sql.exec` makes. `all` reads value arrays instead
  // (`raw()` plus `columnNames`) and builds the row objects here: see `rowObjects`.

  /** Every row. `` this.sql.all<Item>`SELECT * FROM items WHERE stock > ${n}` `` */
  all<T = SqlRow>(strings: TemplateStringsArray | SqlFragment, ...values: unknown[]): T[] {
    const statement = prepare(this.#core, strings, values);
    try {
      return rowObjects(execute(this.#storage, statement)) as T[];
    } catch (error) {
      throw sqlError(error, statement.sql, this.#core);
    }
  }

  /** Exactly one row, else `SQL_NOT_ONE`. `` this.sql.one<Item>`SELECT * FROM items WHERE id = ${id}` `` */
  one<T = SqlRow>(strings: TemplateStringsArray | SqlFragment, ...values: unknown[]): T {
    const statement = prepare(this.#core, strings, values);
    let rows: SqlRow[];
    try {
      rows = execute(this.#storage, statement).toArray();
    } catch (error) {
      throw sqlError(error, statement.sql, this.#core);
    }
    if (rows.length !== 1) throw notOne(rows.length);
    return rows[0] as T;
  }

  /** The first row, or `undefined`. `` this.sql.first<Item>`SELECT * FROM items WHERE name = ${name}` `` */
  first<T = SqlRow>(strings: TemplateStringsArray | SqlFragment, ...values: unknown[]): T | undefined {
    const statement = prepare(this.#core, strings, values);
    try {
      const first = execute(this.#storage, statement).next();
      return first.done ? undefined : (first.value as T);
    } catch (error) {
      throw sqlError(error, statement.sql, this.#core);
    }
  }

  /**
   * Runs a statement for its effect: `` this.sql.run`DELETE FROM items WHERE id = ${id}` ``.
   * SQLite applies every change in the statement's first step, which runs here; rows a
   * `RETURNING` clause produces are not read (use `all` for them).
   */
  run(strings: TemplateStringsArray | SqlFragment, ...values: unknown[]): SqlRunResult {
    const statement = prepare(this.#core, strings, values);
    try {
      const cursor = execute(this.#storage, statement);
      // A plain object read eagerly: lazy getters cost a native call each (docs/reports/facade-figures.md).
      return { rowsRead: cursor.rowsRead, rowsWritten: cursor.rowsWritten };
    } catch (error) {
      throw sqlError(error, statement.sql, this.#core);
    }
  }

  /**
   * Runs `fn` in one transaction (`ctx.storage.transactionSync`): a throw rolls everything back
   * and is rethrown. `fn` must be synchronous; an async function is refused before it runs, and
   * one that returns a promise is rolled back (`TRANSACTION_ASYNC` both, as in `store.batch`),
   * because its awaited part would run outside the transaction.
   */
  transaction<T>(fn: () => T): T {
    if (isAsyncFunction(fn)) throw asyncTransaction("fn is an async function (nothing ran)");
    return this.#core.ctx.storage.transactionSync(() => {
      const result = fn();
      if (isThenable(result)) {
        throw asyncTransaction("fn returned a promise (the transaction was rolled back)");
      }
      return result;
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Internals

/**
 * `storage.exec(text, ...bindings)`, the bindings passed as separate arguments when there are
 * few: a spread call reaches the platform's native `exec` through V8's generic call path, which
 * costs more per call than a call whose arguments are counted (docs/reports/sql-core.md).
 */
function execute(storage: SqlStorage, statement: Statement): SqlStorageCursor<SqlRow> {
  const text = statement.sql;
  const b = statement.bindings;
  switch (b.length) {
    case 0:
      return storage.exec(text);
    case 1:
      return storage.exec(text, b[0]);
    case 2:
      return storage.exec(text, b[0], b[1]);
    case 3:
      return storage.exec(text, b[0], b[1], b[2]);
    case 4:
      return storage.exec(text, b[0], b[1], b[2], b[3]);
    case 5:
      return storage.exec(text, b[0], b[1], b[2], b[3], b[4]);
    case 6:
      return storage.exec(text, b[0], b[1], b[2], b[3], b[4], b[5]);
    default:
      return storage.exec(text, ...b);
  }
}

/**
 * Every row of `cursor` as an object, the same objects `toArray()` returns (keys in column
 * order, a repeated name keeps its last value, plain assignment semantics, so a `__proto__`
 * column behaves as it does there), built in JS from the platform's value arrays.
 *
 * Faster than `toArray()` for results of several rows; a 1-row result pays two more native
 * calls (`raw()`, `columnNames`), so `one` and `first` keep the platform's objects (figures in
 * docs/reports/facade-figures.md).
 */
function rowObjects(cursor: SqlStorageCursor<SqlRow>): SqlRow[] {
  const rows: SqlRow[] = [];
  let names: string[] | undefined;
  for (const values of cursor.raw()) {
    names ??= cursor.columnNames;
    const row: SqlRow = {};
    const count = names.length;
    // The first columns each get a store of their own: such a store sees one name and one object
    // layout per query, where the loop's single store sees every column's (and is slower).
    if (count <= ROW_STORES) {
      if (count > 0) row[names[0]] = values[0] as SqlStorageValue;
      if (count > 1) row[names[1]] = values[1] as SqlStorageValue;
      if (count > 2) row[names[2]] = values[2] as SqlStorageValue;
      if (count > 3) row[names[3]] = values[3] as SqlStorageValue;
      if (count > 4) row[names[4]] = values[4] as SqlStorageValue;
      if (count > 5) row[names[5]] = values[5] as SqlStorageValue;
    } else {
      for (let k = 0; k < count; k++) row[names[k]] = values[k] as SqlStorageValue;
    }
    rows.push(row);
  }
  return rows;
}

/** Columns up to which {@link rowObjects} writes each column with a store of its own. */
const ROW_STORES = 6;

/**
 * What the platform threw while running `text`, as `SQL_ERROR` (durable-core's own errors pass),
 * or `STORAGE_RESET` when the table is missing because the storage was wiped.
 */
function sqlError(error: unknown, text: string, core: CoreContext): unknown {
  if (error instanceof DurableCoreError) return error;
  const reset = core.storageReset(error);
  if (reset !== undefined) return reset;
  return new DurableCoreError("SQL_ERROR", `${errorText(error)} (statement: ${preview(text)})`, { cause: error });
}

function notOne(rows: number): DurableCoreError {
  return new DurableCoreError(
    "SQL_NOT_ONE",
    `expected exactly one row, got ${rows}; use first() when the row may be missing, all() when there may be several`,
  );
}

function asyncTransaction(what: string): DurableCoreError {
  return new DurableCoreError(
    "TRANSACTION_ASYNC",
    `this.sql.transaction(fn): ${what}; fn must be synchronous (no await), or its awaited part would run outside the transaction`,
  );
}

function preview(text: string): string {
  return text.length > STATEMENT_PREVIEW_CHARS ? `${text.slice(0, STATEMENT_PREVIEW_CHARS)}…` : text;
}
