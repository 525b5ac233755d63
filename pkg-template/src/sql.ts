/**
 * The SQL query layer: `this.sql` (tagged-template queries and transactions) and the `sql`
 * helper (fragments, `IN` lists, identifiers, JSON, raw text).
 *
 * The Rust core compiles a template (its strings and the *shapes* of its values) into final SQL
 * text, a binding plan and the statement checks, once per call site and shape; this module
 * caches that per `TemplateStringsArray`, converts values and calls `ctx.storage.sql.exec`
 * directly. A query whose values are all plain therefore makes no wasm call after its first run.
 */
import { isAsyncFunction } from "./is-async-function.js";
import type { CoreContext } from "./engine.js";
import { DurableCoreError } from "./errors.js";
import { sqlCompile, type CompiledSql, type SqlHole, type SqlTemplate } from "./wasm/durable_core.js";

/** A value `this.sql` binds: booleans as 1/0, `Date` as epoch milliseconds, bytes as BLOBs. */
export type SqlBindable = string | number | bigint | boolean | null | Date | ArrayBuffer | ArrayBufferView;

/** A row as the platform returns it. */
export type SqlRow = Record<string, SqlStorageValue>;

/** What `this.sql.run` reports. */
export interface SqlRunResult {
  rowsRead: number;
  rowsWritten: number;
}

/** Base of every `sql.*` helper value, so that classification is one `instanceof`. */
abstract class SqlPart {}

/** A `` sql`...` `` fragment: spliced where it is interpolated, its values bound in place. */
export class SqlFragment extends SqlPart {
  /** @internal */
  constructor(
    readonly strings: readonly string[],
    readonly values: readonly unknown[],
  ) {
    super();
  }
}

class SqlIn extends SqlPart {
  constructor(readonly items: readonly unknown[]) {
    super();
  }
}

class SqlId extends SqlPart {
  constructor(readonly name: string) {
    super();
  }
}

class SqlJson extends SqlPart {
  constructor(readonly value: unknown) {
    super();
  }
}

class SqlRaw extends SqlPart {
  constructor(readonly text: string) {
    super();
  }
}

class SqlJoin extends SqlPart {
  constructor(
    readonly parts: readonly SqlFragment[],
    readonly separator: string,
  ) {
    super();
  }
}

/** The strings of a one-value fragment, shared so that its identity (and cache key) is stable. */
const VALUE_STRINGS: readonly string[] = Object.freeze(["", ""]);

/** How deeply fragments and join parts may nest (`MAX_FRAGMENT_DEPTH` in src/sql/template.rs). */
const MAX_FRAGMENT_DEPTH = 100;
/** The longest `sql.id` name in UTF-8 bytes (`MAX_IDENTIFIER_BYTES` in src/sql/template.rs). */
const MAX_IDENTIFIER_BYTES = 255;
/**
 * The platform's limit on a statement's text, 100 KB. A template whose text (strings, `sql.raw`
 * texts, join separators, identifiers) is longer in UTF-16 units is longer in bytes too: it is
 * refused here, before it would be copied into the shared engine to be compiled.
 */
const MAX_STATEMENT_CHARS = 100_000;

function templateError(message: string): DurableCoreError {
  return new DurableCoreError("SQL_TEMPLATE", message);
}

function tooDeep(): DurableCoreError {
  return templateError(
    `sql fragments are nested more than ${MAX_FRAGMENT_DEPTH} deep; build long conditions with sql.join(parts, sql\` AND \`) instead of wrapping the previous fragment in a new one each time (SQLite itself nests expressions at most 100 deep: for long lists of values use sql.in)`,
  );
}

