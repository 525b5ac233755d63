/**
 * Secondary indexes: checking `static indexes` before anything of it reaches the engine, and
 * `StoreIndex`, the reads by index key. The index rows themselves are the core's
 * (`_dc_store_index`); the store runs the key functions and builds them (store.ts).
 */
import { DurableCoreError } from "./errors.js";
import { errorText } from "./kernel/error-text.js";
import { codec, checkRange, paged, type SyncKv } from "./store-kv.js";
import { decodeKey, encodeKey, guardKey, keyLiteral } from "./store-keys.js";
import type { Entry, IndexDefinition, Key, KeyPart, Range } from "./store-types.js";
import type { Engine, IndexPageEntry } from "./wasm/durable_core.js";
import type { StoreValue } from "./values.js";

/** A secondary index: reads primary entries by their index key. */
export class StoreIndex<V = StoreValue> {
  readonly #host: IndexHost;
  readonly #name: string;

  /** @internal */
  constructor(host: IndexHost, name: string) {
    this.#host = host;
    this.#name = name;
  }

  /** The first entry (in primary key order) whose index key is `key`, or `undefined`. */
  get(key: Key): Entry<V> | undefined {
    guardKey(key);
    const host = this.#host;
    const name = this.#name;
    const primaryKeys = host.call((engine) => engine.storeIndexGet(name, key, host.mayFill()));
    const entry = this.#first(primaryKeys);
    if (entry !== undefined || primaryKeys.length === 0) return entry;
    // Index rows and entries commit together, so a looked-up entry that kv does not hold means
    // the storage changed behind the store (a raw `ctx.storage.deleteAll()`) and the answer came
    // from the read cache: ask SQLite instead, which also notices a wiped storage.
    return this.#first(
      host.call((engine) => {
        engine.storeIndexForget(name, key);
        return engine.storeIndexGet(name, key, host.mayFill());
      }),
    );
  }

  /** The entries whose index key is in `range`, in index key order then primary key order. */
  list(range: Range = {}): Entry<V>[] {
    return [...this.entries(range)];
  }

  /** Like {@link StoreIndex.list}, read lazily page by page. */
  *entries(range: Range = {}): Generator<Entry<V>> {
    checkRange(range);
    const host = this.#host;
    const kv = host.kv();
    // The next page resumes after the last entry of this one.
    yield* paged(range.limit, (size, after: IndexPageEntry | undefined) => {
      const { entries } = host.call((engine) =>
        engine.storeIndexList(this.#name, { ...range, limit: size }, after?.indexKey, after?.primaryKey),
      );
      return codec(() => ({
        items: entries.map(({ primaryKey }): Entry<V> => ({ key: decodeKey(primaryKey) as KeyPart[], value: kv.get(primaryKey) as V })),
        last: entries[entries.length - 1],
      }));
    });
  }

  /** How many entries have an index key in `range` (at most `limit`). */
  count(range: Range = {}): number {
    checkRange(range);
    return this.#host.call((engine) => engine.storeIndexCount(this.#name, range));
  }

  /** The first of `primaryKeys` that kv holds, as an entry. */
  #first(primaryKeys: readonly string[]): Entry<V> | undefined {
    const kv = this.#host.kv();
    for (const kvKey of primaryKeys) {
      const value = kv.get(kvKey);
      if (value !== undefined) return { key: codec(() => decodeKey(kvKey)) as KeyPart[], value: value as V };
    }
    return undefined;
  }
}

// ---- internals ----

/** How a key function's throw is quoted: named, so a `TypeError` says what kind of bug it is. */
export const KEY_FUNCTION_ERROR = { named: true, max: 500 };

/** A key function's throw, as the error of the write (or build) it stopped. */
export function keyFunctionError(index: string, key: unknown, error: unknown): DurableCoreError {
  return new DurableCoreError(
    "INDEX_KEY_FUNCTION",
    `index \`${index}\`'s key function threw for entry ${keyLiteral(key)}: ${errorText(error, KEY_FUNCTION_ERROR)}; nothing was written`,
    { cause: error },
  );
}

/** One declared index as the core reads it. */
export interface DeclaredIndex {
  name: string;
  unique: boolean;
  source: string;
  version?: string;
  prefix?: Key;
}

function definitionError(name: string, message: string): DurableCoreError {
  return new DurableCoreError("INDEX_DEFINITION", `static indexes.${name}: ${message}`);
}

/** Validates one `static indexes` entry (nothing of it has crossed into the engine yet). */
export function declare(name: string, definition: IndexDefinition | undefined): DeclaredIndex {
  if (definition === null || typeof definition !== "object") {
    throw definitionError(name, "an index is { key: (value) => key, unique?, prefix?, version? }");
  }
  const { key, unique, prefix, version } = definition;
  if (typeof key !== "function") throw definitionError(name, "needs a key function: { key: (value) => ... }");
  if (unique !== undefined && typeof unique !== "boolean") throw definitionError(name, "unique must be a boolean");
  if (version !== undefined && typeof version !== "string" && !(typeof version === "number" && Number.isFinite(version))) {
    throw definitionError(name, "version must be a string or a finite number");
  }
  if (typeof version === "string" && version.length > 256) throw definitionError(name, "version must be at most 256 characters");
  const declared: DeclaredIndex = { name, unique: unique === true, source: key.toString() };
  if (version !== undefined) declared.version = String(version);
  if (prefix !== undefined) {
    try {
      guardKey(prefix, "the prefix");
      codec(() => encodeKey(prefix));
    } catch (error) {
      throw definitionError(name, `prefix is not a key (${(error as Error).message})`);
    }
    declared.prefix = prefix;
  }
  return declared;
}

/** What a {@link StoreIndex} needs of its store. */
export interface IndexHost {
  /** Runs `op` on the object's handle with the store opened. */
  call<T>(op: (engine: Engine) => T): T;
  kv(): SyncKv;
  /** Whether an index lookup may be added to the read cache now. */
  mayFill(): boolean;
}
