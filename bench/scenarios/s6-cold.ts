// S6 — cold objects: the first request to 200 fresh objects, timed by the calling Worker
// (a cold start cannot be timed from inside). The wasm size is the SIZE row (bench/size.mjs).
import { getAgentByName } from "agents";
import { type DriveContext, type Env, type SampleResult, type Scenario } from "../harness";

export interface S6Params {
  objects: number;
}

/** The first request a user's Worker would make to each kind of object. */
async function firstRequest(env: Env, binding: keyof Env, name: string): Promise<unknown> {
  if (binding === "AGENTS") return getAgentByName(env.AGENTS as never, name);
  const stub = env[binding].getByName(name) as unknown as { ping(): Promise<string> };
  return stub.ping();
}

/** Ends the object's instance (`ctx.abort()`); the call itself fails with the abort. */
async function evict(env: Env, binding: keyof Env, name: string): Promise<void> {
  const stub = env[binding].getByName(name) as unknown as { evict(): Promise<void> };
  try {
    await stub.evict();
  } catch {
    // the abort's own error: the instance is gone, which is the point
  }
}

async function drive(ctx: DriveContext<S6Params>): Promise<SampleResult> {
  const { objects } = ctx.params;
  const { env } = ctx;
  const { binding } = ctx.side;
  const name = (i: number) => `${ctx.objectName}/${i}`;
  const start = performance.now();
  for (let i = 0; i < objects; i++) await firstRequest(env, binding, name(i));
  const total = performance.now() - start;
  const warmStart = performance.now();
  for (let i = 0; i < objects; i++) await firstRequest(env, binding, name(i));
  const warm = (performance.now() - warmStart) / objects;
  // A woken object: a new instance over the storage its first request left. Only the request
  // after the eviction is timed (with a new stub: an aborted object's stub stays broken).
  let wake = 0;
  for (let i = 0; i < objects; i++) {
    await evict(env, binding, name(i));
    const wakeStart = performance.now();
    await firstRequest(env, binding, name(i));
    wake += performance.now() - wakeStart;
  }
  return { timings: { perObject: total / objects, total, warm, wake: wake / objects } };
}

export const s6: Scenario<S6Params> = {
  id: "S6",
  title: "cold objects: first request to 200 fresh objects",
  sizes: { full: { objects: 200 }, smoke: { objects: 5 } },
  metrics: [
    { key: "perObject", label: "first request, per object (ms)" },
    { key: "total", label: "all objects, sequential (ms)" },
    { key: "warm", label: "a second request, per object (ms)" },
    { key: "wake", label: "first request after ctx.abort(), per object (ms)" },
  ],
  baseline: "raw",
  // A sample already averages 200 cold starts and lasts seconds (agents' many tables); a class
  // has nothing to warm up that the first object of the sample does not already pay for. Nine
  // rounds: one sample of a side can be 1.5× its others (the disk still flushing the side before
  // it), and with five rounds the ratio still moved between 1.03 and 1.34 from run to run
  // (docs/reports/bench-rounds.md).
  fullRounds: { warmup: 0, rounds: 9 },
  isolatedSides: ["agents"],
  runFirst: true,
  drive,
  sides: {
    ours: { label: "durable-core subclass (1 migration)", binding: "OURS_COLD" },
    raw: { label: "raw DurableObject (empty)", binding: "RAW_COLD" },
    rawSchema: { label: "raw DurableObject + CREATE TABLE in constructor", binding: "RAW_COLD_SCHEMA" },
    oursEmpty: { label: "durable-core subclass (nothing declared)", binding: "OURS_COLD_EMPTY" },
    durableUtils: { label: "durable-utils SQLSchemaMigrations (1 migration)", binding: "MIGRATIONS_COLD" },
    agents: { label: "agents Agent (getAgentByName)", binding: "AGENTS" },
  },
  notes: [
    "Timed by the Worker: sequential first requests (`ping()`, or `getAgentByName` for agents) to fresh objects, then a second request to each. Locally a cold start is bound by disk latency (each object gets its own SQLite file), so it swings with other disk activity on the machine; compare sides within one run. The wake row ends each object's instance with `ctx.abort()` (untimed) and times the next request, which constructs a new instance over the data the object already has: the wake after an eviction. agents runs after the other sides, because its objects keep working after the sample.",
  ],
  targets: [
    { metric: "perObject", against: "raw", maxTimeRatio: 1.1, text: "≤ 1.10× a raw empty object (issue 15)" },
    { metric: "perObject", against: "raw", maxExtraMs: 1, text: "≤ 1 ms more per fresh object than raw" },
  ],
};
