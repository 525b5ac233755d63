/**
 * `this.store`: ordered storage with typed tuple keys, range scans, atomic batches and
 * secondary indexes.
 *
 * The Rust core owns the key codec (typed keys → strings whose UTF-8 order is the key order),
 * range planning and the index rows (`_dc_store_index`). Values live in the native sync
 * `ctx.storage.kv` under the encoded key: measured in workerd, `kv.put` ≈ 1.6 µs and `kv.get`
 * ≈ 1.7 µs against ≈ 2.8 µs / 3.9 µs for a `sql.exec` insert / select, and on SQLite-backed
 * objects kv shares the database, so a kv write and its index rows commit together in one
 * `transactionSync`. This file checks values, runs the user's index key functions (Rust never
 * calls user code), and talks to kv; each operation crosses into wasm at most once (flat keys of
 * strings, numbers, booleans and null are encoded in JS by `store-keys.ts`, which matches the
 * Rust codec exactly).
 */
import type { CoreContext } from "./engine.js";
import { DurableCoreError } from "./errors.js";
import { decodeKey, encodeFlat, encodeKey, prefixDecoder } from "./store-keys.js";
import { Engine } from "./wasm/durable_core.js";

/** One element of a key. Order across types: null < false < true < number < bigint < string < Uint8Array < tuple. */
export type KeyPart = null | boolean | number | bigint | string | Uint8Array | readonly KeyPart[];

/** A key: one part, or a tuple of parts (`"a"` and `["a"]` are the same key). */
export type Key = KeyPart;

/**
 * A range of keys, with the meaning of `ctx.storage.list`: `start` inclusive, `end` exclusive.
 * `prefix: ["user", 42]` holds exactly the keys whose first elements are `"user", 42`.
 */
export interface Range {
  prefix?: Key;
  start?: Key;
  startAfter?: Key;
  end?: Key;
  reverse?: boolean;
  limit?: number;
}

/** A stored entry (a plain object, so RPC methods can return it). `key` is always a tuple (an array). */
export interface Entry<V = unknown> {
  readonly key: KeyPart[];
  readonly value: V;
}

/** One secondary index: `key(value)` gives the entry's index key, or `undefined` to leave it out. */
export interface IndexDefinition<V = any> {
  key: (value: V) => Key | undefined;
  /** At most one entry per index key; a put that would break it throws `INDEX_UNIQUE`. */
  unique?: boolean;
}

/** `static indexes` of a `DurableCore` subclass. */
export type IndexDefinitions = Record<string, IndexDefinition>;

/** Writes allowed inside {@link Store.batch}, plus reads that see the batch's own writes. */
export interface StoreTransaction {
  put(key: Key, value: unknown): void;
  delete(key: Key): boolean;
  get<V = unknown>(key: Key): V | undefined;
}

/** Largest value, in bytes of its serialized form: the platform's 2 MB key+value limit less a 2 KiB key. */
export const MAX_VALUE_BYTES = 2_000_000 - 2048;
/** Entries read per `kv.list` call by the lazy iterators. */
const PAGE_SIZE = 256;
/** Time one wake spends building indexes before the object serves events; the rest runs between events. */
const WAKE_BUILD_BUDGET_MS = 20;

interface KvListOptions {
  start?: string;
  startAfter?: string;
  end: string;
  reverse?: boolean;
  limit?: number;
}

interface SyncKv {
  get(key: string): unknown;
  put(key: string, value: unknown): void;
  delete(key: string): boolean;
  list(options: KvListOptions): Iterable<[string, unknown]>;
}

/** A plain `{ key, value }` (plain, so RPC methods can return it). */
function entry<V>(core: CoreContext, kvKey: string, value: V): Entry<V> {
  return { key: core.call(() => decodeKey(kvKey)) as KeyPart[], value };
}

