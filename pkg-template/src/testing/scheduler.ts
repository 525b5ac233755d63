/**
 * Testing scheduled tasks without waiting: `runDueTasks(stub, { until })` runs, inside the
 * object, every task due at `until` (default: now), as the alarm would, and returns what ran.
 */
import { runInDurableObject } from "cloudflare:test";
import type { DurableCore } from "../durable-core.js";
import { alarmWrites, idle, keepAlarmRunsForTests, nextDue, runDueTasks as runDue, takeAlarmRuns } from "../scheduler-hooks.js";
import type { TaskRun } from "../scheduler-types.js";

// The local runtime fires due alarms by itself, so a task due now may already have run, or be
// running, when a test calls runDueTasks. The scheduler keeps the runs real alarms make (only
// once this module is loaded), and runDueTasks waits for a run in progress and reports them:
// each task run is reported exactly once, whichever of the two ran it.
keepAlarmRunsForTests();

export type { TaskRun } from "../scheduler-types.js";

export interface RunDueTasksOptions {
  /**
   * Run everything that falls due up to this time, as if the clock moved there: each task runs
   * at its own due time, in order, including retries and the occurrences of recurring tasks
   * that fall before it. Every clock the scheduler reads during the run (`after()` and `every()`
   * called by a handler, `firedAt`, retry backoffs) reads the simulated time; `Date.now()` in
   * your own code does not. Default: now (only what is already due).
   */
  until?: number | Date;
  /** Stop after exactly this many handler runs at most (a guard against `every(1, ...)` and long spans). Default 10,000. */
  maxRuns?: number;
}

/**
 * Runs the object's tasks due up to `until`, inside the object and through the same code as
 * `alarm()`, and returns each handler run in order. Works on any `DurableCore` subclass
 * exported by the Worker under test.
 *
 * The local runtime also fires due alarms by itself. `runDueTasks` first waits for a run of
 * the real alarm in progress, and reports the runs real alarms made since its last call before
 * its own: a task due now is in the result exactly once, whoever ran it (no polling needed).
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
    await scheduler[idle]();
    const runs: TaskRun[] = scheduler[takeAlarmRuns]().slice(0, maxRuns);
    // Step a simulated clock from due time to due time; each step runs what is due then, and
    // everything the scheduler reads meanwhile (after(), firedAt, retries) reads that time.
    for (let steps = 0; runs.length < maxRuns && steps < maxRuns; steps++) {
      const due = scheduler[nextDue]();
      if (due === undefined || due > until) break;
      const now = Math.max(due, Math.min(Date.now(), until));
      runs.push(...(await scheduler[runDue]({ now, maxTasks: maxRuns - runs.length, source: "test" })));
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
