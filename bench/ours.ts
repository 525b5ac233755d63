// durable-core's sides of the benchmarks. Bundled only when pkg/dist/workerd.js exists
// (run.mjs aliases "bench-ours" to this file and "durable-core" to the built package);
// otherwise ours-absent.ts stands in and every "ours" row says "not yet".
//
// A capability owner adds here whatever their scenario's ours side needs on the object
// (a task handler, an onConnect that subscribes, a migration) and the side itself in
// bench/scenarios/sN-*.ts. See bench/README.md.
import { type Connection, DurableCore, sql } from "durable-core";
import type { Env } from "./harness";
import { ITEMS_TABLE, TaskMeter } from "./objects/common";
import { runRegisteredSide } from "./scenarios/index";
import { TOPIC as S3_TOPIC } from "./scenarios/s3-publish";

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

  /** S3: every connection subscribes to the benchmark topic. */
  override onConnect(conn: Connection): void {
    conn.subscribe(S3_TOPIC);
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
