/**
 * The run of due tasks: the body of `alarm()` (and of `runDueTasks` in tests). Claims batches
 * from the core, confirms each claim before any handler runs, runs the handlers one at a time,
 * and records how each ended. The order of these steps is what keeps G3–G7 (README); the core's
 * side is described in src/scheduler/mod.rs.
 */
import type { CoreContext } from "./core-context.js";
import { DurableCoreError } from "./errors.js";
import { TASK_MARK_DONE, TASK_MARK_FREE, TASK_MARK_SKIPPED, TASK_MARK_STALE, TASK_MARK_STARTED } from "./generated/core.js";
import { errorText } from "./kernel/error-text.js";
import { HandleWatch } from "./kernel/handle-watch.js";
import type { AlarmWriter } from "./scheduler-alarm.js";
import { taskHandler } from "./scheduler-handlers.js";
import { keepsAlarmRuns } from "./scheduler-hooks.js";
import type { FailedTask, TaskContext, TaskRun } from "./scheduler-types.js";
import { parsePayload, toFailed } from "./scheduler-values.js";
import type { CoreDeadTask } from "./wasm/durable_core.js";

/** See {@link MAX_TASKS_PER_ALARM}. */
const MAX_TASKS_PER_ALARM_VALUE = 1_000;
/**
 * Tasks claimed per core call, and per confirmation (`ctx.storage.sync()`, one storage round trip):
 * as many as one run may start, so a run of due tasks waits for durability once, not once per
 * small batch. A batch cut short by the time budget releases the rest.
 */
const CLAIM_BATCH = MAX_TASKS_PER_ALARM_VALUE;
/** How many values each delivery of a claim takes in `Claimed.deliveries` (src/wasm/scheduler.rs). */
const DELIVERY_VALUES = 6;
/**
 * The batch each object of this isolate is running, by object id: the entry outlives an
 * invocation that ends in the middle of a handler (`ctx.abort()`, an exceeded limit), since
 * module memory does when the isolate does. The next run of that object then knows which
 * deliveries never started and gives their counts back. A hint only: without it (a new
 * isolate) those deliveries keep their count, as they did before.
 */
const interrupted = new Map<string, { flat: (string | number | null)[]; count: number; marks: Uint8Array; at: number }>();
/** How long a batch left by an ended invocation is trusted (the object may have run elsewhere since). */
const INTERRUPTED_TRUST_MS = 60_000;
/** Wall time one `alarm()` spends on handlers before it re-arms at once for the rest. */
const ALARM_BUDGET_MS = 5_000;
/**
 * Handlers one `alarm()` runs before it re-arms at once for the rest. The time budget alone is
 * not enough: in production `Date.now()` only advances across I/O, so a run of synchronous
 * handlers would never see it spent.
 */
export const MAX_TASKS_PER_ALARM = MAX_TASKS_PER_ALARM_VALUE;
/** Runs kept per object for `runDueTasks`; older ones are dropped. */
const MAX_KEPT_RUNS = 10_000;

export interface RunOptions {
  /** A simulated time: every clock the scheduler reads during the run reads it. */
  now?: number;
  budgetMs?: number;
  maxTasks?: number;
  source?: "alarm" | "test";
}

/** A claimed delivery about to run, with the definition it runs with. */
interface Running {
  id: string;
  method: string;
  payload: string | undefined;
  scheduledAt: number;
  attempt: number;
  next?: number | undefined;
  /** The index of its mark when it was started from its mark (see `BatchMarks`), else -1. */
  mark: number;
}

interface OwnerHooks {
  onTaskFailed?(task: FailedTask, error: unknown): void | Promise<void>;
}

/** The runs of due tasks of one object: one at a time, the next waits for the one before. */
export class TaskRunner {
  readonly #core: CoreContext;
  readonly #owner: object;
  readonly #alarm: AlarmWriter;
  /** True while a run executes handlers. */
  inAlarm = false;
  /** Runs started since this object woke (a wake-time repair is moot once one has). */
  runsStarted = 0;
  /** The tail of the runs of due tasks. */
  #runs: Promise<unknown> = Promise.resolve();
  /** The simulated time of a `runDueTasks({ until })` step: every clock the scheduler reads. */
  #simulatedNow: number | undefined;
  /** Runs made by real alarms, kept for `runDueTasks` (tests only). */
  #alarmRuns: TaskRun[] = [];
  /** Set when the end of a delivery could not be recorded during the current run. */
  #unrecorded = false;
  /** The marks of the batch being run, shared with the core (see `BatchMarks` in src/scheduler/delivery.rs). */
  readonly #marks = new Uint8Array(CLAIM_BATCH);
  /** Whether a delivery was marked done since the core last read the marks. */
  #marksDue = false;