/**
 * Throws `STORE_VALUE` unless `value` is JSON-compatible data or `Uint8Array` (plain objects,
 * arrays, strings, finite or not numbers, booleans, null, bigint), and returns an upper estimate
 * of its serialized size. Cycles are refused; a shared sub-object is stored twice over.
 */
function checkValue(value: unknown, path: string, ancestors: object[]): number {
  switch (typeof value) {
    case "string":
      // V8 stores Latin-1 strings one byte per character; only long strings pay for the scan.
      return (value.length > 1024 && !/[^\u0000-\u00ff]/.test(value) ? value.length : value.length * 2) + 8;
    case "number":
    case "boolean":
      return 9;
    case "bigint":
      return 16 + value.toString(16).length;
    case "undefined":
      throw new DurableCoreError("STORE_VALUE", `${path} is undefined; store null instead, or omit the property`);
    case "function":
    case "symbol":
      throw new DurableCoreError("STORE_VALUE", `${path} is a ${typeof value}, which cannot be stored`);
  }
  if (value === null) return 1;
  const object = value as object;
  if (object instanceof Uint8Array) return object.byteLength + 16;
  if (ancestors.includes(object)) throw new DurableCoreError("STORE_VALUE", `${path} refers back to itself (a cycle)`);
  ancestors.push(object);
  let size = 8;
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) size += checkValue(object[i], `${path}[${i}]`, ancestors);
  } else {
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name ?? "object";
      throw new DurableCoreError("STORE_VALUE", `${path} is a ${kind}; store plain objects, arrays and Uint8Array`);
    }
    for (const name in object) {
      const field = (object as Record<string, unknown>)[name];
      // Like JSON, an undefined property is simply absent.
      if (field !== undefined) size += name.length * 2 + checkValue(field, `${path}.${name}`, ancestors);
    }
  }
  ancestors.pop();
  return size;
}

/**
 * {@link checkValue} without the path bookkeeping: the serialized size estimate, or -1 when the
 * value would be refused (then `checkValue` runs again to say where). Building a path string per
 * field cost every put a few concatenations for messages that are almost never shown.
 */
function valueSize(value: unknown, ancestors: object[]): number {
  switch (typeof value) {
    case "string":
      return (value.length > 1024 && !/[^\u0000-\u00ff]/.test(value) ? value.length : value.length * 2) + 8;
    case "number":
    case "boolean":
      return 9;
    case "bigint":
      return 16 + value.toString(16).length;
    case "undefined":
    case "function":
    case "symbol":
      return -1;
  }
  if (value === null) return 1;
  const object = value as object;
  if (object instanceof Uint8Array) return object.byteLength + 16;
  if (ancestors.includes(object)) return -1;
  ancestors.push(object);
  let size = 8;
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      const item = valueSize(object[i], ancestors);
      if (item < 0) return -1;
      size += item;
    }
  } else {
    const prototype = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) return -1;
    for (const name in object) {
      const field = (object as Record<string, unknown>)[name];
      if (field === undefined) continue;
      const item = valueSize(field, ancestors);
      if (item < 0) return -1;
      size += name.length * 2 + item;
    }
  }
  ancestors.pop();
  return size;
}

function checkedValue(value: unknown): void {
  let size = valueSize(value, []);
  if (size < 0) size = checkValue(value, "value", []);
  if (size > MAX_VALUE_BYTES) {
    throw new DurableCoreError(
      "STORE_VALUE_TOO_LARGE",
      `value is about ${size} bytes once serialized, above the limit of ${MAX_VALUE_BYTES}; split it across several keys`,
    );
  }
}

function* listPages(kv: SyncKv, options: KvListOptions | null): Generator<[string, unknown]> {
  if (options === null) return;
  let remaining = options.limit ?? Infinity;
  const page: KvListOptions = { ...options };
  while (remaining > 0) {
    page.limit = Math.min(PAGE_SIZE, remaining);
    let last: string | undefined;
    let read = 0;
    for (const pair of kv.list(page)) {
      last = pair[0];
      read += 1;
      yield pair;
    }
    remaining -= read;
    if (last === undefined || read < page.limit) return;
    if (options.reverse) {
      page.end = last;
    } else {
      delete page.start;
      page.startAfter = last;
    }
  }
}

