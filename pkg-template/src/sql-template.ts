/**
 * The `sql` helper (fragments, `IN` lists, identifiers, JSON, raw text) and the per-call-site
 * cache of what the Rust core compiled from a template: final SQL text and a binding plan.
 */
import { DurableCoreError } from "./errors.js";
import { bindError, describe, isBlob } from "./sql-bind.js";
import type { CompiledSql, SqlHole, SqlTemplate } from "./wasm/durable_core.js";
import { MAX_FRAGMENT_DEPTH, MAX_IDENTIFIER_BYTES } from "./generated/core.js";

/** Base of every `sql.*` helper value, so that classification is one `instanceof`. */
export abstract class SqlPart {}

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

export class SqlIn extends SqlPart {
  constructor(readonly items: readonly unknown[]) {
    super();
  }
}

export class SqlId extends SqlPart {
  constructor(readonly name: string) {
    super();
  }
}

export class SqlJson extends SqlPart {
  constructor(readonly value: unknown) {
    super();
  }
}

export class SqlRaw extends SqlPart {
  constructor(readonly text: string) {
    super();
  }
}

export class SqlJoin extends SqlPart {
  constructor(
    readonly parts: readonly SqlFragment[],
    readonly separator: string,
  ) {
    super();
  }
}

/** The strings of a one-value fragment, shared so that its identity (and cache key) is stable. */
export const VALUE_STRINGS: readonly string[] = Object.freeze(["", ""]);

/**
 * The platform's limit on a statement's text, 100 KB. A template whose text (strings, `sql.raw`
 * texts, join separators, identifiers) is longer in UTF-16 units is longer in bytes too: it is
 * refused here, before it would be copied into the shared engine to be compiled.
 */
export const MAX_STATEMENT_CHARS = 100_000;

export function templateError(message: string): DurableCoreError {
  return new DurableCoreError("SQL_TEMPLATE", message);
}

export function tooDeep(): DurableCoreError {
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

export interface Compiled {
  sql: string;
  /** One op per flattened value: 0 bind it, 1 bind its JSON, 2 bind a list as JSON, 3 bind each item. */
  plan: Uint8Array;
}

/** Templates whose values are all plain: the hot path, one entry per call site. */
export const plainCache = new WeakMap<readonly string[], Compiled>();
/** Other shapes, per call site; bounded because `sql.id`/`sql.raw` texts may vary freely. */
export const shapeCache = new WeakMap<readonly string[], Map<string, Compiled>>();
export const MAX_SHAPES_PER_SITE = 64;
/** Small stable ids for nested strings arrays, so shape keys can name them. */
const stringsIds = new WeakMap<readonly string[], number>();
let nextStringsId = 1;

export function stringsId(strings: readonly string[]): number {
  let id = stringsIds.get(strings);
  if (id === undefined) {
    id = nextStringsId++;
    stringsIds.set(strings, id);
  }
  return id;
}

export function fromCore(compiled: CompiledSql): Compiled {
  return { sql: compiled.sql, plan: compiled.plan };
}

/**
 * Flattens `values` (depth first) into `args`, one per value-carrying hole, and returns the
 * shape key; `holes`, when given, receives the wire shapes for the core. `depth` counts the
 * fragments and join parts around `values`: past {@link MAX_FRAGMENT_DEPTH} it throws
 * `SQL_TEMPLATE`, so neither this recursion nor the core's ever goes deep.
 */
export function flatten(values: readonly unknown[], args: unknown[], holes?: SqlHole[], depth = 0): string {
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
