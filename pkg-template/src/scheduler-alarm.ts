/**
 * The one writer of the object's native alarm. The core decides what the alarm must become and
 * says so with one number per call (see `alarm_code` in src/wasm/scheduler.rs); this applies it.
 */
import type { CoreContext } from "./core-context.js";

export class AlarmWriter {
  readonly #core: CoreContext;
  /** `setAlarm`/`deleteAlarm` calls made so far (for tests of "no redundant setAlarm"). */
  writes = 0;

  constructor(core: CoreContext) {
    this.#core = core;
  }

  /** The core's alarm decision: NaN = keep, Infinity = delete, else set to that time. */
  apply(code: number): void {
    if (Number.isNaN(code)) return;
    const storage = this.#core.ctx.storage;
    this.writes += 1;
    // Not awaited: scheduling is synchronous, and the platform orders storage writes and holds
    // outgoing messages until they are durable.
    const write = code === Number.POSITIVE_INFINITY ? storage.deleteAlarm() : storage.setAlarm(Math.max(code, 0));
    write.catch((error: unknown) => console.error("durable-core: could not update the alarm:", error));
  }
}
