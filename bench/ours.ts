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

  /** S2P: a handler that schedules its follow-up (an hour ahead: it never fires in the sample). */
  onBenchFollowUp(payload: { i: number }): void {
    this.meter.fired += 1;
    this.scheduler.at(Date.now() + 3_600_000, "onBenchTask", payload);
  }

  /** S2P: a handler that reads a task. */
  onBenchGet(_payload: unknown): void {
    this.meter.fired += 1;
    this.scheduler.get("s2p-none");
  }

  /** S2P: a handler that reads a task ten times. */
  onBenchGet10(_payload: unknown): void {
    this.meter.fired += 1;
    for (let i = 0; i < 10; i++) this.scheduler.get("s2p-none");
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

  /** S6: ends this instance, so that the next request wakes a new one over the stored data. */
  evict(): void {
    this.ctx.abort("S6: wake a new instance");
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

  /** S6: ends this instance, so that the next request wakes a new one over the stored data. */
  evict(): void {
    this.ctx.abort("S6: wake a new instance");
  }

  runSide(scenarioId: string, sideName: string, params: unknown) {
    return runRegisteredSide(this, scenarioId, sideName, params);
  }

  /**
   * S6W: `n` wakes of `kind` over this object's context (the platform's base class accepts no
   * other), each inside a transaction that is then rolled back: what a fresh wake costs the
   * isolate's CPU (JS, wasm, the statements), without the disk. The context's id is this
   * object's, so each new instance frees its predecessor's engine handle and opens its own, as
   * a woken object does. durable-core's wake is synchronous up to `onStart`: it is over when
   * the constructor returns. Milliseconds in all.
   */
  wakeLoop(kind: WakeKind, n: number): number {
    const storage = this.ctx.storage;
    // Each instance's schema wraps the storage's `transaction`: put the original back each time.
    const transaction = storage.transaction;
    // Runs the wake at once, inside the loop's transaction (the platform's may defer it).
    const ctx = this.ctx as { blockConcurrencyWhile: (fn: () => Promise<unknown>) => Promise<unknown> };
    const block = ctx.blockConcurrencyWhile;
    ctx.blockConcurrencyWhile = (fn) => fn();
    const start = performance.now();
    for (let i = 0; i < n; i++) {
      try {
        storage.transactionSync(() => {
          WAKES[kind](this.ctx, this.env);
          throw ROLLBACK;
        });
      } catch (error) {
        if (error !== ROLLBACK) throw error;
      }
      storage.transaction = transaction;
    }
    const ms = performance.now() - start;
    ctx.blockConcurrencyWhile = block;
    const left = this.ctx.storage.sql.exec<{ name: string }>("SELECT name FROM sqlite_master WHERE name = 'items' OR name LIKE '\\_dc\\_%' ESCAPE '\\'").toArray();
    if (left.length > 0) throw new Error(`S6W: a wake outlived its rollback: ${left.map((t) => t.name).join(", ")}`);
    return ms;
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

const ROLLBACK = new Error("S6W: roll the wake back");

const S6W_CHECKSUM = "0123456789abcdef";
const S6W_RECORD =
  "CREATE TABLE IF NOT EXISTS _dc_migrations (scope TEXT NOT NULL, version INTEGER NOT NULL, name TEXT, checksum TEXT NOT NULL, " +
  "applied_at INTEGER NOT NULL, PRIMARY KEY (scope, version)) WITHOUT ROWID; " +
  "INSERT INTO _dc_migrations (scope, version, name, checksum, applied_at) VALUES (?, ?, ?, ?, ?)";

/** S6W's kinds of wake. */
const WAKES = {
  /** Nothing but the loop and its rollback. */
  none: (_ctx: DurableObjectState, _env: Env) => {},
  /** The migration's CREATE TABLE, raw. */
  rawCreate: (ctx: DurableObjectState, _env: Env) => {
    ctx.storage.sql.exec(ITEMS_TABLE);
  },
  /** OursCold's statements, raw: the failing ledger read, then the migration and its row. */
  rawSame: (ctx: DurableObjectState, _env: Env) => {
    const sql = ctx.storage.sql;
    try {
      sql.exec("SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version").toArray();
    } catch {
      // no ledger
    }
    ctx.storage.transactionSync(() => {
      sql.exec(ITEMS_TABLE);
      // durable-core-disable-next-line sql-forbidden -- probe: the raw copy of durable-core's own wake statements
      sql.exec(S6W_RECORD, "user", 1, null, S6W_CHECKSUM, Date.now());
    });
  },
  /** The failing ledger read alone. */
  rawRead: (ctx: DurableObjectState, _env: Env) => {
    try {
      ctx.storage.sql.exec("SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version").toArray();
    } catch {
      // no ledger
    }
  },
  /** A ledger read that cannot fail: whether its table exists, from sqlite_master (absent here). */
  rawExists: (ctx: DurableObjectState, _env: Env) => {
    ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_dc_migrations'").toArray();
  },
  /** The migration and its ledger row (the ledger's CREATE IF NOT EXISTS with the INSERT), no read. */
  rawLedger: (ctx: DurableObjectState, _env: Env) => {
    const sql = ctx.storage.sql;
    ctx.storage.transactionSync(() => {
      sql.exec(ITEMS_TABLE);
      // durable-core-disable-next-line sql-forbidden -- probe: the raw copy of durable-core's own wake statements
      sql.exec(S6W_RECORD, "user", 1, null, S6W_CHECKSUM, Date.now());
    });
  },
  /** The same rows in two execs, none failing: the ledger's CREATE with its read, then the migration with its row. */
  rawFewer: (ctx: DurableObjectState, _env: Env) => {
    const sql = ctx.storage.sql;
    ctx.storage.transactionSync(() => {
      // durable-core-disable-next-line sql-interpolation -- probe: durable-core's wake statements spliced into one text on purpose
      sql.exec(`${S6W_RECORD.slice(0, S6W_RECORD.indexOf(";"))}; SELECT scope, version, checksum FROM _dc_migrations ORDER BY scope, version`).toArray();
      // durable-core-disable-next-line sql-interpolation -- probe: durable-core's wake statements spliced into one text on purpose
      sql.exec(`${ITEMS_TABLE};\n${S6W_RECORD.slice(S6W_RECORD.indexOf(";") + 1).replace("?, ?, ?, ?, ?", `'user', 1, NULL, '${S6W_CHECKSUM}', ${Date.now()}`)}`);
    });
  },
  oursEmpty: (ctx: DurableObjectState, env: Env) => new OursColdEmpty(ctx, env),
  oursTable: (ctx: DurableObjectState, env: Env) => new OursColdTable(ctx, env),
  ours: (ctx: DurableObjectState, env: Env) => new OursCold(ctx, env),
};

export type WakeKind = keyof typeof WAKES;

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
