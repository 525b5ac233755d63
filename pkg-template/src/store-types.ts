/** The public types of `this.store`: keys, ranges, entries, index definitions, batches. */
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
export interface IndexDefinition<V = unknown> {
  key(value: V): Key | undefined;
  /** At most one entry per index key; a put that would break it throws `INDEX_UNIQUE`. */
  unique?: boolean;
  /**
   * Only entries whose key starts with these parts are in the index (and `key` only ever sees
   * their values): `{ prefix: ["sub"], key: (s: Sub) => s.email }`. Changing it rebuilds the index.
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
