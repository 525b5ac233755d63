/**
 * Testing scheduled tasks without waiting: `runDueTasks(stub, { until })` runs, inside the
 * object, every task due at `until` (default: now), as the alarm would, and returns what ran.
 */
import { runInDurableObject } from "cloudflare:test";
import type { DurableCore } from "../durable-core.js";
import { type TaskRun, alarmWrites, nextDue, runDueTasks as runDue } from "../scheduler.js";

export type { TaskRun } from "../scheduler.js";

export interface RunDueTasksOptions {
  /**
   * Run everything that falls due up to this time, as if the clock moved there: each task runs
   * at its own due time, in order, including retries and the occurrences of recurring tasks
   * that fall before it. Default: now (only what is already due).
   */
  until?: number | Date;
  /** Stop after this many handler runs (a guard against `every(1, ...)` and long spans). Default 10,000. */
  maxRuns?: number;
}

/**
 * Runs the object's tasks due up to `until`, inside the object and through the same code as
 * `alarm()`, and returns each handler run in order. Works on any `DurableCore` subclass
 * exported by the Worker under test.
 *
 * @example
 * const stub = env.GAME.getByName("g1");
 * await stub.startTurn();                                   // schedules after(30_000, "turnTimeout")
 * const runs = await runDueTasks(stub, { until: Date.now() + 30_000 });
 * expect(runs.map((r) => r.method)).toEqual(["turnTimeout"]);
 */
export async function runDueTasks<T extends Rpc.DurableObjectBranded | undefined>(
  stub: DurableObjectStub<T>,
  options: RunDueTasksOptions = {},
): Promise<TaskRun[]> {
  const until = options.until instanceof Date ? options.until.getTime() : (options.until ?? Date.now());
  const maxRuns = options.maxRuns ?? 10_000;
  return runInDurableObject(stub as DurableObjectStub<never>, async (instance: DurableCore) => {
    const scheduler = instance.scheduler;
    const runs: TaskRun[] = [];
    // Step a virtual clock from due time to due time; each step runs what is due then.
    for (let steps = 0; runs.length < maxRuns && steps < maxRuns; steps++) {
      const due = scheduler[nextDue]();
      if (due === undefined || due > until) break;
      runs.push(...(await scheduler[runDue]({ now: Math.max(due, Math.min(Date.now(), until)) })));
    }
    return runs;
  });
}

/** How many times the object's scheduler has called `setAlarm`/`deleteAlarm` since it woke. */
export async function alarmWriteCount<T extends Rpc.DurableObjectBranded | undefined>(
  stub: DurableObjectStub<T>,
): Promise<number> {
  return runInDurableObject(stub as DurableObjectStub<never>, (instance: DurableCore) => instance.scheduler[alarmWrites]);
}
