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
import { isAsyncFunction } from "./is-async-function.js";
import { type CoreContext, translate } from "./engine.js";
import { DurableCoreError } from "./errors.js";
import { decodeKey, encodeFlat, encodeKey, guardKey, keyHasPrefix, keyLiteral, prefixDecoder } from "./store-keys.js";
import { Engine } from "./wasm/durable_core.js";
import type { StoreValue } from "./values.js";

/** One element of a key. Order across types: null < false < true < number < bigint < string < Uint8Array < tuple. */
export type KeyPart = null | boolean | number | bigint | string | Uint8Array | KeyTuple;
/** A tuple of key parts (an interface, so that RPC result types walk it without TS2589). */
export interface KeyTuple extends ReadonlyArray<KeyPart> {}

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
export interface Entry<V = StoreValue> {
  readonly key: KeyPart[];
  readonly value: V;
}

/** One secondary index: `key(value)` gives the entry's index key, or `undefined` to leave it out. */
export interface IndexDefinition<V = any> {
  key: (value: V) => Key | undefined;
  /** At most one entry per index key; a put that would break it throws `INDEX_UNIQUE`. */
  unique?: boolean;
  /**
   * Only entries whose key starts with these parts are in the index (and `key` only ever sees
   * their values): `{ prefix: ["sub"], key: (s) => s.email }`. Changing it rebuilds the index.
   */
  prefix?: Key;
  /**
   * Your label for the key function's behaviour: change it to rebuild the index when what the
   * function does changed but its text did not (a captured variable, a helper it calls).
   * Without it, the function's text (`key.toString()`) and `unique`/`prefix` are the only signals.
   */
  version?: string | number;
}

/** `static indexes` of a `DurableCore` subclass. */
export type IndexDefinitions = Record<string, IndexDefinition>;

/** Writes allowed inside {@link Store.batch}, plus reads that see the batch's own writes. */
export interface StoreTransaction {
  put(key: Key, value: unknown): void;
  delete(key: Key): boolean;
  get<V = StoreValue>(key: Key): V | undefined;
}

/** Largest value, in bytes of its serialized form: the platform's 2 MB key+value limit less a 2 KiB key. */
export const MAX_VALUE_BYTES = 2_000_000 - 2048;
/** Entries read per `kv.list` call by the lazy iterators. */
const PAGE_SIZE = 256;
/**
 * Index build chunks (of `BUILD_CHUNK_ENTRIES` = 500 entries, src/store/mod.rs) one wake runs
 * inside `blockConcurrencyWhile` before the object serves events; the rest runs one chunk per
 * macrotask afterwards. Counted in chunks, not milliseconds: in production `Date.now()` does not
 * advance during synchronous code, so a time budget would never run out. 4 chunks = 2,000
 * entries ≈ 4-12 ms at the measured 2-6 µs per entry (plus the user's key function), so a store
 * of up to 2,000 entries has its indexes ready when the wake ends.
 */
const WAKE_BUILD_CHUNKS = 4;

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

/**
 * Runs a stateless codec call (`Engine.storeEncode/storeDecode/storeRange`, which `encodeKey`
 * and `decodeKey` may make): core errors become `DurableCoreError` and a trap resets the engine,
 * as in `core.call`, but no handle is created and no store opened for it.
 */
function codec<T>(op: () => T): T {
  try {
    return op();
  } catch (error) {
    throw translate(error);
  }
}

/** The kv key of `key` outside any engine call (see {@link codec}). */
function encodeKeyOutside(key: Key): string {
  return codec(() => encodeKey(key));
}

/** One page of a paged read and the position to resume after (its last item's). */
interface Page<T, C> {
  items: T[];
  last: C | undefined;
}

/**
 * Reads at most `limit` items (all when undefined) page by page: `read(size, after)` returns up
 * to `size` items following the position `after` (the first page when undefined).
 */
function* paged<T, C>(limit: number | undefined, read: (size: number, after: C | undefined) => Page<T, C>): Generator<T> {
  let remaining = limit ?? Infinity;
  let after: C | undefined;
  while (remaining > 0) {
    const size = Math.min(PAGE_SIZE, remaining);
    const page = read(size, after);
    yield* page.items;
    remaining -= page.items.length;
    if (page.items.length < size) return;
    after = page.last;
  }
}

/** The `kv.list` options of one page of `options`: `size` entries following the kv key `after`. */
function kvPage(options: KvListOptions, size: number, after: string | undefined): KvListOptions {
  const page: KvListOptions = { ...options, limit: size };
  if (after !== undefined) {
    if (options.reverse) {
      page.end = after;
    } else {
      delete page.start;
      page.startAfter = after;
    }
  }
  return page;
}

