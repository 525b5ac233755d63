// S4 — ordered storage: 10,000 puts, 10,000 random gets, 100 prefix scans of 1,000 entries.
//
// Ours stores typed tuple keys ["g", group, i] (numbers sort numerically, no padding needed).
import type { RawBench } from "../objects/raw";
import type { OursBench } from "../ours";
import { type SampleResult, type Scenario, seeded, NARROW_TARGET_ROUNDS } from "../harness";

export interface S4Params {
  n: number;
  gets: number;
  scans: number;
  /** Entries per prefix; n / scanSize prefixes. */
  scanSize: number;
}

export interface StorageOps {
  put(i: number, value: { i: number; name: string }): unknown;
  get(i: number): unknown;
  /** Reads every entry under prefix number `group`, returns how many it read. */
  scan(group: number): number | Promise<number>;
}

export const group = (i: number, p: S4Params) => Math.floor(i / p.scanSize);
/** String key for the native APIs: fixed-width so text order is numeric order. */
export const stringKey = (i: number, p: S4Params) => `g${group(i, p)}/${String(i).padStart(8, "0")}`;
export const value = (i: number) => ({ i, name: `entry-${i}` });

/** A thenable test, not `instanceof Promise`: a bundled library may replace the global Promise. */
function isPromise(value: unknown): value is Promise<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}

/**
 * Runs the three phases in order, each timed, and checks every scan read scanSize entries.
 * Only real promises are awaited: an `await` on every sync call would add a microtask each.
 */
export async function storageLoop(p: S4Params, ops: StorageOps): Promise<SampleResult> {
  const groups = Math.ceil(p.n / p.scanSize);
  let start = performance.now();
  for (let i = 0; i < p.n; i++) {
    const done = ops.put(i, value(i));
    if (isPromise(done)) await done;
  }
  const puts = performance.now() - start;

  const random = seeded(4);
  const ids = Array.from({ length: p.gets }, () => Math.floor(random() * p.n));
  let missing = 0;
  start = performance.now();
  for (const i of ids) {
    let found = ops.get(i);
    if (isPromise(found)) found = await found;
    if (found === undefined) missing += 1;
  }
  const gets = performance.now() - start;

  let read = 0;
  start = performance.now();
  for (let s = 0; s < p.scans; s++) {
    const count = ops.scan(s % groups);
    read += isPromise(count) ? await count : count;
  }
  const scans = performance.now() - start;

  const failure =
    missing > 0 ? `${missing} gets found nothing` : read !== p.scans * p.scanSize ? `scans read ${read} entries` : undefined;
  return { timings: { puts, gets, scans }, failure };
}

export const s4: Scenario<S4Params> = {
  id: "S4",
  title: "ordered storage: 10,000 puts, 10,000 random gets, 100 prefix scans of 1,000",
  sizes: {
    full: { n: 10_000, gets: 10_000, scans: 100, scanSize: 1000 },
    smoke: { n: 200, gets: 200, scans: 4, scanSize: 50 },
  },
  metrics: [
    { key: "puts", label: "n puts (ms)" },
    { key: "gets", label: "n random gets (ms)" },
    { key: "scans", label: "prefix scans (ms)" },
  ],
  baseline: "kv",
  fullRounds: NARROW_TARGET_ROUNDS,
  batches: 3,
  sides: {
    ours: {
      label: "durable-core this.store",
      binding: "OURS",
      run: (obj: OursBench, p) => {
        const key = (i: number) => ["g", group(i, p), i];
        return storageLoop(p, {
          put: (i, v) => obj.store.put(key(i), v),
          get: (i) => obj.store.get(key(i)),
          scan: (g) => obj.store.list({ prefix: ["g", g] }).length,
        });
      },
    },
    kv: {
      label: "ctx.storage.kv (sync)",
      binding: "RAW",
      run: (obj: RawBench, p) => {
        const kv = obj.dctx.storage.kv;
        return storageLoop(p, {
          put: (i, v) => kv.put(stringKey(i, p), v),
          get: (i) => kv.get(stringKey(i, p)),
          scan: (g) => {
            let count = 0;
            for (const _ of kv.list({ prefix: `g${g}/` })) count += 1;
            return count;
          },
        });
      },
    },
    async: {
      label: "ctx.storage put/get/list (async)",
      binding: "RAW",
      run: (obj: RawBench, p) => {
        const storage = obj.dctx.storage;
        return storageLoop(p, {
          put: (i, v) => storage.put(stringKey(i, p), v),
          get: (i) => storage.get(stringKey(i, p)),
          scan: async (g) => (await storage.list({ prefix: `g${g}/` })).size,
        });
      },
    },
  },
  notes: [
    "Keys are `g<group>/<8-digit i>` for the native APIs (fixed width so text order is numeric order), 1,000 per group; values are `{ i, name }`. The async side awaits each call, as straightforward code does.",
    "Reference (issue 3): ctx.storage.kv ≈ 16 / 17 / 65 ms, async ctx.storage ≈ 114 / 77 / 87 ms.",
  ],
  targets: [
    { metric: "puts", against: "kv", maxTimeRatio: 1.1, text: "puts ≤ 1.10× ctx.storage.kv (issue 15)" },
    { metric: "gets", against: "kv", maxTimeRatio: 1.1, text: "gets ≤ 1.10× ctx.storage.kv (issue 15)" },
    { metric: "scans", against: "kv", maxTimeRatio: 1.0, text: "scans no slower than ctx.storage.kv" },
  ],
};
