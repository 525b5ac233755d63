// S6P — probes of S6: what each piece of a fresh durable-core object's wake costs next to a raw
// empty object. Not part of a full run:
//
//   bash scripts/bench.sh --only S6P --rounds 5
//
// Each side is paired with the raw empty object: object by object, the sample makes the first
// request to one of the side's fresh objects and to one fresh `RawCold`, alternating which goes
// first, and times each with the Worker's clock. Load that comes and goes slows both alike, so
// `extra` (side minus its paired raw, per object) is steadier than a difference of medians
// taken seconds apart. The sides add one piece at a time (bench/objects/cold-probes.ts and the
// `OursCold*` classes of bench/ours.ts); findings: docs/reports/s6-lazy-schema.md.
import { type DriveContext, type Env, type SampleResult, type Scenario } from "../harness";
import type { S6Params } from "./s6-cold";

interface ColdStub {
  ping(): Promise<string>;
  isolateInfo?(): Promise<Record<string, number>>;
}

function stubOf(env: Env, binding: keyof Env, name: string): ColdStub {
  return env[binding].getByName(name) as unknown as ColdStub;
}

async function timedPing(stub: ColdStub): Promise<number> {
  const start = performance.now();
  await stub.ping();
  return performance.now() - start;
}

async function drive(ctx: DriveContext<S6Params>): Promise<SampleResult> {
  const { objects } = ctx.params;
  let side = 0;
  let raw = 0;
  for (let i = 0; i < objects; i++) {
    const mine = stubOf(ctx.env, ctx.side.binding, `${ctx.objectName}/${i}`);
    const base = stubOf(ctx.env, "RAW_COLD", `${ctx.objectName}/raw/${i}`);
    if (i % 2 === 0) {
      side += await timedPing(mine);
      raw += await timedPing(base);
    } else {
      raw += await timedPing(base);
      side += await timedPing(mine);
    }
  }
  const info: Record<string, number | string> = {};
  const last = stubOf(ctx.env, ctx.side.binding, `${ctx.objectName}/${objects - 1}`);
  try {
    Object.assign(info, await last.isolateInfo?.());
  } catch {
    // a class without the probe method (OursCold, RawCold, RawColdSchema)
  }
  info.ratio = Number((side / raw).toFixed(3));
  return { timings: { perObject: side / objects, pairedRaw: raw / objects, extra: (side - raw) / objects }, info };
}

export const s6Probes: Scenario<S6Params> = {
  id: "S6P",
  title: "probes of S6: the pieces of a fresh object's wake, each paired with a raw empty object",
  sizes: { full: { objects: 200 }, smoke: { objects: 4 } },
  metrics: [
    { key: "perObject", label: "first request, per object (ms)" },
    { key: "pairedRaw", label: "its paired raw empty object's first request (ms)" },
    { key: "extra", label: "side minus paired raw, per object (ms)" },
  ],
  baseline: "raw",
  probeOnly: true,
  runFirst: true,
  drive,
  sides: {
    ours: { label: "durable-core subclass, 1 migration (OursCold)", binding: "OURS_COLD" },
    raw: { label: "raw empty (paired with itself)", binding: "RAW_COLD" },
    rawBcw: { label: "raw + empty blockConcurrencyWhile", binding: "RAW_COLD_BCW" },
    rawRead: { label: "raw + bcw { failing ledger read }", binding: "RAW_COLD_READ" },
    rawSchema: { label: "raw + bcw { CREATE TABLE }", binding: "RAW_COLD_SCHEMA" },
    rawSame: { label: "raw + OursCold's 3 execs (read; txn {CREATE; ledger})", binding: "RAW_COLD_SAME" },
    rawFewer: { label: "raw + 2 execs (txn {ledger+read; CREATE+row})", binding: "RAW_COLD_FEWER" },
    rawLookup: { label: "raw + OursCold's 3 execs now (lookup; txn {CREATE; ledger})", binding: "RAW_COLD_LOOKUP" },
    rawTxn: { label: "raw + bcw { txn { CREATE TABLE } }", binding: "RAW_COLD_TXN" },
    rawRow: { label: "raw + bcw { txn { CREATE TABLE; INSERT a row } }", binding: "RAW_COLD_ROW" },
    rawTwo: { label: "raw + bcw { txn { CREATE TABLE; CREATE the ledger's table } }", binding: "RAW_COLD_TWO" },
    rawView: { label: "raw + bcw { txn { CREATE TABLE; CREATE VIEW (a ledger row) } }", binding: "RAW_COLD_VIEW" },
    oursEmpty: { label: "durable-core subclass, nothing declared", binding: "OURS_COLD_EMPTY" },
    oursTable: { label: "durable-core, nothing declared, CREATE in onStart", binding: "OURS_COLD_TABLE" },
  },
  notes: [],
};
