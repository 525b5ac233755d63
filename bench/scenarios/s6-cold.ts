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

async function drive(ctx: DriveContext<S6Params>): Promise<SampleResult> {
  const { objects } = ctx.params;
  const start = performance.now();
  for (let i = 0; i < objects; i++) await firstRequest(ctx.env, ctx.side.binding, `${ctx.objectName}/${i}`);
  const total = performance.now() - start;
  const warmStart = performance.now();
  for (let i = 0; i < objects; i++) await firstRequest(ctx.env, ctx.side.binding, `${ctx.objectName}/${i}`);
  const warm = (performance.now() - warmStart) / objects;
  return { timings: { perObject: total / objects, total, warm } };
}

export const s6: Scenario<S6Params> = {
  id: "S6",
  title: "cold objects: first request to 200 fresh objects",
  sizes: { full: { objects: 200 }, smoke: { objects: 5 } },
  metrics: [
    { key: "perObject", label: "first request, per object (ms)" },
    { key: "total", label: "all objects, sequential (ms)" },
    { key: "warm", label: "a second request, per object (ms)" },
  ],
  baseline: "raw",
  // A sample already averages 200 cold starts and lasts seconds (agents' many tables); a class
  // has nothing to warm up that the first object of the sample does not already pay for.
  fullRounds: { warmup: 0, rounds: 3 },
  isolatedSides: ["agents"],
  runFirst: true,
  drive,
  sides: {
    ours: { label: "durable-core subclass (1 migration)", binding: "OURS_COLD" },
    raw: { label: "raw DurableObject (empty)", binding: "RAW_COLD" },
    rawSchema: { label: "raw DurableObject + CREATE TABLE in constructor", binding: "RAW_COLD_SCHEMA" },
    durableUtils: { label: "durable-utils SQLSchemaMigrations (1 migration)", binding: "MIGRATIONS_COLD" },
    agents: { label: "agents Agent (getAgentByName)", binding: "AGENTS" },
  },
  notes: [
    "Timed by the Worker: sequential first requests (`ping()`, or `getAgentByName` for agents) to fresh objects, then a second request to each. Locally a cold start is bound by disk latency (each object gets its own SQLite file), so it swings with other disk activity on the machine; compare sides within one run. agents runs after the other sides, because its objects keep working after the sample.",
  ],
  targets: [
    { metric: "perObject", against: "raw", maxTimeRatio: 1.1, text: "≤ 1.10× a raw empty object (issue 15)" },
    { metric: "perObject", against: "raw", maxExtraMs: 1, text: "≤ 1 ms more per fresh object than raw" },
  ],
};