  /** The object's id: its key in {@link interrupted}. */
  readonly #key: string;

  constructor(core: CoreContext, owner: object, alarm: AlarmWriter) {
    this.#key = core.ctx.id.toString();
    this.#core = core;
    this.#owner = owner;
    this.#alarm = alarm;
  }

  /** The scheduler's clock: real time, or the simulated time of a `runDueTasks` step. */
  now(): number {
    return this.#simulatedNow ?? Date.now();
  }

  /** Resolves once no run is in progress. */
  idle(): Promise<void> {
    return this.#runs.then(
      () => undefined,
      () => undefined,
    );
  }

  /** The runs real alarms made since the last call. */
  takeAlarmRuns(): TaskRun[] {
    const runs = this.#alarmRuns;
    this.#alarmRuns = [];
    return runs;
  }

  /**
   * Runs due tasks after the run in progress, if any. Stops after `budgetMs` of wall time or
   * `maxTasks` handlers, whichever comes first; the alarm is then re-armed at once.
   */
  enqueue(options: RunOptions): Promise<TaskRun[]> {
    const run = this.#runs.then(
      () => this.#run(options),
      () => this.#run(options),
    );
    this.#runs = run;
    return run;
  }

  async #run(options: RunOptions): Promise<TaskRun[]> {
    const core = this.#core;
    const clock = () => this.now();
    const deadline = Date.now() + (options.budgetMs ?? ALARM_BUDGET_MS);
    const maxTasks = options.maxTasks ?? MAX_TASKS_PER_ALARM;
    const runs: TaskRun[] = [];
    this.runsStarted += 1;
    this.#unrecorded = false;
    this.inAlarm = true;
    this.#simulatedNow = options.now;
    try {
      // While the platform's alarm fires getAlarm() is null; in a test run it is whatever is armed.
      const armed = await core.ctx.storage.getAlarm();
      core.call((engine) => engine.schedulerBeginAlarm(armed ?? undefined));
      this.#releaseInterrupted();
      claiming: for (;;) {
        if (runs.length >= maxTasks || Date.now() >= deadline) break;
        const handle = new HandleWatch(core, true);
        const marks = this.#marks;
        marks.fill(TASK_MARK_FREE);
        const claim = core.call((engine) =>
          core.ctx.storage.transactionSync(() =>
            engine.schedulerClaim(clock(), Math.min(CLAIM_BATCH, maxTasks - runs.length), marks),
          ),
        );
        const count = claim.count;
        if (count > 0) {
          // The claim counted every delivery of the batch: make that durable before any handler
          // runs, so a handler that ends the invocation (ctx.abort(), an exceeded limit) has used
          // an attempt and cannot be redelivered forever. One round trip per batch.
          await core.ctx.storage.sync();
        }
        for (const task of claim.dead) await this.#reportFailed(toFailed(task), new Error(task.error));
        if (count === 0) {
          if (claim.dead.length === 0) break;
          continue;
        }
        // `DELIVERY_VALUES` values per delivery (see `Claimed` in src/wasm/scheduler.rs).
        const flat = JSON.parse(claim.deliveries) as (string | number | null)[];
        interrupted.set(this.#key, { flat, count, marks, at: Date.now() });
        try {
          for (let i = 0; i < count; i++) {
            // The rest of the batch is released (its counts taken back) when the run ends.
            if (runs.length >= maxTasks || Date.now() >= deadline) break claiming;
            // A new handle does not know this batch: claim again (the next claim sorts it out).
            if (handle.isNew) continue claiming;
            const at = i * DELIVERY_VALUES;
            const delivery: Running = {
              id: flat[at] as string,
              method: flat[at + 1] as string,
              payload: (flat[at + 2] as string | null) ?? undefined,
              scheduledAt: flat[at + 3] as number,
              attempt: flat[at + 4] as number,
              mark: -1,
            };
            let task: Running | undefined = delivery;
            // A one-shot nothing wrote since its claim starts here, and its end is a mark the
            // core reads later; any other goes through the core.
            if (flat[at + 5] === 1 && marks[i] === TASK_MARK_FREE) delivery.mark = i;
            else task = this.#start(delivery, clock());
            // Undefined: an earlier handler cancelled or replaced it. Marked all the same: the core
            // reads the marks up to the first one the run has not passed (see `BatchMarks`).
            if (task === undefined) {
              marks[i] = TASK_MARK_SKIPPED;
              continue;
            }
            // Whichever way it started: if the invocation ends now, this delivery keeps its count
            // (see #releaseInterrupted), and the core counts it as started.
            marks[i] = TASK_MARK_STARTED;
            const run = this.#runOne(task, clock);
            // A handler that returned no promise has been recorded already: no turn is spent.
            runs.push(run instanceof Promise ? await run : run);
            // Nothing more can be recorded (the invocation is ending, or storage refuses): stop,
            // and leave the rest to the next run rather than run handlers whose end is lost.
            if (this.#unrecorded) break claiming;
          }
        } finally {
          interrupted.delete(this.#key);
          this.#endBatch(handle, flat, count, clock);
        }
        if (this.#unrecorded) break;
      }
      return runs;
    } finally {
      this.inAlarm = false;
      try {
        this.#alarm.apply(core.call((engine) => engine.schedulerEndAlarm()));
      } finally {
        this.#simulatedNow = undefined;
        if (keepsAlarmRuns() && options.source !== "test") {
          this.#alarmRuns.push(...runs);
          if (this.#alarmRuns.length > MAX_KEPT_RUNS) this.#alarmRuns.splice(0, this.#alarmRuns.length - MAX_KEPT_RUNS);
        }
      }
    }
  }

  /**
   * The last batch of this object ended with its invocation (the entry of {@link interrupted}
   * was never removed): the deliveries of it that never started get their count back. The one
   * that was running keeps it, and so do those that ran (their effects were lost with the
   * invocation, so they run again).
   */
  #releaseInterrupted(): void {
    const left = interrupted.get(this.#key);
    if (left === undefined) return;
    interrupted.delete(this.#key);
    if (Date.now() - left.at > INTERRUPTED_TRUST_MS) return;
    for (let i = 0; i < left.count; i++) {
      const mark = left.marks[i];
      if (mark !== TASK_MARK_FREE && mark !== TASK_MARK_STALE && mark !== TASK_MARK_SKIPPED) continue;
      const id = left.flat[i * DELIVERY_VALUES] as string;
      try {
        this.#core.call((engine) => engine.schedulerRelease(id, left.flat[i * DELIVERY_VALUES + 4] as number));
      } catch (error) {
        // It keeps its count, as it would have without the hint.
        console.error(`durable-core: task ${id} could not get its count back:`, error);
      }
    }
  }

  /** The definition `delivery` runs with (started by the core), or `undefined` when it must be skipped. */
  #start(delivery: Running, now: number): Running | undefined {
    const start = this.#core.call((engine) => engine.schedulerStart(delivery.id, delivery.attempt, now));
    if (start === false) return undefined;
    if (start === true) return delivery;
    const { id, attempt } = delivery;
    return { id, attempt, method: start.method, payload: start.payload, scheduledAt: start.scheduledAt, next: start.next, mark: -1 };
  }

  /**
   * The batch ends (all run, the run stops, or a new handle): the core acknowledges the
   * deliveries marked done in one statement. A new handle never saw the marks: each of them is
   * acknowledged through it, one by one, as the core would have.
   */
  #endBatch(handle: HandleWatch, flat: (string | number | null)[], count: number, clock: () => number): void {
    const core = this.#core;
    const marks = this.#marks;
    this.#marksDue = false;
    try {
      // The handle is known to be current only once the call has it (a trap makes the next one).
      const ended = core.call((engine) => {
        if (handle.isNew) return false;
        engine.schedulerEndBatch();
        return true;
      });
      if (ended) return;
    } catch (error) {
      this.#unrecorded = true;
      console.error("durable-core: tasks that succeeded could not be acknowledged; they will run again:", error);
      return;
    }
    for (let i = 0; i < count; i++) {
      if (marks[i] !== TASK_MARK_DONE) continue;
      const id = flat[i * DELIVERY_VALUES] as string;
      try {
        this.#alarm.apply(core.call((engine) => engine.schedulerAck(id, flat[i * DELIVERY_VALUES + 4] as number, clock())));
      } catch (error) {
        this.#unrecorded = true;
        console.error(`durable-core: task ${id} succeeded but could not be acknowledged; it will run again:`, error);
      }
    }
  }

  /**
   * Runs `task`'s handler and records how it ended. A handler that returns no promise (nothing
   * with a `then` method) is acknowledged at once and its run returned as it is, without an
   * `await`; the order of handlers and acknowledgements and the handling of a throw are the
   * same either way.
   */
  #runOne(task: Running, clock: () => number): TaskRun | Promise<TaskRun> {
    const run: TaskRun = { id: task.id, method: task.method, attempt: task.attempt, ok: true };
    let result: unknown;
    let then: unknown;
    try {
      result = this.#call(task, clock);
      // Inside the try: a `then` getter that throws fails the task, as `await` would.
      then = (result as { then?: unknown } | null | undefined)?.then;
    } catch (error) {
      return this.#failed(task, run, error, clock);
    }
    if (typeof then === "function") {
      // The handler waits for something: acknowledgements marked so far are written first, as
      // they would have been one by one (and become durable with whatever it waits for).
      if (this.#marksDue) this.#settleMarks();
      return (async () => {
        try {
          await result;
        } catch (error) {
          return this.#failed(task, run, error, clock);
        }
        const ended = this.#succeeded(task, run, clock);
        // Written now, as one by one before: after a wait the object may have been evicted, and
        // a write is what tells (the run then stops instead of starting handlers of a dead object).
        if (task.mark >= 0) this.#settleMarks();
        return ended;
      })();
    }
    return this.#succeeded(task, run, clock);
  }

  /** Calls `task`'s handler; returns what it returned. */
  #call(task: Running, clock: () => number): unknown {
    const owner = this.#owner;
    const handler = taskHandler(owner, task.method);
    if (handler === undefined) {
      throw new DurableCoreError(
        "TASK_METHOD",
        `task ${task.id}: ${task.method} is not a task handler of ${owner.constructor.name} (renamed or removed since it was scheduled?)`,
      );
    }
    const context: TaskContext = {
      id: task.id,
      attempt: task.attempt,
      scheduledAt: task.scheduledAt,
      firedAt: clock(),
      next: task.next,
    };
    return handler.call(owner, parsePayload(task.payload), context);
  }

  async #failed(task: Running, run: TaskRun, error: unknown, clock: () => number): Promise<TaskRun> {
    run.ok = false;
    run.error = errorText(error);
    await this.#fail(task, run, error, clock);
    return run;
  }

  /**
   * Apart from the handler: a handler that succeeded is never counted as failed. If the ack
   * does not happen, the delivery stays due and runs again (at-least-once).
   */
  #succeeded(task: Running, run: TaskRun, clock: () => number): TaskRun {
    if (task.mark >= 0) {
      // Read by the core before its next call that touches the queue (see `BatchMarks`).
      this.#marks[task.mark] = TASK_MARK_DONE;
      this.#marksDue = true;
      return run;
    }
    try {
      this.#alarm.apply(this.#core.call((engine) => engine.schedulerAck(task.id, task.attempt, clock())));
    } catch (error) {
      this.#unrecorded = true;
      console.error(`durable-core: task ${task.id} succeeded but could not be acknowledged; it will run again:`, error);
    }
    return run;
  }

  /** Has the core read the marks now (acknowledging the deliveries marked done). */
  #settleMarks(): void {
    this.#marksDue = false;
    try {
      this.#core.call((engine) => engine.schedulerSettleMarks());
    } catch (error) {
      this.#unrecorded = true;
      console.error("durable-core: tasks that succeeded could not be acknowledged; they will run again:", error);
    }
  }

  async #fail(task: Running, run: TaskRun, error: unknown, clock: () => number): Promise<void> {
    const core = this.#core;
    let dead: CoreDeadTask | undefined;
    try {
      const failed = core.call((engine) =>
        core.ctx.storage.transactionSync(() =>
          engine.schedulerFail(task.id, task.attempt, run.error!, clock(), Math.random()),
        ),
      );
      this.#alarm.apply(failed.alarm);
      dead = failed.dead;
    } catch (failError) {
      this.#unrecorded = true;
      // The delivery was counted and stays due: it is retried (or dead-lettered) on redelivery.
      console.error(`durable-core: the failure of task ${task.id} could not be recorded; it will run again:`, failError);
      return;
    }
    if (dead !== undefined) {
      run.dead = true;
      await this.#reportFailed(toFailed(dead), error);
    }
  }

  async #reportFailed(task: FailedTask, error: unknown): Promise<void> {
    const hooks = this.#owner as OwnerHooks;
    try {
      await hooks.onTaskFailed?.(task, error);
    } catch (hookError) {
      // A failing hook must not make alarm() throw: the platform's retries are for
      // infrastructure faults, and the task is safely in dead letters already.
      console.error(`durable-core: onTaskFailed threw for task ${task.id}:`, hookError);
    }
  }
}