export interface SqlHelper {
  /** A fragment to interpolate into another query: `` sql`AND stock > ${n}` ``. */
  (strings: TemplateStringsArray, ...values: unknown[]): SqlFragment;
  /**
   * A list for `IN`, of any length (including empty and beyond the platform's 100-parameter
   * limit): `` this.sql.all`SELECT * FROM items WHERE id IN ${sql.in(ids)}` ``. Numbers, strings,
   * booleans, dates and null bind as one JSON array expanded by `json_each`; a list holding
   * blobs binds item by item (at most 100 parameters per statement). Use it after `IN` or
   * `NOT IN` only: it expands to a subquery.
   */
  in(values: readonly unknown[]): SqlPart;
  /** An identifier (table, column), validated and double-quoted: `` sql`SELECT ${sql.id(col)} FROM t` ``. */
  id(name: string): SqlPart;
  /** A value stored as JSON text: `` sql`INSERT INTO docs (body) VALUES (${sql.json(doc)})` ``. */
  json(value: unknown): SqlPart;
  /**
   * Fragments (or plain values) separated by `separator` (default `", "`), text or a fragment:
   * `` sql`UPDATE t SET ${sql.join(cols.map((c) => sql`${sql.id(c)} = ${row[c]}`))} WHERE id = ${id}` ``,
   * `` sql`SELECT * FROM t WHERE ${sql.join(conditions, sql` OR `)}` ``. Any other separator is `SQL_BIND`.
   */
  join(parts: readonly unknown[], separator?: string | SqlFragment): SqlPart;
  /**
   * **Unsafe**: `text` is spliced into the statement as is, with no quoting or validation.
   * Never pass user input; prefer `sql.id` for names and plain values for data.
   */
  raw(text: string): SqlPart;
}

/** The `sql` helper: fragments and the `sql.in` / `sql.id` / `sql.json` / `sql.join` / `sql.raw` parts. */
export const sql: SqlHelper = Object.assign(
  (strings: TemplateStringsArray, ...values: unknown[]) => new SqlFragment(strings, values),
  {
    in: (values: readonly unknown[]): SqlPart => {
      if (!Array.isArray(values)) throw bindError(`sql.in takes an array, got ${describe(values)}`);
      return new SqlIn(values);
    },
    id: (name: string): SqlPart => {
      if (typeof name !== "string") throw new DurableCoreError("SQL_IDENTIFIER", `sql.id takes a string, got ${describe(name)}`);
      // Each UTF-16 unit is at least one UTF-8 byte: a longer name is refused before any copy.
      if (name.length > MAX_IDENTIFIER_BYTES) {
        throw new DurableCoreError(
          "SQL_IDENTIFIER",
          `sql.id: the name is ${name.length} characters long, more than the ${MAX_IDENTIFIER_BYTES} bytes allowed`,
        );
      }
      return new SqlId(name);
    },
    json: (value: unknown): SqlPart => new SqlJson(value),
    join: (parts: readonly unknown[], separator: string | SqlFragment = ", "): SqlPart => {
      if (!Array.isArray(parts)) throw bindError(`sql.join takes an array, got ${describe(parts)}`);
      const fragments = parts.map((p) => (p instanceof SqlFragment ? p : new SqlFragment(VALUE_STRINGS, [p])));
      if (typeof separator === "string") return new SqlJoin(fragments, separator);
      if (!(separator instanceof SqlFragment)) {
        throw bindError(`sql.join's separator is text or a sql\`...\` fragment, got ${describe(separator)}`);
      }
      // A fragment separator (its values bound at each occurrence) is one more part between parts.
      const interleaved: SqlFragment[] = [];
      fragments.forEach((fragment, index) => {
        if (index > 0) interleaved.push(separator);
        interleaved.push(fragment);
      });
      return new SqlJoin(interleaved, "");
    },
    raw: (text: string): SqlPart => new SqlRaw(String(text)),
  },
);

// ---------------------------------------------------------------------------------------------
// Compilation cache

interface Compiled {
  sql: string;
  /** One op per flattened value: 0 bind it, 1 bind its JSON, 2 bind a list as JSON, 3 bind each item. */
  plan: Uint8Array;
}