/**
 * `this.store`: see the README's "Ordered storage" section.
 *
 * @example
 * this.store.put(["user", 42, "session", Date.now()], { device: "ios" });
 * for (const { key, value } of this.store.entries({ prefix: ["user", 42], reverse: true, limit: 50 })) { ... }
 */
export class Store {
  readonly #core: CoreContext;
  readonly #definitions: IndexDefinitions;
  readonly #declared: { name: string; unique: boolean; source: string }[];
  #openedEpoch = -1;
  /** Index names whose keys each put computes, in the core's order. */
  #maintained: string[] = [];
  #batching = false;
  #building: Promise<void> | null = null;
  #kvStorage: SyncKv | undefined;

  constructor(core: CoreContext, definitions: IndexDefinitions = {}) {
    this.#core = core;
    this.#definitions = definitions;
    this.#declared = Object.entries(definitions).map(([name, definition]) => {
      if (typeof definition?.key !== "function") {
        throw new DurableCoreError("ARGUMENT", `static indexes.${name} needs a key function: { key: (value) => ... }`);
      }
      return { name, unique: definition.unique === true, source: definition.key.toString() };
    });
  }

  /** `ctx.storage.kv`, read once: the platform getter is a runtime call on every hot-path operation. */
  get #kv(): SyncKv {
    return (this.#kvStorage ??= this.#core.ctx.storage.kv as unknown as SyncKv);
  }

  /** Runs `op` on this object's handle, opening the store on it first if the handle is new. */
  #call<T>(op: (engine: Engine) => T): T {
    const core = this.#core;
    return core.call((engine) => {
      if (this.#openedEpoch !== core.epoch) {
        core.ctx.storage.transactionSync(() => engine.storeOpen(this.#declared));
        this.#maintained = engine.storeMaintained();
        this.#openedEpoch = core.epoch;
      }
      return op(engine);
    });
  }

  #indexKeys(value: unknown): (Key | undefined)[] {
    return this.#maintained.map((name) => this.#definitions[name]!.key(value));
  }

  /** Stores `value` under `key`, replacing what was there, and updates every index. */
  put(key: Key, value: unknown): void {
    checkedValue(value);
    // A store with no index, once opened on this object (which dropped any stale index rows),
    // needs nothing from the core for a flat key: the JS codec encodes it, and a single kv.put is
    // atomic by itself. With this path, the path-free value check and the faster number encoder,
    // S4 puts went from 1.21-1.25x to 1.16-1.21x `kv.put` (interleaved in one object); a bare
    // `kv.put` under our longer keys is 1.07-1.17x, the floor for this key form.
    if (this.#declared.length === 0 && this.#openedEpoch >= 0) {
      const kvKey = encodeFlat(key);
      if (kvKey !== undefined) {
        this.#kv.put(kvKey, value);
        return;
      }
    }
    this.#call((engine) => {
      if (this.#maintained.length === 0) {
        this.#kv.put(encodeKey(key), value);
        return;
      }
      // User code runs before anything is written; a throw there writes nothing.
      const indexKeys = this.#indexKeys(value);
      this.#atomically(() => this.#kv.put(engine.storePut(key, indexKeys), value));
    });
  }

  /** The value under `key`, or `undefined`. */
  get<V = unknown>(key: Key): V | undefined {
    // The common flat key needs no engine call at all.
    return this.#kv.get(encodeFlat(key) ?? this.#call(() => encodeKey(key))) as V | undefined;
  }

  has(key: Key): boolean {
    return this.get(key) !== undefined;
  }

  /** The values under `keys`, in the same order (`undefined` where absent). */
  getMany<V = unknown>(keys: readonly Key[]): (V | undefined)[] {
    const kv = this.#kv;
    return this.#call(() => keys.map((key) => kv.get(encodeKey(key)) as V | undefined));
  }

  /** Deletes `key` and its index entries; true when it existed. */
  delete(key: Key): boolean {
    return this.#call((engine) => {
      // With no index declared, `storeOpen` has dropped every index row: nothing to maintain.
      if (this.#declared.length === 0) return this.#kv.delete(encodeKey(key));
      return this.#atomically(() => this.#kv.delete(engine.storeDelete(key)));
    });
  }

  /** Runs related writes in one transaction, or in the batch's when one is open. */
  #atomically<T>(fn: () => T): T {
    return this.#batching ? fn() : this.#core.ctx.storage.transactionSync(fn);
  }

  /** The entries in `range`, read at once. */
  list<V = unknown>(range: Range = {}): Entry<V>[] {
    return this.#call(() => {
      const options = Engine.storeRange(range) as KvListOptions | null;
      if (options === null) return [];
      const entries: Entry<V>[] = [];
      const decode = prefixDecoder(range.prefix);
      for (const [kvKey, value] of this.#kv.list(options)) entries.push({ key: decode(kvKey) as KeyPart[], value: value as V });
      return entries;
    });
  }

  /** The entries in `range`, read lazily page by page. Do not `await` inside the loop if you need a consistent view. */
  *entries<V = unknown>(range: Range = {}): Generator<Entry<V>> {
    const options = this.#call(() => Engine.storeRange(range)) as KvListOptions | null;
    for (const [kvKey, value] of listPages(this.#kv, options)) yield entry(this.#core, kvKey, value as V);
  }

  /** How many entries `range` holds (at most `limit`). */
  count(range: Range = {}): number {
    const options = this.#call(() => Engine.storeRange(range)) as KvListOptions | null;
    let count = 0;
    for (const _ of listPages(this.#kv, options)) count += 1;
    return count;
  }

  /** Deletes every entry in `range` (at most `limit`) with their index entries, atomically; returns how many. */
  deleteRange(range: Range = {}): number {
    return this.#call((engine) => {
      const options = Engine.storeRange(range) as KvListOptions | null;
      if (options === null) return 0;
      return this.#atomically(() => {
        const kv = this.#kv;
        const keys: string[] = [];
        for (const [kvKey] of listPages(kv, options)) keys.push(kvKey);
        for (const kvKey of keys) kv.delete(kvKey);
        if (keys.length > 0 && this.#declared.length > 0) engine.storeDeleteSpan(keys[0]!, keys[keys.length - 1]!);
        return keys.length;
      });
    });
  }

  /**
   * Runs `fn` atomically: every write inside it commits together, and a throw writes nothing.
   * `fn` must be synchronous.
   */
  batch<T>(fn: (tx: StoreTransaction) => T): T {
    if (this.#batching) return fn(this.#transaction());
    return this.#call((engine) =>
      this.#core.ctx.storage.transactionSync(() => {
        this.#batching = true;
        engine.storeBatching(true);
        try {
          const result = fn(this.#transaction());
          if (result instanceof Promise) {
            throw new DurableCoreError("ARGUMENT", "store.batch(fn): fn returned a Promise; a batch must be synchronous (no await)");
          }
          return result;
        } finally {
          this.#batching = false;
          engine.storeBatching(false);
        }
      }),
    );
  }

  #transaction(): StoreTransaction {
    return {
      put: (key, value) => this.put(key, value),
      delete: (key) => this.delete(key),
      get: <V>(key: Key) => this.get<V>(key),
    };
  }

  /** A secondary index declared in `static indexes`. Throws `INDEX_UNKNOWN` for any other name. */
  index<V = unknown>(name: string): StoreIndex<V> {
    if (!Object.hasOwn(this.#definitions, name)) {
      const known = Object.keys(this.#definitions);
      throw new DurableCoreError(
        "INDEX_UNKNOWN",
        `unknown index \`${name}\`; declared: ${known.length > 0 ? known.join(", ") : "none (add static indexes = { ... })"}`,
      );
    }
    return new StoreIndex<V>(this.#core, (op) => this.#call(op), name);
  }

  /** Resolves when every declared index is built (immediately when none is pending). */
  ready(): Promise<void> {
    return (this.#building ??= this.#buildAll().finally(() => {
      this.#building = null;
    }));
  }

  /** @internal Wake-time work: opens the store and builds pending indexes for a short while, then in the background. */
  wake(): void {
    if (this.#declared.length === 0) return;
    const deadline = Date.now() + WAKE_BUILD_BUDGET_MS;
    while (Date.now() <= deadline) {
      if (!this.#buildChunk()) return;
    }
    void this.ready();
  }

  async #buildAll(): Promise<void> {
    while (this.#buildChunk()) {
      // Let other events in between chunks: a long build never holds the object.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  }

  /** Builds one chunk; false when nothing is left to build. */
  #buildChunk(): boolean {
    return this.#call((engine) => {
      const step = engine.storeBuildStep() as { index: string; options: KvListOptions | null; limit: number } | null;
      if (step === null) return false;
      const definition = this.#definitions[step.index]!;
      const kvKeys: string[] = [];
      const keys: (Key | undefined)[] = [];
      if (step.options !== null) {
        for (const [kvKey, value] of this.#kv.list(step.options)) {
          kvKeys.push(kvKey);
          keys.push(definition.key(value));
        }
      }
      const failure = this.#core.ctx.storage.transactionSync(() =>
        engine.storeBuildChunk(step.index, kvKeys, keys, kvKeys.length < step.limit),
      );
      if (failure !== undefined) {
        console.error(`durable-core: unique index \`${step.index}\` could not be built: ${failure}`);
      }
      return true;
    });
  }
}

