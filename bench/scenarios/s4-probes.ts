// S4P — probes of S4's scans: is `store.list({ prefix })` ≤ 1.00× a bare `kv.list` reachable
// while an `Entry` stays a plain `{ key, value }` object? Not part of a full run:
//
//   bash scripts/bench.sh --only S4P --rounds 5
//
// Three variants over S4's data (10,000 entries `{ i, name }`, 1,000 per group, 100 scans):
// - `kv`: S4's kv side, a bare `kv.list({ prefix: "g7/" })` that only counts;
// - `floor`: `kv.list` over the store's own keys with the range the store plans for the prefix,
//   building the same plain `{ key, value }` objects `list` returns, but with the kv key as it
//   is (no key decoding): what any plain-object list costs at least;
// - `ours`: `this.store.list({ prefix: ["g", 7] })`.
// Each runs alone in its own object (rows `kv`, `floor`, `ours`), and all three in one object
// taking turns (`paired`), which gives the steadier ratios. `pairedWrites` does the same for
// S4's puts and gets (`store.put/get(["g", group, i])` against `kv.put/get("g<group>/<i>")`),
// the ratio that a change to the key encoder moves. `firstPut`/`firstKvPut` time a fresh object's
// first put apart (workerd's clock steps by 1 ms: read the mean over many rounds), and `openCosts`
// what the store's first call costs the platform (a failing statement, a `sqlite_master` lookup,
// an empty transaction, an empty list). Findings: docs/reports/s4-store.md.
import type { RawBench } from "../objects/raw";
import type { OursBench } from "../ours";
import { type SampleResult, type Scenario, seeded } from "../harness";
import { type Block, medianRatio, takingTurns } from "./paired";
import { type S4Params, group, s4, stringKey, value } from "./s4-storage";

/** Scans in a row that one variant of the paired side runs before the next takes over (20 ms or more). */
const PAIRED_BLOCK = 25;

/** S4's sizes, plus how many blocks of {@link PAIRED_BLOCK} scans each variant runs in a paired sample. */
export interface S4PParams extends S4Params {
  pairedRounds: number;
  /** Puts (then as many random gets) per variant in a `pairedWrites` sample, in blocks of {@link WRITE_BLOCK}. */
  pairedWrites: number;
}

/** Puts in a fresh object that `firstPut` and `firstKvPut` time (the first one apart). */
const FIRST_PUTS = 200;

/** Puts or gets in a row per variant in `pairedWrites` (20 ms or more each). */
const WRITE_BLOCK = 5000;

/** The store's kv keys start with this: the namespace, the string tag, "g", the string end. */
const STORE_G = "\u001ftg\u0001";

/** Counts what `kv.list` yields for a prefix of S4's string keys. */
function kvScan(kv: SyncKvStorage, g: number): number {
  let count = 0;
  for (const _ of kv.list({ prefix: `g${g}/` })) count += 1;
  return count;
}

/**
 * The kv range `this.store` plans for the prefix `["g", g]`, per group: `{ start: p, end: p' }`
 * where `p` is the prefix's encoding and `p'` its successor (last character + 1), as
 * pkg-template/src/store-range.ts plans it. `p` is read off the stored keys: the first `/` of a
 * key `["g", g, i]` ends the number `g` (a digit is `'0'` + 0..63, the terminator `/`).
 */
function storeRanges(kv: SyncKvStorage, groups: number): { start: string; end: string }[] {
  const ranges: { start: string; end: string }[] = [];
  for (const row of kv.list({ prefix: STORE_G })) {
    const key = row[0];
    const prefix = key.slice(0, key.indexOf("/", STORE_G.length) + 1);
    if (ranges.length === 0 || ranges[ranges.length - 1]!.start !== prefix) {
      ranges.push({ start: prefix, end: prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1) });
    }
  }
  if (ranges.length !== groups) throw new Error(`S4P: found ${ranges.length} key groups in the store, expected ${groups}`);
  return ranges;
}

