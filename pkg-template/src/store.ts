/**
 * `this.store`: ordered storage with typed tuple keys, range scans, atomic batches and
 * secondary indexes.
 *
 * The Rust core owns the key codec (typed keys → strings whose UTF-8 order is the key order),
 * range planning and the index rows (`_dc_store_index`). Values live in the native sync
 * `ctx.storage.kv` under the encoded key: measured faster than a `sql.exec` insert or select
 * (figures in docs/reports/facade-figures.md), and on SQLite-backed objects kv shares the
 * database, so a kv write and its index rows commit together in one `transactionSync`. This file
 * checks values, runs the user's index key functions on writes (Rust never calls user code), and
 * talks to kv; each operation crosses into wasm at most once (flat keys of strings, numbers,
 * booleans and null are encoded in JS by `store-keys.ts`, which matches the Rust codec exactly).
 * Index builds are `store-build.ts`, index reads `store-index.ts`.
 */
import { type CoreContext } from "./core-context.js";
import { DurableCoreError } from "./errors.js";
import { STORE_KEY_FORMAT } from "./generated/core.js";
import { isAsyncFunction, isThenable } from "./kernel/async.js";
import { HandleWatch } from "./kernel/handle-watch.js";
import { storeValueSize } from "./kernel/plain-data.js";
import { IndexBuilder } from "./store-build.js";
import { declare, keyFunctionError, StoreIndex, type DeclaredIndex, type IndexHost } from "./store-index.js";
import { checkRange, codec, encodeKeyOutside, kvKeysPage, kvPage, paged, type KvListOptions, type SyncKv } from "./store-kv.js";
import { encodeFlat, encodeKey, guardKey, keyFormatOf, keyHasPrefix, keyLiteral, planRange, prefixDecoder } from "./store-keys.js";
import type { Entry, IndexDefinitions, Key, KeyPart, Range, StoreTransaction } from "./store-types.js";
import type { Engine } from "./wasm/durable_core.js";
import type { StoreValue } from "./values.js";

export type { Entry, IndexDefinition, IndexDefinitions, Key, KeyPart, KeyTuple, Range, StoreTransaction } from "./store-types.js";
export { StoreIndex };