/** Templates whose values are all plain: the hot path, one entry per call site. */
const plainCache = new WeakMap<readonly string[], Compiled>();
/** Other shapes, per call site; bounded because `sql.id`/`sql.raw` texts may vary freely. */
const shapeCache = new WeakMap<readonly string[], Map<string, Compiled>>();
const MAX_SHAPES_PER_SITE = 64;
/** Small stable ids for nested strings arrays, so shape keys can name them. */
const stringsIds = new WeakMap<readonly string[], number>();
let nextStringsId = 1;

function stringsId(strings: readonly string[]): number {
  let id = stringsIds.get(strings);
  if (id === undefined) {
    id = nextStringsId++;
    stringsIds.set(strings, id);
  }
  return id;
}

function fromCore(compiled: CompiledSql): Compiled {
  return { sql: compiled.sql, plan: compiled.plan };
}

/**
 * Flattens `values` (depth first) into `args`, one per value-carrying hole, and returns the
 * shape key; `holes`, when given, receives the wire shapes for the core. `depth` counts the
 * fragments and join parts around `values`: past {@link MAX_FRAGMENT_DEPTH} it throws
 * `SQL_TEMPLATE`, so neither this recursion nor the core's ever goes deep.
 */
function flatten(values: readonly unknown[], args: unknown[], holes?: SqlHole[], depth = 0): string {
  let key = "";
  for (const value of values) {
    if (!(value instanceof SqlPart)) {
      args.push(value);
      if (value instanceof Date) {
        holes?.push({ kind: "date" });
        key += "D";
      } else {
        holes?.push({ kind: "value" });
        key += "v";
      }
    } else if (value instanceof SqlIn) {
      args.push(value.items);
      if (value.items.some(isBlob)) {
        holes?.push({ kind: "inItems", len: value.items.length });
        key += `b${value.items.length};`;
      } else {
        holes?.push({ kind: "in" });
        key += "i";
      }
    } else if (value instanceof SqlJson) {
      args.push(value.value);
      holes?.push({ kind: "json" });
      key += "j";
    } else if (value instanceof SqlId) {
      holes?.push({ kind: "id", name: value.name });
      key += `d${value.name.length}:${value.name}`;
    } else if (value instanceof SqlRaw) {
      holes?.push({ kind: "raw", text: value.text });
      key += `r${value.text.length}:${value.text}`;
    } else if (value instanceof SqlFragment) {
      if (depth >= MAX_FRAGMENT_DEPTH) throw tooDeep();
      const inner: SqlHole[] | undefined = holes && [];
      key += `f${stringsId(value.strings)}(${flatten(value.values, args, inner, depth + 1)})`;
      if (holes && inner) holes.push({ kind: "fragment", strings: [...value.strings], holes: inner });
    } else if (value instanceof SqlJoin) {
      if (depth >= MAX_FRAGMENT_DEPTH) throw tooDeep();
      key += `J${value.separator.length}:${value.separator}${value.parts.length}(`;
      const parts: SqlTemplate[] = [];
      for (const part of value.parts) {
        const inner: SqlHole[] | undefined = holes && [];
        key += `${stringsId(part.strings)}(${flatten(part.values, args, inner, depth + 1)})`;
        if (inner) parts.push({ strings: [...part.strings], holes: inner });
      }
      holes?.push({ kind: "join", parts, separator: value.separator });
      key += ")";
    }
  }
  return key;
}

// ---------------------------------------------------------------------------------------------
// Binding

function asyncTransaction(what: string): DurableCoreError {
  return new DurableCoreError(
    "TRANSACTION_ASYNC",
    `this.sql.transaction(fn): ${what}; fn must be synchronous (no await), or its awaited part would run outside the transaction`,
  );
}

function bindError(message: string): DurableCoreError {
  return new DurableCoreError("SQL_BIND", message);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return typeof value;
}