/** The floor: the store's keys listed, a plain entry built per row, the key left encoded. */
function floorScan(kv: SyncKvStorage, range: { start: string; end: string }): number {
  const entries: { key: string; value: unknown }[] = [];
  for (const row of kv.list(range)) entries.push({ key: row[0], value: row[1] });
  return entries.length;
}

const oursScan = (obj: OursBench, g: number) => obj.store.list({ prefix: ["g", g] }).length;

function fillStore(obj: OursBench, p: S4Params): void {
  for (let i = 0; i < p.n; i++) obj.store.put(["g", group(i, p), i], value(i));
}

/** Times `p.scans` scans of `scan`, checking each read `p.scanSize` entries. */
function timedScans(p: S4Params, scan: (g: number) => number): SampleResult {
  const groups = Math.ceil(p.n / p.scanSize);
  let read = 0;
  const start = performance.now();
  for (let s = 0; s < p.scans; s++) read += scan(s % groups);
  const scans = performance.now() - start;
  return { timings: { scans }, failure: read === p.scans * p.scanSize ? undefined : `scans read ${read} entries` };
}

/**
 * The three variants in one object over the same two copies of the data, taking turns every
 * {@link PAIRED_BLOCK} scans, the order rotated per block: load that comes and goes slows all
 * three alike. Each variant runs `p.pairedRounds` blocks (the same groups), its time reported
 * per `p.scans` scans; the ratios are medians over the rounds of (variant block / kv block).
 */
function paired(obj: OursBench, p: S4PParams): SampleResult {
  const kv = obj.dctx.storage.kv;
  fillStore(obj, p);
  for (let i = 0; i < p.n; i++) kv.put(stringKey(i, p), value(i));
  const groups = Math.ceil(p.n / p.scanSize);
  const ranges = storeRanges(kv, groups);
  /** Round `round`'s {@link PAIRED_BLOCK} scans of `scan`; returns the entries read. */
  const scans =
    (scan: (g: number) => number): Block =>
    (round) => {
      let read = 0;
      for (let s = 0; s < PAIRED_BLOCK; s++) read += scan((round * PAIRED_BLOCK + s) % groups);
      return read;
    };
  const rounds = p.pairedRounds;
  const variants = {
    kv: scans((g) => kvScan(kv, g)),
    floor: scans((g) => floorScan(kv, ranges[g]!)),
    ours: scans((g) => oursScan(obj, g)),
  };
  const turns = takingTurns(variants, rounds);
  const read = turns.returned;
  const expected = rounds * PAIRED_BLOCK * p.scanSize * Object.keys(variants).length;
  const scale = p.scans / (rounds * PAIRED_BLOCK);
  return {
    timings: {
      pairedKv: turns.spent.kv * scale,
      pairedFloor: turns.spent.floor * scale,
      pairedOurs: turns.spent.ours * scale,
      floorOverKv: medianRatio(turns, "floor", "kv"),
      oursOverKv: medianRatio(turns, "ours", "kv"),
      oursOverFloor: medianRatio(turns, "ours", "floor"),
    },
    failure: read === expected ? undefined : `paired scans read ${read} entries, expected ${expected}`,
  };
}

/**
 * S4's puts then gets, `store` and bare `kv` taking turns every {@link WRITE_BLOCK} operations in
 * one object, the first of each block alternating. Both write the same i's (each under its own
 * key form), and a raw key above both key ranges is written first, so that neither appends at
 * the table's right edge (which is cheaper). Ratios: medians over blocks of (store / kv).
 */