/** Largest value, in bytes of its serialized form: the platform's 2 MB key+value limit less a 2 KiB key. */
export const MAX_VALUE_BYTES = 2_000_000 - 2048;

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
  readonly #handle: HandleWatch;
  /** Whether the store was ever opened on this object (an old handle's opening counts). */
  #openedOnce = false;
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
  #kvStorage: SyncKv | undefined;
  /**
   * The key format (src/store/keys.rs `KeyFormat`) of this object's store keys, read from the
   * first stored key at the first operation of this instance: an object keeps the format its
   * keys were written in, an empty one starts in the current format.
   */
  #format: number | undefined;
  readonly #host: IndexHost = {
    call: (op) => this.#call(op),
    kv: () => this.#kv,
    mayFill: () => !this.#indexWritesThisTurn,
  };
  readonly #builder: IndexBuilder;

  /** @internal Created by the base class (`this.store`). */
  constructor(core: CoreContext, definitions: IndexDefinitions = {}) {
    this.#core = core;
    this.#handle = new HandleWatch(core);
    this.#definitions = definitions;
    if (definitions === null || typeof definitions !== "object") {
      throw new DurableCoreError("INDEX_DEFINITION", "static indexes is an object { name: { key, unique?, prefix?, version? } }");
    }
    this.#declared = Object.entries(definitions).map(([name, definition]) => declare(name, definition));
    this.#builder = new IndexBuilder({
      core,
      definitions,
      indexed: this.#declared.length > 0,
      call: (op) => this.#call(op),
      kv: () => this.#kv,
      indexWrite: () => this.#indexWrite(),
      maintainedChanged: (engine) => {
        // The failed index is no longer maintained: the keys of later puts follow the new list.
        this.#maintained = engine.storeMaintained();
      },
    });
  }

  /** Stores `value` under `key`, replacing what was there, and updates every index. */
  put(key: Key, value: unknown): void {
    checkedValue(value);
    // A store with no index, once opened on this object (which dropped any stale index rows),
    // needs nothing from the core for a flat key: the JS codec encodes it, and a single kv.put is
    // atomic by itself (measured in docs/reports/store-core.md, "The put fast path").
    if (this.#declared.length === 0 && this.#openedOnce && this.#format === STORE_KEY_FORMAT) {
      const kvKey = encodeFlat(key);
      if (kvKey !== undefined) {
        this.#kv.put(kvKey, value);
        return;
      }
    }
    this.#putSlow(key, value);
  }

  /** The value under `key`, or `undefined`. */
  get<V = StoreValue>(key: Key): V | undefined {
    // The common flat key needs no engine call at all.
    // `#kvKeyOf` keeps `key` out of a closure here (see {@link Store.#putSlow}).
    return this.#kv.get(this.#kvKeyOf(key)) as V | undefined;
  }

  has(key: Key): boolean {
    return this.get(key) !== undefined;
  }

  /** The values under `keys`, in the same order (`undefined` where absent). */
  getMany<V = StoreValue>(keys: readonly Key[]): (V | undefined)[] {
    if (!Array.isArray(keys)) throw new DurableCoreError("KEY_TYPE", `getMany takes an array of keys, got ${keyLiteral(keys)}`);
    const kv = this.#kv;
    const format = this.#keyFormat;
    return codec(() => keys.map((key) => kv.get(encodeKey(key, format)) as V | undefined));
  }

  /** Deletes `key` and its index entries; true when it existed. */
  delete(key: Key): boolean {
    guardKey(key);
    return this.#call((engine) => {
      // With no index declared, `storeOpen` has dropped every index row: nothing to maintain.
      if (this.#declared.length === 0) return this.#kv.delete(encodeKey(key, this.#keyFormat));
      this.#indexWrite();
      return this.#atomically(() => this.#kv.delete(engine.storeDelete(key)));
    });
  }

  /** The entries in `range`, read at once. */
  list<V = StoreValue>(range: Range = {}): Entry<V>[] {
    checkRange(range);
    const format = this.#keyFormat;
    return codec(() => {
      const options = planRange(range, format);
      if (options === undefined) return [];
      const entries: Entry<V>[] = [];
      const decode = prefixDecoder(range.prefix, format);
      // Indexing the listed pair, not destructuring it: measured cheaper per entry.
      for (const row of this.#kv.list(options)) entries.push({ key: decode(row[0]) as KeyPart[], value: row[1] as V });
      return entries;
    });
  }

  /** The entries in `range`, read lazily page by page. Do not `await` inside the loop if you need a consistent view. */
  *entries<V = StoreValue>(range: Range = {}): Generator<Entry<V>> {
    checkRange(range);
    const options = this.#plan(range);
    if (options === undefined) return;
    const kv = this.#kv;
    const decode = prefixDecoder(range.prefix, this.#keyFormat);
    yield* paged(options.limit, (size, after: string | undefined) =>
      codec(() => {
        const items: Entry<V>[] = [];
        let last: string | undefined;
        for (const row of kv.list(kvPage(options, size, after))) {
          last = row[0];
          items.push({ key: decode(last) as KeyPart[], value: row[1] as V });
        }
        return { items, last };
      }),
    );
  }

  /** How many entries `range` holds (at most `limit`). */
  count(range: Range = {}): number {
    checkRange(range);
    const options = this.#plan(range);
    if (options === undefined) return 0;
    const kv = this.#kv;
    let count = 0;
    for (const _ of paged(options.limit, (size, after: string | undefined) => kvKeysPage(kv, options, size, after))) count += 1;
    return count;
  }

  /** Deletes every entry in `range` (at most `limit`) with their index entries, atomically; returns how many. */
  deleteRange(range: Range = {}): number {
    checkRange(range);
    return this.#call((engine) => {
      const options = planRange(range, this.#keyFormat);
      if (options === undefined) return 0;
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
    return this.#builder.ready();
  }

  /**
   * @internal Wake-time work, inside `blockConcurrencyWhile`: opens the store and builds at most a
   * few index chunks, then leaves the rest to the background (see `store-build.ts`). Never throws:
   * a throw would reset the object, and the next wake would fail the same way. A key function
   * that throws fails its index; anything else is logged and retried by the background build.
   */
  wake(): void {
    if (this.#declared.length > 0) this.#builder.wake();
  }

  // ---- internals ----

  /** `ctx.storage.kv`, read once: the platform getter is a runtime call on every hot-path operation. */
  get #kv(): SyncKv {
    return (this.#kvStorage ??= this.#core.ctx.storage.kv as unknown as SyncKv);
  }

  /** See {@link Store.#format}. */
  get #keyFormat(): number {
    return this.#format ?? this.#readFormat();
  }

  /** Reads the format from the first stored key: one `kv.list` of one entry per instance. */
  #readFormat(): number {
    const all = codec(() => planRange({ limit: 1 }, STORE_KEY_FORMAT));
    let first: string | undefined;
    if (all !== undefined) for (const [kvKey] of this.#kv.list(all)) first = kvKey;
    return (this.#format = codec(() => keyFormatOf(first)));
  }

  /** The kv key of `key` in this object's key format: the JS codec for a flat key in the current format. */
  #kvKeyOf(key: Key): string {
    const format = this.#format ?? this.#readFormat();
    return (format === STORE_KEY_FORMAT ? encodeFlat(key) : undefined) ?? encodeKeyOutside(key, format);
  }

  /** `kv.list` options for `range` over this object's keys, `undefined` when nothing can match. */
  #plan(range: Range): KvListOptions | undefined {
    const format = this.#keyFormat;
    return codec(() => planRange(range, format));
  }

  /**
   * Runs `op` on this object's handle, opening the store on it first if the handle is new. Only
   * for operations that need the object's index state (writes, index reads, builds): stateless
   * codec work goes through {@link codec}.
   */
  #call<T>(op: (engine: Engine) => T): T {
    const core = this.#core;
    return core.call((engine) => {
      if (this.#handle.isNew) {
        const format = this.#keyFormat;
        core.ctx.storage.transactionSync(() => engine.storeOpen(this.#declared, format));
        this.#maintained = engine.storeMaintained();
        this.#handle.seen();
        this.#openedOnce = true;
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

  /**
   * The rest of {@link Store.put}, apart so that `put` itself captures nothing in a closure: a
   * captured parameter makes V8 allocate a context on every call, fast path included.
   */
  #putSlow(key: Key, value: unknown): void {
    const maintained = this.#call(() => this.#maintained);
    if (maintained.length === 0) {
      this.#kv.put(this.#kvKeyOf(key), value);
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

  /** Runs related writes in one transaction, or in the batch's when one is open. */
  #atomically<T>(fn: () => T): T {
    return this.#batching ? fn() : this.#core.ctx.storage.transactionSync(fn);
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
}

function batchMustBeSynchronous(what: string): DurableCoreError {
  return new DurableCoreError(
    "TRANSACTION_ASYNC",
    `store.batch(fn): ${what}; a batch must be synchronous (no await), or its later writes would commit outside the transaction`,
  );
}

function checkedValue(value: unknown): void {
  const size = storeValueSize(value);
  if (size > MAX_VALUE_BYTES) {
    throw new DurableCoreError(
      "STORE_VALUE_TOO_LARGE",
      `value is about ${size} bytes once serialized, above the limit of ${MAX_VALUE_BYTES}; split it across several keys`,
    );
  }
}