/** A secondary index: reads primary entries by their index key. */
export class StoreIndex<V = unknown> {
  readonly #core: CoreContext;
  readonly #call: <T>(op: (engine: Engine) => T) => T;
  readonly #name: string;

  /** @internal */
  constructor(core: CoreContext, call: <T>(op: (engine: Engine) => T) => T, name: string) {
    this.#core = core;
    this.#call = call;
    this.#name = name;
  }

  get #kv(): SyncKv {
    return this.#core.ctx.storage.kv as unknown as SyncKv;
  }

  /** The first entry (in primary key order) whose index key is `key`, or `undefined`. */
  get(key: Key): Entry<V> | undefined {
    const primaryKeys = this.#call((engine) => engine.storeIndexGet(this.#name, key));
    for (const kvKey of primaryKeys) {
      const value = this.#kv.get(kvKey);
      if (value !== undefined) return entry(this.#core, kvKey, value as V);
    }
    return undefined;
  }

  /** The entries whose index key is in `range`, in index key order then primary key order. */
  list(range: Range = {}): Entry<V>[] {
    return [...this.entries(range)];
  }

  /** Like {@link StoreIndex.list}, read lazily page by page. */
  *entries(range: Range = {}): Generator<Entry<V>> {
    let remaining = range.limit ?? Infinity;
    let resume: [string, string] | undefined;
    while (remaining > 0) {
      const limit = Math.min(PAGE_SIZE, remaining);
      const page = this.#call((engine) =>
        engine.storeIndexList(this.#name, { ...range, limit }, resume?.[0], resume?.[1]),
      );
      for (let i = 0; i + 1 < page.length; i += 2) {
        const kvKey = page[i + 1]!;
        yield entry(this.#core, kvKey, this.#kv.get(kvKey) as V);
      }
      const rows = page.length / 2;
      remaining -= rows;
      if (rows < limit) return;
      resume = [page[page.length - 2]!, page[page.length - 1]!];
    }
  }

  /** How many entries have an index key in `range` (at most `limit`). */
  count(range: Range = {}): number {
    return this.#call((engine) => engine.storeIndexCount(this.#name, range));
  }
}