function pairedWrites(obj: OursBench, p: S4PParams): SampleResult {
  const kv = obj.dctx.storage.kv;
  const store = obj.store;
  kv.put("~ above every key of both sides", 0);
  const q = { ...p, n: p.pairedWrites };
  const blocks = Math.max(1, Math.floor(p.pairedWrites / WRITE_BLOCK));
  const size = Math.min(WRITE_BLOCK, p.pairedWrites);
  const put = {
    store: (i: number) => store.put(["g", group(i, q), i], value(i)),
    kv: (i: number) => kv.put(stringKey(i, q), value(i)),
  };
  const random = seeded(4);
  const ids = Array.from({ length: blocks * size }, () => Math.floor(random() * blocks * size));
  let missing = 0;
  const get = {
    store: (i: number) => {
      if (store.get(["g", group(i, q), i]) === undefined) missing += 1;
    },
    kv: (i: number) => {
      if (kv.get(stringKey(i, q)) === undefined) missing += 1;
    },
  };
  // The keys' order rotates per block: store goes first in even blocks, kv in odd ones.
  const run = (ops: Record<"store" | "kv", (i: number) => void>, order: readonly number[] | undefined) => {
    const block =
      (op: (i: number) => void): Block =>
      (b) => {
        for (let k = b * size; k < (b + 1) * size; k++) op(order ? order[k]! : k);
        return size;
      };
    return takingTurns({ store: block(ops.store), kv: block(ops.kv) }, blocks);
  };
  const puts = run(put, undefined);
  const gets = run(get, ids);
  // Per S4's unit: n operations.
  const scale = p.n / (blocks * size);
  return {
    timings: {
      writesKvPuts: puts.spent.kv * scale,
      writesOursPuts: puts.spent.store * scale,
      putsOursOverKv: medianRatio(puts, "store", "kv"),
      writesKvGets: gets.spent.kv * scale,
      writesOursGets: gets.spent.store * scale,
      getsOursOverKv: medianRatio(gets, "store", "kv"),
    },
    failure: missing > 0 ? `${missing} gets found nothing` : undefined,
  };
}