/** The kv keys of one page (see {@link kvPage}). */
function kvKeysPage(kv: SyncKv, options: KvListOptions, size: number, after: string | undefined): Page<string, string> {
  const items: string[] = [];
  for (const [kvKey] of kv.list(kvPage(options, size, after))) items.push(kvKey);
  return { items, last: items[items.length - 1] };
}


function isThenable(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/** Throws `ARGUMENT` unless `range` is a range object (or absent), and guards its keys' size. */
function checkRange(range: unknown): void {
  if (range === undefined) return;
  if (range === null || typeof range !== "object" || Array.isArray(range)) {
    throw new DurableCoreError(
      "ARGUMENT",
      `a range is an object { prefix?, start?, startAfter?, end?, reverse?, limit? }, got ${range === null ? "null" : Array.isArray(range) ? "an array" : typeof range}`,
    );
  }
  const { prefix, start, startAfter, end, limit } = range as Range;
  // Checked here as well as in the core: index listings page by their own limits.
  if (limit !== undefined && !(typeof limit === "number" && Number.isInteger(limit) && limit >= 0)) {
    throw new DurableCoreError("ARGUMENT", `invalid argument \`limit\`: must be a whole number ≥ 0, got ${String(limit)}`);
  }
  if (prefix !== undefined) guardKey(prefix, "range.prefix");
  if (start !== undefined) guardKey(start, "range.start");
  if (startAfter !== undefined) guardKey(startAfter, "range.startAfter");
  if (end !== undefined) guardKey(end, "range.end");
}

/** A key function's throw, as the error of the write (or build) it stopped. */
function keyFunctionError(index: string, key: unknown, error: unknown): DurableCoreError {
  return new DurableCoreError(
    "INDEX_KEY_FUNCTION",
    `index \`${index}\`'s key function threw for entry ${keyLiteral(key)}: ${describeError(error)}; nothing was written`,
    { cause: error },
  );
}

/** One declared index as the core reads it. */
interface DeclaredIndex {
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
function declare(name: string, definition: IndexDefinition | undefined): DeclaredIndex {
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

function batchMustBeSynchronous(what: string): DurableCoreError {
  return new DurableCoreError(
    "TRANSACTION_ASYNC",
    `store.batch(fn): ${what}; a batch must be synchronous (no await), or its later writes would commit outside the transaction`,
  );
}

/** What a {@link StoreIndex} needs of its store. */
interface IndexHost {
  /** Runs `op` on the object's handle with the store opened. */
  call<T>(op: (engine: Engine) => T): T;
  kv(): SyncKv;
  /** Whether an index lookup may be added to the read cache now. */
  mayFill(): boolean;
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
  readonly #declared: DeclaredIndex[];
  #openedEpoch = -1;
  /** Index names whose keys each put computes, in the core's order (refreshed when a build fails one). */
  #maintained: string[] = [];
  #batching = false;
  /**
   * True from an index write until the end of its synchronous turn: no index lookup is cached
   * meanwhile. Any transaction around the write (`batch`, `this.sql.transaction`, a raw
   * `ctx.storage.transactionSync`) is synchronous, so it has committed or rolled back by the time
   * the turn's microtasks run; a lookup cached before then could describe rolled-back rows.
   */
  #indexWritesThisTurn = false;
  #building: Promise<void> | null = null;
  #kvStorage: SyncKv | undefined;
  readonly #host: IndexHost = {
    call: (op) => this.#call(op),
    kv: () => this.#kv,
    mayFill: () => !this.#indexWritesThisTurn,
  };

  constructor(core: CoreContext, definitions: IndexDefinitions = {}) {
    this.#core = core;
    this.#definitions = definitions;
    if (definitions === null || typeof definitions !== "object") {
      throw new DurableCoreError("INDEX_DEFINITION", "static indexes is an object { name: { key, unique?, prefix?, version? } }");
    }
    this.#declared = Object.entries(definitions).map(([name, definition]) => declare(name, definition));
  }

  /** `ctx.storage.kv`, read once: the platform getter is a runtime call on every hot-path operation. */
  get #kv(): SyncKv {
    return (this.#kvStorage ??= this.#core.ctx.storage.kv as unknown as SyncKv);
  }

  /**
   * Runs `op` on this object's handle, opening the store on it first if the handle is new. Only
   * for operations that need the object's index state (writes, index reads, builds): stateless
   * codec work goes through {@link codec}.
   */
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

  /** Called before every write of index rows: see {@link Store.#indexWritesThisTurn}. */
  #indexWrite(): void {
    if (this.#indexWritesThisTurn) return;
    this.#indexWritesThisTurn = true;
    queueMicrotask(() => {
      this.#indexWritesThisTurn = false;
    });
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
    this.#putSlow(key, value);
  }

  /**
   * The rest of {@link Store.put}, apart so that `put` itself captures nothing in a closure: a
   * captured parameter makes V8 allocate a context on every call, fast path included.
   */
  #putSlow(key: Key, value: unknown): void {
    const maintained = this.#call(() => this.#maintained);
    if (maintained.length === 0) {
      this.#kv.put(encodeFlat(key) ?? encodeKeyOutside(key), value);
      return;
    }
    guardKey(key);
    // User code runs outside any engine call, before anything is written: a throw there writes
    // nothing, and a trap it causes cannot leave this call holding a dead instance's handle.
    const indexKeys = this.#indexKeys(maintained, key, value);
    this.#call((engine) => {
      // The handle was replaced while the key functions ran (a trap): the store was reopened,
      // and the keys must follow its list of maintained indexes.
      const keys = this.#maintained === maintained ? indexKeys : this.#indexKeys(this.#maintained, key, value);
      this.#indexWrite();
      this.#atomically(() => this.#kv.put(engine.storePut(key, keys), value));
    });
  }

  /**
   * Each maintained index's key for the entry `key`: `undefined` for an index whose prefix does
   * not cover it (its key function never sees the value). A throw becomes `INDEX_KEY_FUNCTION`.
   */
  #indexKeys(maintained: readonly string[], key: Key, value: unknown): (Key | undefined)[] {
    return maintained.map((name) => {
      const definition = this.#definitions[name]!;
      if (definition.prefix !== undefined && !keyHasPrefix(key, definition.prefix)) return undefined;
      let indexKey: Key | undefined;
      try {
        indexKey = definition.key(value);
      } catch (error) {
        throw keyFunctionError(name, key, error);
      }
      if (indexKey !== undefined) guardKey(indexKey, `index \`${name}\`'s key for entry ${keyLiteral(key)}`);
      return indexKey;
    });
  }

  /** The value under `key`, or `undefined`. */
  get<V = StoreValue>(key: Key): V | undefined {
    // The common flat key needs no engine call at all.
    // `encodeKeyOutside` keeps `key` out of a closure here (see {@link Store.#putSlow}).
    return this.#kv.get(encodeFlat(key) ?? encodeKeyOutside(key)) as V | undefined;
  }

  has(key: Key): boolean {
    return this.get(key) !== undefined;
  }

  /** The values under `keys`, in the same order (`undefined` where absent). */
  getMany<V = StoreValue>(keys: readonly Key[]): (V | undefined)[] {
    if (!Array.isArray(keys)) throw new DurableCoreError("KEY_TYPE", `getMany takes an array of keys, got ${keyLiteral(keys)}`);
    const kv = this.#kv;
    return codec(() => keys.map((key) => kv.get(encodeKey(key)) as V | undefined));
  }

  /** Deletes `key` and its index entries; true when it existed. */
  delete(key: Key): boolean {
    guardKey(key);
    return this.#call((engine) => {
      // With no index declared, `storeOpen` has dropped every index row: nothing to maintain.
      if (this.#declared.length === 0) return this.#kv.delete(encodeKey(key));
      this.#indexWrite();
      return this.#atomically(() => this.#kv.delete(engine.storeDelete(key)));
    });
  }

  /** Runs related writes in one transaction, or in the batch's when one is open. */
  #atomically<T>(fn: () => T): T {
    return this.#batching ? fn() : this.#core.ctx.storage.transactionSync(fn);
  }

  /** The entries in `range`, read at once. */
  list<V = StoreValue>(range: Range = {}): Entry<V>[] {
    checkRange(range);
    return codec(() => {
      const options = Engine.storeRange(range) as KvListOptions | null;
      if (options === null) return [];
      const entries: Entry<V>[] = [];
      const decode = prefixDecoder(range.prefix);
      for (const [kvKey, value] of this.#kv.list(options)) entries.push({ key: decode(kvKey) as KeyPart[], value: value as V });
      return entries;
    });
  }

  /** The entries in `range`, read lazily page by page. Do not `await` inside the loop if you need a consistent view. */
  *entries<V = StoreValue>(range: Range = {}): Generator<Entry<V>> {
    checkRange(range);
    const options = codec(() => Engine.storeRange(range)) as KvListOptions | null;
    if (options === null) return;
    const kv = this.#kv;
    const decode = prefixDecoder(range.prefix);
    yield* paged(options.limit, (size, after: string | undefined) =>
      codec(() => {
        const items: Entry<V>[] = [];
        let last: string | undefined;
        for (const [kvKey, value] of kv.list(kvPage(options, size, after))) {
          items.push({ key: decode(kvKey) as KeyPart[], value: value as V });
          last = kvKey;
        }
        return { items, last };
      }),
    );
  }

  /** How many entries `range` holds (at most `limit`). */
  count(range: Range = {}): number {
    checkRange(range);
    const options = codec(() => Engine.storeRange(range)) as KvListOptions | null;
    if (options === null) return 0;
    const kv = this.#kv;
    let count = 0;
    for (const _ of paged(options.limit, (size, after: string | undefined) => kvKeysPage(kv, options, size, after))) count += 1;
    return count;
  }

  /** Deletes every entry in `range` (at most `limit`) with their index entries, atomically; returns how many. */
  deleteRange(range: Range = {}): number {
    checkRange(range);
    return this.#call((engine) => {
      const options = Engine.storeRange(range) as KvListOptions | null;
      if (options === null) return 0;
      const indexed = this.#declared.length > 0;
      if (indexed) this.#indexWrite();
      return this.#atomically(() => {
        const kv = this.#kv;
        const keys = [...paged(options.limit, (size, after: string | undefined) => kvKeysPage(kv, options, size, after))];
        for (const kvKey of keys) kv.delete(kvKey);
        if (keys.length > 0 && indexed) engine.storeDeleteSpan(keys[0]!, keys[keys.length - 1]!);
        return keys.length;
      });
    });
  }

  /**
   * Runs `fn` atomically: every write inside it commits together, and a throw writes nothing.
   * `fn` must be synchronous: an `async` function is refused before it runs, and a function that
   * returns a promise (or any thenable) has its batch rolled back; both throw `TRANSACTION_ASYNC`
   * (as `this.sql.transaction` does).
   */
  batch<T>(fn: (tx: StoreTransaction) => T): T {
    if (typeof fn !== "function") throw new DurableCoreError("ARGUMENT", `store.batch takes a function, got ${typeof fn}`);
    if (isAsyncFunction(fn)) throw batchMustBeSynchronous("fn is an async function");
    if (this.#batching) return this.#runBatch(fn);
    // Opens the store before the transaction (opening inside it would be undone by a rollback
    // while this object went on believing it open), but holds no handle across `fn`: user code
    // may trap the engine, and each write inside resolves the current handle itself.
    this.#call(() => undefined);
    return this.#core.ctx.storage.transactionSync(() => {
      this.#batching = true;
      try {
        return this.#runBatch(fn);
      } finally {
        this.#batching = false;
      }
    });
  }

  #runBatch<T>(fn: (tx: StoreTransaction) => T): T {
    const result = fn(this.#transaction());
    if (isThenable(result)) throw batchMustBeSynchronous("fn returned a promise (the batch was rolled back)");
    return result;
  }

  #transaction(): StoreTransaction {
    return {
      put: (key, value) => this.put(key, value),
      delete: (key) => this.delete(key),
      get: <V>(key: Key) => this.get<V>(key),
    };
  }

  /** A secondary index declared in `static indexes`. Throws `INDEX_UNKNOWN` for any other name. */
  index<V = StoreValue>(name: string): StoreIndex<V> {
    if (typeof name !== "string" || !Object.hasOwn(this.#definitions, name)) {
      const known = Object.keys(this.#definitions);
      throw new DurableCoreError(
        "INDEX_UNKNOWN",
        `unknown index \`${name}\`; declared: ${known.length > 0 ? known.join(", ") : "none (add static indexes = { ... })"}`,
      );
    }
    return new StoreIndex<V>(this.#host, name);
  }

  /**
   * Resolves when every declared index is built (immediately when none is pending); rejects with
   * the build's error when an index could not be built (`INDEX_UNIQUE` for duplicates under a
   * unique index, `INDEX_KEY_FUNCTION` for a key function that threw, `KEY_TYPE` or
   * `KEY_TOO_LARGE` for an index key that is not one).
   */
  ready(): Promise<void> {
    return (this.#building ??= this.#buildAll().finally(() => {
      this.#building = null;
    }));
  }

  /**
   * @internal Wake-time work, inside `blockConcurrencyWhile`: opens the store and builds at most
   * {@link WAKE_BUILD_CHUNKS} index chunks, then leaves the rest to the background. Never throws:
   * a throw would reset the object, and the next wake would fail the same way. A key function
   * that throws fails its index (see {@link Store.#buildChunk}); anything else is logged and
   * retried by the background build.
   */
  wake(): void {
    if (this.#declared.length === 0) return;
    try {
      for (let chunk = 0; chunk < WAKE_BUILD_CHUNKS; chunk++) {
        if (!this.#buildChunk()) return;
      }
    } catch (error) {
      console.error("durable-core: building store indexes during the wake failed; retrying in the background:", error);
    }
    setTimeout(() => {
      this.ready().catch((error: unknown) => {
        console.error("durable-core: a store index is not usable; its queries and `this.store.ready()` throw:", error);
      });
    }, 0);
  }

  async #buildAll(): Promise<void> {
    while (this.#buildChunk()) {
      // Let other events in between chunks: a long build never holds the object.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (this.#declared.length > 0) this.#call((engine) => engine.storeFailure());
  }

  /**
   * Builds one chunk; false when nothing is left to build. The user's key functions run between
   * two engine calls, never inside one; one that throws fails its index with the reason (queries
   * then throw `INDEX_UNIQUE` saying so) instead of failing the build forever.
   */
  #buildChunk(): boolean {
    const core = this.#core;
    const step = this.#call((engine) => engine.storeBuildStep()) as {
      index: string;
      options: KvListOptions | null;
      limit: number;
    } | null;
    if (step === null) return false;
    const epoch = core.epoch;
    const keyOf = this.#definitions[step.index]!.key;
    const kvKeys: string[] = [];
    const keys: (Key | undefined)[] = [];
    let thrown: { kvKey: string; error: unknown; code: "INDEX_KEY_FUNCTION" | "KEY_TOO_LARGE" } | undefined;
    if (step.options !== null) {
      for (const [kvKey, value] of this.#kv.list(step.options)) {
        kvKeys.push(kvKey);
        let indexKey: Key | undefined;
        try {
          indexKey = keyOf(value);
        } catch (error) {
          thrown = { kvKey, error, code: "INDEX_KEY_FUNCTION" };
          break;
        }
        try {
          if (indexKey !== undefined) guardKey(indexKey, "the key its key function gave");
        } catch (error) {
          thrown = { kvKey, error, code: "KEY_TOO_LARGE" };
          break;
        }
        keys.push(indexKey);
      }
    }
    // A key function that trapped the engine leaves the step stale: plan it again.
    if (core.epoch !== epoch) return true;
    const complete = kvKeys.length < step.limit;
    const failed = thrown;
    this.#indexWrite();
    this.#call((engine) => {
      const failure = core.ctx.storage.transactionSync(() =>
        failed === undefined
          ? engine.storeBuildChunk(step.index, kvKeys, keys, complete)
          : engine.storeBuildFail(step.index, failed.kvKey, describeError(failed.error), failed.code),
      );
      if (failure !== undefined) {
        // The failed index is no longer maintained: the keys of later puts follow the new list.
        this.#maintained = engine.storeMaintained();
        console.error(`durable-core: index \`${step.index}\` could not be built: ${failure}`);
      }
    });
    return true;
  }
}

