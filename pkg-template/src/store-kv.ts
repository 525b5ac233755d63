/**
 * How the store reads `ctx.storage.kv`: the sync kv surface it uses, range arguments, paged
 * reads, and stateless calls into the Rust key codec.
 */
import { translate } from "./engine-pool.js";
import { DurableCoreError } from "./errors.js";
import { encodeKey, guardKey } from "./store-keys.js";
import type { Key, Range } from "./store-types.js";
import type { KvListOptions } from "./wasm/durable_core.js";

export type { KvListOptions };

/** Entries read per `kv.list` call by the lazy iterators. */
export const PAGE_SIZE = 256;

export interface SyncKv {
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
export function codec<T>(op: () => T): T {
  try {
    return op();
  } catch (error) {
    throw translate(error);
  }
}

/** The kv key of `key` in the key format `format`, outside any engine call (see {@link codec}). */
export function encodeKeyOutside(key: Key, format: number): string {
  return codec(() => encodeKey(key, format));
}

/** One page of a paged read and the position to resume after (its last item's). */
export interface Page<T, C> {
  items: T[];
  last: C | undefined;
}

/**
 * Reads at most `limit` items (all when undefined) page by page: `read(size, after)` returns up
 * to `size` items following the position `after` (the first page when undefined).
 */
export function* paged<T, C>(limit: number | undefined, read: (size: number, after: C | undefined) => Page<T, C>): Generator<T> {
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
export function kvPage(options: KvListOptions, size: number, after: string | undefined): KvListOptions {
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
export function kvKeysPage(kv: SyncKv, options: KvListOptions, size: number, after: string | undefined): Page<string, string> {
  const items: string[] = [];
  for (const row of kv.list(kvPage(options, size, after))) items.push(row[0]);
  return { items, last: items[items.length - 1] };
}

/** Throws `ARGUMENT` unless `range` is a range object (or absent), and guards its keys' size. */
export function checkRange(range: unknown): void {
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