function isBlob(value: unknown): boolean {
  return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}

/** A JS value as the platform should bind it, or `SQL_BIND` naming value `position`. */
function toBinding(value: unknown, position: number): SqlStorageValue {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(value);
      throw bindError(
        `value ${position} is the bigint ${value}, beyond ±2^53: the platform binds numbers as doubles and would lose precision; store it as text (String(value))`,
      );
    case "undefined":
      throw bindError(`value ${position} is undefined; bind null explicitly if you mean NULL`);
    case "object":
      if (value === null) return null;
      if (value instanceof Date) {
        const ms = value.getTime();
        if (Number.isNaN(ms)) throw bindError(`value ${position} is an invalid Date`);
        return ms;
      }
      if (value instanceof ArrayBuffer) return value;
      if (ArrayBuffer.isView(value)) return value as unknown as ArrayBuffer;
      if (value instanceof SqlPart) throw bindError(`value ${position} is a sql helper in a list; sql.in items must be plain values`);
      throw bindError(
        `value ${position} is ${describe(value)}: wrap it with sql.json(value) to store JSON, or sql.in(list) for an IN list`,
      );
    default:
      throw bindError(`value ${position} is a ${typeof value}, which SQLite cannot store`);
  }
}

/** A `sql.in` list as the JSON text `json_each` expands. */
function jsonList(items: readonly unknown[], position: number): string {
  let converted: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const plain = typeof item === "string" || (typeof item === "number" && Number.isFinite(item)) || item === null;
    if (plain && converted === undefined) continue;
    converted ??= items.slice(0, i);
    if (plain) {
      converted.push(item);
      continue;
    }
    const bound = toBinding(item, position);
    if (typeof bound === "number" && !Number.isFinite(bound)) {
      throw bindError(`sql.in item ${i + 1} of value ${position} is ${bound}, which JSON cannot carry`);
    }
    converted.push(bound);
  }
  return JSON.stringify(converted ?? items);
}

/** `JSON.stringify`, with its TypeError (a cycle, a bigint) turned into `SQL_BIND`. */
function jsonText(value: unknown, position: number): string | undefined {
  try {
    return JSON.stringify(value);
  } catch (error) {
    throw bindError(`sql.json value ${position} cannot be written as JSON: ${(error as Error).message}`);
  }
}

function bindings(compiled: Compiled, args: readonly unknown[]): SqlStorageValue[] {
  const plan = compiled.plan;
  const out: SqlStorageValue[] = [];
  for (let i = 0; i < plan.length; i++) {
    const arg = args[i];
    switch (plan[i]) {
      case 0:
        out.push(toBinding(arg, i + 1));
        break;
      case 1: {
        const text = arg === undefined ? undefined : jsonText(arg, i + 1);
        if (text === undefined) throw bindError(`sql.json value ${i + 1} has no JSON form (undefined or a function)`);
        out.push(text);
        break;
      }
      case 2:
        out.push(jsonList(arg as unknown[], i + 1));
        break;
      default:
        for (const item of arg as unknown[]) out.push(toBinding(item, i + 1));
    }
  }
  return out;
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
      // A plain object read eagerly: measured, lazy getters cost about 1 µs per call.
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
      if (result !== null && typeof (result as { then?: unknown })?.then === "function") {
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
 * Measured in workerd (same object, interleaved, 15 rounds, bench/scenarios/s5-sql.ts sizes):
 * the IN list of 5,000 ids took 0.83× the 100-parameter chunk loop through `toArray()` and
 * 0.57× through this; a 1-row result costs about 5% more (two more native calls: `raw()`,
 * `columnNames`), 3 rows break even, so `one` and `first` keep the platform's objects.
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
  const message = error instanceof Error ? error.message : String(error);
  return new DurableCoreError("SQL_ERROR", `${message} (statement: ${preview(text)})`, { cause: error });
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
