// The bench Worker. The Node driver (run.mjs) asks it for the scenario list (/info) and for
// one sample at a time (/sample); each sample runs in a fresh object of the side's class (or
// several, averaged: a scenario's `batches`).
import { getAgentByName } from "agents";
import type { BenchStub, DriveContext, Env, SampleResult, Scenario, Side } from "./harness";
import { NOT_YET } from "./harness";
import { OURS_AVAILABLE } from "bench-ours";
import { SCENARIOS, scenarioById } from "./scenarios/index";

export { ActorsBench } from "./objects/actors";
export { AgentsBench } from "./objects/agents";
export { MigrationsCold } from "./objects/durable-utils";
export { PartyBench } from "./objects/partyserver";
export { RawBench, RawCold, RawColdSchema } from "./objects/raw";
export { RawColdBcw, RawColdFewer, RawColdLookup, RawColdRead, RawColdRow, RawColdSame, RawColdTwo, RawColdTxn, RawColdView } from "./objects/cold-probes";
export { OursBench, OursCold, OursColdEmpty, OursColdTable, OursIndexed } from "bench-ours";

/** A stub the way each library expects its objects to be addressed. */
async function stubFor(env: Env, side: Side, name: string): Promise<BenchStub> {
  if (side.binding === "AGENTS") return (await getAgentByName(env.AGENTS as never, name)) as unknown as BenchStub;
  const stub = env[side.binding].getByName(name) as unknown as BenchStub & { setName?(n: string): Promise<void> };
  if (side.binding === "ACTORS") await (stub as unknown as { setName(n: string): Promise<void> }).setName(name);
  return stub;
}

async function defaultDrive(ctx: DriveContext<unknown>): Promise<SampleResult> {
  const results: SampleResult[] = [];
  for (let b = 0; b < (ctx.scenario.batches ?? 1); b++) {
    const stub = b === 0 ? await ctx.stub() : await stubFor(ctx.env, ctx.side, `${ctx.objectName}/${b}`);
    await stub.ping();
    const result = await stub.runSide(ctx.scenario.id, ctx.sideName, ctx.params);
    if (result.failure !== undefined) return result;
    results.push(result);
  }
  return results.length === 1 ? results[0]! : meanOf(results);
}

/** One sample from several objects' results: each timing is their mean; info is the first's. */
function meanOf(results: SampleResult[]): SampleResult {
  const keys = Object.keys(results[0]!.timings);
  for (const r of results) {
    if (Object.keys(r.timings).join() !== keys.join()) throw new Error(`batch results with different timings: ${keys} and ${Object.keys(r.timings)}`);
  }
  const timings: Record<string, number> = {};
  for (const key of keys) {
    timings[key] = results.reduce((sum, r) => sum + r.timings[key]!, 0) / results.length;
  }
  return { timings, info: { ...results[0]!.info, objects: results.length } };
}

function describe(scenario: Scenario) {
  const batches = scenario.batches ?? 1;
  if (!Number.isInteger(batches) || batches < 1) throw new Error(`${scenario.id}: batches must be a whole number ≥ 1`);
  if (batches > 1 && scenario.drive) throw new Error(`${scenario.id}: batches applies to the default drive only`);
  return {
    id: scenario.id,
    title: scenario.title,
    sizes: scenario.sizes,
    metrics: scenario.metrics,
    baseline: scenario.baseline,
    fullRounds: scenario.fullRounds,
    isolatedSides: scenario.isolatedSides,
    runFirst: scenario.runFirst ?? false,
    probeOnly: scenario.probeOnly ?? false,
    freshIsolate: scenario.freshIsolate ?? false,
    batches,
    sampleTimeoutMs: scenario.sampleTimeoutMs,
    targets: scenario.targets ?? [],
    notes: scenario.notes ?? [],
    sides: Object.entries(scenario.sides).map(([name, side]) =>
      side === NOT_YET
        ? { name, state: "not yet" }
        : name === "ours" && !OURS_AVAILABLE
          ? { name, state: "not built", label: side.label }
          : { name, state: "ready", label: side.label, metrics: side.metrics ?? scenario.metrics.map((m) => m.key) },
    ),
  };
}

async function sample(env: Env, url: URL): Promise<SampleResult> {
  const scenario = scenarioById(url.searchParams.get("scenario") ?? "");
  const sideName = url.searchParams.get("side") ?? "";
  const side = scenario.sides[sideName];
  if (side === undefined || side === NOT_YET) throw new Error(`${scenario.id} has no side "${sideName}"`);
  const mode = url.searchParams.get("mode") === "smoke" ? "smoke" : "full";
  const objectName = url.searchParams.get("name") ?? crypto.randomUUID();
  let stub: Promise<BenchStub> | undefined;
  const ctx: DriveContext<unknown> = {
    env,
    scenario,
    sideName,
    side,
    params: scenario.sizes[mode],
    objectName,
    stub: () => (stub ??= stubFor(env, side, objectName)),
  };
  return (scenario.drive ?? defaultDrive)(ctx);
}

export default {
  async fetch(request: Request, env: Env): Promise<Response> {
    const url = new URL(request.url);
    try {
      if (url.pathname === "/info") {
        return Response.json({ oursAvailable: OURS_AVAILABLE, scenarios: SCENARIOS.map(describe) });
      }
      if (url.pathname === "/sample") return Response.json({ ok: true, ...(await sample(env, url)) });
      return new Response("not found", { status: 404 });
    } catch (error) {
      const e = error as Error;
      return Response.json({ ok: false, error: `${e.name}: ${e.message}\n${e.stack ?? ""}` }, { status: 500 });
    }
  },
} satisfies ExportedHandler<Env>;
