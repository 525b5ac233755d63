/**
 * From a template and its values to a statement `ctx.storage.sql.exec` runs: final text and
 * bindings.
 *
 * The Rust core compiles a template (its strings and the *shapes* of its values) into final SQL
 * text, a binding plan and the statement checks, once per call site and shape; this module
 * caches that per `TemplateStringsArray` and binds the values by the plan (`sql-bind.ts`). A
 * query whose values are all plain therefore makes no wasm call after its first run.
 */
import type { CoreContext } from "./core-context.js";
import { DurableCoreError } from "./errors.js";
import { FRAGMENT_DEPTH_MESSAGE, MAX_FRAGMENT_DEPTH } from "./generated/core.js";
import { bindings, isBlob, toBinding } from "./sql-bind.js";
import { SqlFragment, SqlId, SqlIn, SqlJoin, SqlJson, SqlPart, SqlRaw } from "./sql-template.js";
import { sqlCompile, type CompiledSql, type Hole, type Template } from "./wasm/durable_core.js";

/** A prepared call: final text and bindings. */
export interface Statement {
  sql: string;
  bindings: SqlStorageValue[];
}

/**
 * The platform's limit on a statement's text, 100 KB. A template whose text (strings, `sql.raw`
 * texts, join separators, identifiers) is longer in UTF-16 units is longer in bytes too: it is
 * refused here, before it would be copied into the shared engine to be compiled.
 */
export const MAX_STATEMENT_CHARS = 100_000;

/** `SQL_TEMPLATE`: the template itself needs fixing. */
export function templateError(message: string): DurableCoreError {
  return new DurableCoreError("SQL_TEMPLATE", message);
}

/**
 * The statement for a tagged template (or a `` sql`...` `` fragment run on its own) and its
 * values. `values` is the caller's rest array, fresh per call and nobody else's: on the plain
 * path it becomes the bindings, each value converted in place (a fragment's values are copied
 * first, being the fragment's).
 */
export function prepare(core: CoreContext, strings: TemplateStringsArray | SqlFragment, values: unknown[]): Statement {
  if (strings instanceof SqlFragment) {
    values = strings.values.slice();
    strings = strings.strings as TemplateStringsArray;
  }
  // The hot path: plain values only, one pass, the compiled text cached per call site.
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const type = typeof value;
    // Text and numbers bind as they are.
    if (type === "string" || type === "number") continue;
    // A Date compiles to `CAST(? AS INTEGER)`: the platform binds every number as REAL. The
    // values converted so far convert to themselves again there.
    if (type === "object" && (value instanceof SqlPart || value instanceof Date)) {
      return prepareShaped(core, strings, values);
    }
    values[i] = toBinding(value, i + 1);
  }
  let compiled: CompiledSql | undefined;
  // Most loops run one call site over and over: its strings are checked before the WeakMap.
  if (strings === lastStrings) {
    compiled = lastCompiled!;
  } else {
    compiled = plainCache.get(strings);
    if (compiled === undefined) {
      checkStrings(strings);
      compiled = compile(core, { strings: [...strings], holes: values.map(() => ({ kind: "value" })) });
      plainCache.set(strings, compiled);
    }
    lastStrings = strings;
    lastCompiled = compiled;
  }
  return { sql: compiled.sql, bindings: values as SqlStorageValue[] };
}

// ---------------------------------------------------------------------------------------------
// Internals

/** Templates whose values are all plain: the hot path, one entry per call site. */
const plainCache = new WeakMap<readonly string[], CompiledSql>();
/** The last call site of the plain path and its entry of {@link plainCache}. */
let lastStrings: readonly string[] | undefined;
let lastCompiled: CompiledSql | undefined;
/** Other shapes, per call site; bounded because `sql.id`/`sql.raw` texts may vary freely. */
const shapeCache = new WeakMap<readonly string[], Map<string, CompiledSql>>();
const MAX_SHAPES_PER_SITE = 64;
/** Small stable ids for nested strings arrays, so shape keys can name them. */
const stringsIds = new WeakMap<readonly string[], number>();
let nextStringsId = 1;

/** Templates with `sql.*` parts: cached per call site and shape (the shape key is built here). */
function prepareShaped(core: CoreContext, strings: readonly string[], values: unknown[]): Statement {
  const args: unknown[] = [];
  const key = flatten(values, args);
  let shapes = shapeCache.get(strings);
  let compiled = shapes?.get(key);
  if (compiled === undefined) {
    checkStrings(strings);
    const holes: Hole[] = [];
    flatten(values, [], holes);
    compiled = compile(core, { strings: [...strings], holes });
    if (shapes === undefined) shapeCache.set(strings, (shapes = new Map()));
    if (shapes.size >= MAX_SHAPES_PER_SITE) shapes.clear();
    shapes.set(key, compiled);
  }
  return { sql: compiled.sql, bindings: bindings(compiled.plan, args) };
}

function compile(core: CoreContext, template: Template): CompiledSql {
  const chars = templateChars(template);
  if (chars > MAX_STATEMENT_CHARS) {
    throw templateError(
      `the statement's text is ${chars} characters long, more than the platform's ${MAX_STATEMENT_CHARS / 1000} KB: bind long values with \${value} instead of splicing them with sql.raw`,
    );
  }
  return core.call(() => sqlCompile(template));
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
function templateChars(template: Template): number {
  let chars = 0;
  // Iterative: nesting is bounded by flatten already, but a walk needs no stack at all.
  const pending: Template[] = [template];
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

function stringsId(strings: readonly string[]): number {
  let id = stringsIds.get(strings);
  if (id === undefined) {
    id = nextStringsId++;
    stringsIds.set(strings, id);
  }
  return id;
}

/**
 * Flattens `values` (depth first) into `args`, one per value-carrying hole, and returns the
 * shape key; `holes`, when given, receives the wire shapes for the core. `depth` counts the
 * fragments and join parts around `values`: past {@link MAX_FRAGMENT_DEPTH} it throws
 * `SQL_TEMPLATE`, so neither this recursion nor the core's ever goes deep.
 */
function flatten(values: readonly unknown[], args: unknown[], holes?: Hole[], depth = 0): string {
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
      if (depth >= MAX_FRAGMENT_DEPTH) throw templateError(FRAGMENT_DEPTH_MESSAGE);
      const inner: Hole[] | undefined = holes && [];
      key += `f${stringsId(value.strings)}(${flatten(value.values, args, inner, depth + 1)})`;
      if (holes && inner) holes.push({ kind: "fragment", strings: [...value.strings], holes: inner });
    } else if (value instanceof SqlJoin) {
      if (depth >= MAX_FRAGMENT_DEPTH) throw templateError(FRAGMENT_DEPTH_MESSAGE);
      key += `J${value.separator.length}:${value.separator}${value.parts.length}(`;
      const parts: Template[] = [];
      for (const part of value.parts) {
        const inner: Hole[] | undefined = holes && [];
        key += `${stringsId(part.strings)}(${flatten(part.values, args, inner, depth + 1)})`;
        if (inner) parts.push({ strings: [...part.strings], holes: inner });
      }
      holes?.push({ kind: "join", parts, separator: value.separator });
      key += ")";
    }
  }
  return key;
}