export const s4Probes: Scenario<S4PParams> = {
  id: "S4P",
  title: "probes of S4: scans against a plain-entry floor without key decoding; puts and gets taking turns (not in a full run)",
  probeOnly: true,
  sizes: {
    // A paired sample: 12 blocks of 25 scans of 1,000 entries per variant.
    full: { ...s4.sizes.full, pairedRounds: 12, pairedWrites: 40_000 },
    smoke: { ...s4.sizes.smoke, pairedRounds: 1, pairedWrites: 200 },
  },
  metrics: [
    { key: "scans", label: "100 prefix scans of 1,000 entries, each variant in its own object (ms)" },
    { key: "pairedKv", label: "paired: kv.list's turns, per 100 scans (ms)" },
    { key: "pairedFloor", label: "paired: the floor's turns, per 100 scans (ms)" },
    { key: "pairedOurs", label: "paired: store.list's turns, per 100 scans (ms)" },
    { key: "floorOverKv", label: "paired: floor ÷ kv.list, median over blocks (a ratio, not ms)" },
    { key: "oursOverKv", label: "paired: store.list ÷ kv.list, median over blocks (a ratio, not ms)" },
    { key: "oursOverFloor", label: "paired: store.list ÷ floor, median over blocks (a ratio, not ms)" },
    { key: "failingExec", label: "openCosts: a failing exec (µs)" },
    { key: "masterExec", label: "openCosts: a sqlite_master lookup (µs)" },
    { key: "emptyTransaction", label: "openCosts: an empty transactionSync (µs)" },
    { key: "emptyList", label: "openCosts: an empty kv.list (µs)" },
    { key: "firstPut", label: "a fresh object's first put (ms)" },
    { key: "restPuts", label: "its next 199 puts (ms)" },
    { key: "writesKvPuts", label: "pairedWrites: kv.put's turns, per 10,000 puts (ms)" },
    { key: "writesOursPuts", label: "pairedWrites: store.put's turns, per 10,000 puts (ms)" },
    { key: "putsOursOverKv", label: "pairedWrites: store.put ÷ kv.put, median over blocks (a ratio, not ms)" },
    { key: "writesKvGets", label: "pairedWrites: kv.get's turns, per 10,000 random gets (ms)" },
    { key: "writesOursGets", label: "pairedWrites: store.get's turns, per 10,000 random gets (ms)" },
    { key: "getsOursOverKv", label: "pairedWrites: store.get ÷ kv.get, median over blocks (a ratio, not ms)" },
  ],
  baseline: "kv",
  sides: {
    kv: {
      label: "kv.list({ prefix }), counting",
      binding: "RAW",
      metrics: ["scans"],
      run: (obj: RawBench, p) => {
        const kv = obj.dctx.storage.kv;
        for (let i = 0; i < p.n; i++) kv.put(stringKey(i, p), value(i));
        return timedScans(p, (g) => kvScan(kv, g));
      },
    },
    floor: {
      label: "floor: store keys, plain { key, value }, no decode",
      binding: "OURS",
      metrics: ["scans"],
      run: (obj: OursBench, p) => {
        fillStore(obj, p);
        const ranges = storeRanges(obj.dctx.storage.kv, Math.ceil(p.n / p.scanSize));
        return timedScans(p, (g) => floorScan(obj.dctx.storage.kv, ranges[g]!));
      },
    },
    ours: {
      label: "durable-core this.store.list({ prefix })",
      binding: "OURS",
      metrics: ["scans"],
      run: (obj: OursBench, p) => {
        fillStore(obj, p);
        return timedScans(p, (g) => oursScan(obj, g));
      },
    },
    firstPut: {
      label: "firstPut: a fresh object's first store.put, then 199 more",
      binding: "OURS",
      metrics: ["firstPut", "restPuts"],
      run: (obj: OursBench, p) => {
        let start = performance.now();
        obj.store.put(["g", 0, 0], value(0));
        const firstPut = performance.now() - start;
        start = performance.now();
        for (let i = 1; i < FIRST_PUTS; i++) obj.store.put(["g", group(i, p), i], value(i));
        return { timings: { firstPut, restPuts: performance.now() - start } };
      },
    },
    openCosts: {
      label: "openCosts: what the store's first call does, 200 times each (µs per call)",
      binding: "RAW",
      metrics: ["failingExec", "masterExec", "emptyTransaction", "emptyList"],
      run: (obj: RawBench) => {
        const storage = obj.dctx.storage;
        const time = (f: (k: number) => void) => {
          const start = performance.now();
          for (let k = 0; k < 200; k++) f(k);
          return ((performance.now() - start) * 1000) / 200;
        };
        const failingExec = time((k) => {
          try {
            storage.sql.exec(`SELECT name FROM _dc_missing_${k % 2}`);
          } catch {
            // expected
          }
        });
        const masterExec = time(() => storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", "_dc_store_indexes").toArray());
        const emptyTransaction = time(() => storage.transactionSync(() => 0));
        const emptyList = time(() => {
          for (const _ of storage.kv.list({ start: "\u001f", end: "\u0020", limit: 1 })) return;
        });
        return { timings: { failingExec, masterExec, emptyTransaction, emptyList } };
      },
    },
    firstKvPut: {
      label: "firstKvPut: a fresh object's first kv.put, then 199 more",
      binding: "RAW",
      metrics: ["firstPut", "restPuts"],
      run: (obj: RawBench, p) => {
        const kv = obj.dctx.storage.kv;
        let start = performance.now();
        kv.put(stringKey(0, p), value(0));
        const firstPut = performance.now() - start;
        start = performance.now();
        for (let i = 1; i < FIRST_PUTS; i++) kv.put(stringKey(i, p), value(i));
        return { timings: { firstPut, restPuts: performance.now() - start } };
      },
    },
    paired: {
      label: "paired: the three taking turns in one object",
      binding: "OURS",
      metrics: ["pairedKv", "pairedFloor", "pairedOurs", "floorOverKv", "oursOverKv", "oursOverFloor"],
      run: paired,
    },
    pairedWrites: {
      label: "pairedWrites: store and kv taking turns in one object",
      binding: "OURS",
      metrics: ["writesKvPuts", "writesOursPuts", "putsOursOverKv", "writesKvGets", "writesOursGets", "getsOursOverKv"],
      run: pairedWrites,
    },
  },
  notes: [],
  targets: [],
};
