// Bookkeeping every bench object shares: counting fired tasks and timing alarm runs.
import type { SampleResult } from "../harness";
import { waitFor } from "../harness";

/** Counts what a task handler and the alarm handler did, for the S2 scenario. */
export class TaskMeter {
  fired = 0;
  alarmRuns = 0;
  alarmMs = 0;

  /** Wraps one run of an object's alarm handler. */
  async timeAlarm(run: () => Promise<unknown> | unknown): Promise<void> {
    const start = performance.now();
    try {
      await run();
    } finally {
      this.alarmMs += performance.now() - start;
      this.alarmRuns += 1;
    }
  }

  reset(): void {
    this.fired = 0;
    this.alarmRuns = 0;
    this.alarmMs = 0;
  }

  /**
   * Waits for `expected` tasks to fire through the alarm handler and reports the time the
   * handler spent (summed over its runs), or a failure naming how many fired.
   */
  async settle(expected: number, timeoutMs: number, storage: DurableObjectStorage): Promise<SampleResult> {
    const done = await waitFor(() => this.fired >= expected, timeoutMs);
    const info = { fired: this.fired, alarmRuns: this.alarmRuns };
    if (done) return { timings: { run: this.alarmMs }, info };
    const alarm = await storage.getAlarm();
    const armed = alarm === null ? "no alarm armed" : `alarm armed for ${new Date(alarm).toISOString()}`;
    return {
      timings: {},
      info,
      failure: `fired ${this.fired} of ${expected} past-due tasks in ${this.alarmRuns} alarm runs within ${timeoutMs} ms (${armed})`,
    };
  }
}

export const ITEMS_TABLE =
  "CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL)";
