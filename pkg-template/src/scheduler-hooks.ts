/**
 * The internal hooks of `this.scheduler`: the symbols through which the base class's `alarm()`
 * and `durable-core/testing` reach it, kept off its public surface.
 */

/** @internal Used by `durable-core/testing` and the base class's `alarm()`. */
export const runDueTasks = Symbol.for("durable-core.scheduler.runDueTasks");
/** @internal Alarm writes made so far (for tests of "no redundant setAlarm"). */
export const alarmWrites = Symbol.for("durable-core.scheduler.alarmWrites");
/** @internal The earliest due time in the queue (for `runDueTasks`). */
export const nextDue = Symbol.for("durable-core.scheduler.nextDue");
/** @internal Resolves once no run of due tasks is in progress (for `runDueTasks`). */
export const idle = Symbol.for("durable-core.scheduler.idle");
/** @internal The runs the real alarm made since the last call (for `runDueTasks`). */
export const takeAlarmRuns = Symbol.for("durable-core.scheduler.takeAlarmRuns");

/** Set by `durable-core/testing`: keep the runs of real alarms for `runDueTasks` to report. */
let keepAlarmRuns = false;

/** @internal Called by `durable-core/testing` when it loads. */
export function keepAlarmRunsForTests(): void {
  keepAlarmRuns = true;
}

/** @internal Whether the runs of real alarms are kept (only once `durable-core/testing` loaded). */
export function keepsAlarmRuns(): boolean {
  return keepAlarmRuns;
}
