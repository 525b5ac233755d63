// durable-core's sides of the benchmarks. Bundled only when pkg/dist/workerd.js exists
// (run.mjs aliases "bench-ours" to this file and "durable-core" to the built package);
// otherwise ours-absent.ts stands in and every "ours" row says "not yet".
//
// A capability owner adds here whatever their scenario's ours side needs on the object
// (a task handler, an onConnect that subscribes, a migration) and the side itself in
// bench/scenarios/sN-*.ts. See bench/README.md.
import { type Connection, DurableCore, engineStats, sql } from "durable-core";
import type { Env } from "./harness";
import { ITEMS_TABLE, TaskMeter } from "./objects/common";
import { runRegisteredSide } from "./scenarios/index";
import { TOPIC as S3_TOPIC } from "./scenarios/s3-publish";
import { EMAIL_INDEX, type MemoryProbe, type S7Params, fillReadCache, topicsOf } from "./scenarios/s7-memory";

/** S7: the isolate's wasm instance, and the handle bytes of the objects `ids` names. */
function memoryProbe(ids: readonly string[]): MemoryProbe {
  const stats = engineStats();
  const wanted = new Set(ids);
  const handles: Record<string, number> = {};
  for (const h of stats.handles) if (wanted.has(h.id)) handles[h.id] = h.bytes;
  return {
    memoryBytes: stats.memoryBytes,
    budgetBytes: stats.budgetBytes,
    readCacheBytes: stats.readCacheBytes,
    liveEngines: stats.liveEngines,
    handles,
  };
}

export const OURS_AVAILABLE = true;

export class OursBench extends DurableCore<Env> {
  static override migrations = [ITEMS_TABLE];

  /** Named `meter`, not `tasks`: agents' Agent already has a `tasks` member. */
  readonly meter = new TaskMeter();

  get dctx(): DurableObjectState {
    return this.ctx;
  }

  ping(): string {
    return "pong";
  }

  /** The `sql` helper, for scenarios (which must not import durable-core themselves). */
  get sqlHelper(): typeof sql {
    return sql;
  }

  runSide(scenarioId: string, sideName: string, params: unknown) {
    return runRegisteredSide(this, scenarioId, sideName, params);
  }

  onBenchTask(_payload: unknown): void {
    this.meter.fired += 1;
  }

  /** S7: the isolate's wasm memory, read from inside it. */
  memory(ids: string[]): MemoryProbe {
    return memoryProbe(ids);
  }

  /** S3: every connection subscribes to the benchmark topic; S7's to its own topics. */
  override onConnect(conn: Connection, request: Request): void {
    const params = new URL(request.url).searchParams;
    const s7Topics = params.get("s7topics");
    if (s7Topics === null) conn.subscribe(S3_TOPIC);
    else for (const topic of topicsOf(Number(params.get("s7seq")), Number(s7Topics))) conn.subscribe(topic);
  }

  override async alarm(alarmInfo?: AlarmInvocationInfo): Promise<void> {
    await this.meter.timeAlarm(() => super.alarm(alarmInfo));
  }
}

/** S6: the cold-start cost of a durable-core subclass with one migration. */
export class OursCold extends DurableCore<Env> {
  static override migrations = [ITEMS_TABLE];

  ping(): string {
    return "pong";
  }
}

/** S6P: objects of the cold probe classes constructed in this isolate. */
let coldProbes = 0;

/** S6P: a durable-core subclass with nothing declared (the facade, the engine, the ledger read). */
export class OursColdEmpty extends DurableCore<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    coldProbes += 1;
  }

  ping(): string {
    return "pong";
  }

  /** After the timing: whether the objects share one isolate and one wasm instance. */
  isolateInfo(): Record<string, number> {
    const stats = engineStats();
    return { constructedInIsolate: coldProbes, liveEngines: stats.liveEngines, generation: stats.generation, memoryBytes: stats.memoryBytes };
  }
}

/**
 * S6P: `OursColdEmpty` that creates OursCold's table itself in `onStart` (inside the wake's
 * `blockConcurrencyWhile`): OursCold without the plan of a user migration and its ledger row.
 */
export class OursColdTable extends OursColdEmpty {
  override onStart(): void {
    const storage = this.ctx.storage;
    storage.transactionSync(() => storage.sql.exec(ITEMS_TABLE));
  }
}

/** S7: a store with one unique index, whose lookups fill the isolate's read cache. */
export class OursIndexed extends DurableCore<Env> {
  static override indexes = { [EMAIL_INDEX]: { key: (value: { email: string }) => value.email, unique: true } };

  ping(): string {
    return "pong";
  }

  runSide(scenarioId: string, sideName: string, params: unknown) {
    return runRegisteredSide(this, scenarioId, sideName, params);
  }

  fillReadCache(p: S7Params) {
    return fillReadCache(this.store, () => memoryProbe([]), p.entries);
  }
}
