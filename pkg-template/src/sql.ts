/**
 * The SQL query layer: `this.sql` (tagged-template queries and transactions) and the `sql`
 * helper (fragments, `IN` lists, identifiers, JSON, raw text).
 *
 * The Rust core compiles a template (its strings and the *shapes* of its values) into final SQL
 * text, a binding plan and the statement checks, once per call site and shape; this module
 * caches that per `TemplateStringsArray`, converts values and calls `ctx.storage.sql.exec`
 * directly. A query whose values are all plain therefore makes no wasm call after its first run.
 */
import { isAsyncFunction, isThenable } from "./kernel/async.js";
import { errorText } from "./kernel/error-text.js";
import type { CoreContext } from "./engine.js";
import { DurableCoreError } from "./errors.js";
import { bindings, toBinding } from "./sql-bind.js";
import {
  flatten,
  fromCore,
  MAX_SHAPES_PER_SITE,
  MAX_STATEMENT_CHARS,
  plainCache,
  shapeCache,
  SqlFragment,
  SqlPart,
  templateError,
  type Compiled,
} from "./sql-template.js";
import { sqlCompile, type SqlHole, type SqlTemplate } from "./wasm/durable_core.js";

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

function asyncTransaction(what: string): DurableCoreError {
  return new DurableCoreError(
    "TRANSACTION_ASYNC",
    `this.sql.transaction(fn): ${what}; fn must be synchronous (no await), or its awaited part would run outside the transaction`,
  );
}

// ---------------------------------------------------------------------------------------------
// Queries

/** A prepared call: final text and bindings. */
interface Statement {
  sql: string;
  bindings: SqlStorageValue[];
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
    const statement = this.#prepare(strings, values);
    try {
      return rowObjects(this.#storage.exec(statement.sql, ...statement.bindings)) as T[];
    } catch (error) {
      throw sqlError(error, statement.sql, this.#core);
    }
  }

  /** Exactly one row, else `SQL_NOT_ONE`. `` this.sql.one<Item>`SELECT * FROM items WHERE id = ${id}` `` */
  one<T = SqlRow>(strings: TemplateStringsArray | SqlFragment, ...values: unknown[]): T {
    const statement = this.#prepare(strings, values);
    let rows: SqlRow[];
    try {
      rows = this.#storage.exec(statement.sql, ...statement.bindings).toArray();
    } catch (error) {
      throw sqlError(error, statement.sql, this.#core);
    }
    if (rows.length !== 1) throw notOne(rows.length);
    return rows[0] as T;
  }

  /** The first row, or `undefined`. `` this.sql.first<Item>`SELECT * FROM items WHERE name = ${name}` `` */
  first<T = SqlRow>(strings: TemplateStringsArray | SqlFragment, ...values: unknown[]): T | undefined {
    const statement = this.#prepare(strings, values);
    try {
      const first = this.#storage.exec(statement.sql, ...statement.bindings).next();
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
    const statement = this.#prepare(strings, values);
    try {
      const cursor = this.#storage.exec(statement.sql, ...statement.bindings);
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

  #prepare(strings: TemplateStringsArray | SqlFragment, values: unknown[]): Statement {
    if (strings instanceof SqlFragment) {
      values = strings.values as unknown[];
      strings = strings.strings as TemplateStringsArray;
    }
    // The hot path: plain values only, one pass, the compiled text cached per call site.
    const bindings: SqlStorageValue[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const value = values[i];
      // A Date compiles to `CAST(? AS INTEGER)`: the platform binds every number as REAL.
      if (typeof value === "object" && (value instanceof SqlPart || value instanceof Date)) {
        return this.#prepareShaped(strings, values);
      }
      bindings[i] = toBinding(value, i + 1);
    }
    let compiled = plainCache.get(strings);
    if (compiled === undefined) {
      checkStrings(strings);
      compiled = this.#compile({ strings: [...strings], holes: values.map(() => ({ kind: "value" })) });
      plainCache.set(strings, compiled);
    }
    return { sql: compiled.sql, bindings };
  }

  /** Templates with `sql.*` parts: cached per call site and shape (the shape key is built here). */
  #prepareShaped(strings: readonly string[], values: unknown[]): Statement {
    const args: unknown[] = [];
    const key = flatten(values, args);
    let shapes = shapeCache.get(strings);
    let compiled = shapes?.get(key);
    if (compiled === undefined) {
      checkStrings(strings);
      const holes: SqlHole[] = [];
      flatten(values, [], holes);
      compiled = this.#compile({ strings: [...strings], holes });
      if (shapes === undefined) shapeCache.set(strings, (shapes = new Map()));
      if (shapes.size >= MAX_SHAPES_PER_SITE) shapes.clear();
      shapes.set(key, compiled);
    }
    return { sql: compiled.sql, bindings: bindings(compiled, args) };
  }

  #compile(template: SqlTemplate): Compiled {
    const chars = templateChars(template);
    if (chars > MAX_STATEMENT_CHARS) {
      throw templateError(
        `the statement's text is ${chars} characters long, more than the platform's ${MAX_STATEMENT_CHARS / 1000} KB: bind long values with \${value} instead of splicing them with sql.raw`,
      );
    }
    return fromCore(this.#core.call(() => sqlCompile(template)));
  }
}

/**
 * Throws `SQL_TEMPLATE` unless `strings` is a template's strings: `this.sql.all("SELECT 1")` (a
 * call instead of a tag) must not be spread into characters or used as a cache key.
 */
function checkStrings(strings: unknown): void {
  if (!Array.isArray(strings) || !strings.every((text) => typeof text === "string")) {
    throw templateError(
      `this.sql.all/one/first/run are template tags: write this.sql.all\`SELECT ...\` (or pass a sql\`...\` fragment), not ${strings === null ? "null" : typeof strings}`,
    );
  }
}

/** The length of every text of `template` that the compiled statement would hold, in UTF-16 units. */
function templateChars(template: SqlTemplate): number {
  let chars = 0;
  // Iterative: nesting is bounded by flatten already, but a walk needs no stack at all.
  const pending: SqlTemplate[] = [template];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    for (const text of next.strings) chars += text.length;
    for (const hole of next.holes) {
      if (hole.kind === "id") chars += hole.name.length + 2;
      else if (hole.kind === "raw") chars += hole.text.length;
      else if (hole.kind === "fragment") pending.push(hole);
      else if (hole.kind === "join") {
        chars += hole.separator.length * Math.max(hole.parts.length - 1, 0);
        for (const part of hole.parts) pending.push(part);
      } else if (hole.kind === "inItems") chars += hole.len * 3;
    }
  }
  return chars;
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
    for (let k = 0; k < names.length; k++) row[names[k]] = values[k] as SqlStorageValue;
    rows.push(row);
  }
  return rows;
}

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

function preview(text: string): string {
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
