/**
 * The `kv.list` options of a store range. The Rust planner (`src/store/range.rs`) owns the
 * bounds arithmetic; the commonest ranges, a flat `prefix` or no bound at all in the current
 * key format, are planned here the same way without a call into the engine, which costs about
 * as much as listing a few entries (docs/reports/s4-store.md). `ts-tests/store-keys.test.ts`
 * checks both planners agree.
 */
import { STORE_KEY_FORMAT, STORE_NAMESPACE } from "./generated/core.js";
import { encodeFlat } from "./store-key-encode.js";
import type { Range } from "./store-types.js";
import { Engine, type KvListOptions } from "./wasm/durable_core.js";

/** The largest `limit` the Rust planner keeps; a larger one means the same (no limit can be reached). */
const MAX_LIMIT = 0xffff_ffff;

/**
 * `kv.list` options for `range` over keys of `format`, `undefined` when nothing can match.
 * Call inside `core.call` or `codec`, after `checkRange` (which refuses a bad `limit`).
 */
export function planRange(range: Range, format: number): KvListOptions | undefined {
  const { prefix, start, startAfter, end, limit } = range;
  if (start === undefined && startAfter === undefined && end === undefined && format === STORE_KEY_FORMAT) {
    const lower = prefix === undefined ? STORE_NAMESPACE : encodeFlat(prefix);
    if (lower !== undefined) {
      if (limit === 0) return undefined;
      const options: KvListOptions = { start: lower, end: successor(lower) };
      if (range.reverse === true) options.reverse = true;
      if (limit !== undefined) options.limit = limit > MAX_LIMIT ? MAX_LIMIT : limit;
      return options;
    }
  }
  return Engine.storeRange(range, format);
}

/** The smallest string above every one that starts with `prefix`: an encoded key ends in an ASCII character below `~`. */
function successor(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}