/** A user error as one line for an index failure reason, cut short: it is kept in the engine and in SQLite. */
function describeError(error: unknown): string {
  let text: string;
  try {
    text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  } catch {
    text = "a value that cannot be shown";
  }
  return text.length > 500 ? `${text.slice(0, 500)}…` : text;
}

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
    const primaryKeys = host.call((engine) => engine.storeIndexGet(this.#name, key, host.mayFill()));
    const kv = host.kv();
    for (const kvKey of primaryKeys) {
      const value = kv.get(kvKey);
      if (value !== undefined) return { key: codec(() => decodeKey(kvKey)) as KeyPart[], value: value as V };
    }
    return undefined;
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
    // A page is a flat [indexKey0, primaryKey0, indexKey1, ...]; the next resumes after its last pair.
    yield* paged(range.limit, (size, after: [string, string] | undefined) => {
      const page = host.call((engine) => engine.storeIndexList(this.#name, { ...range, limit: size }, after?.[0], after?.[1]));
      return codec(() => {
        const items: Entry<V>[] = [];
        for (let i = 1; i < page.length; i += 2) {
          const kvKey = page[i]!;
          items.push({ key: decodeKey(kvKey) as KeyPart[], value: kv.get(kvKey) as V });
        }
        const last: [string, string] | undefined = page.length >= 2 ? [page[page.length - 2]!, page[page.length - 1]!] : undefined;
        return { items, last };
      });
    });
  }

  /** How many entries have an index key in `range` (at most `limit`). */
  count(range: Range = {}): number {
    checkRange(range);
    return this.#host.call((engine) => engine.storeIndexCount(this.#name, range));
  }
}
