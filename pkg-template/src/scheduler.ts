/**
 * `this.scheduler`: many tasks per object on the one native alarm.
 *
 * The Rust core owns the queue (`_dc_tasks`, `_dc_dead_tasks`), the due order, cron and
 * interval math, retries and dead letters. This file is the API users call; the checks of what
 * they pass are in scheduler-input.ts, the run of due tasks in `alarm()` in scheduler-run.ts,
 * and the one writer of the native alarm in scheduler-alarm.ts.
 */
import type { CoreContext } from "./core-context.js";
import { DurableCoreError } from "./errors.js";
import { TASK_KINDS } from "./generated/core.js";
import { AlarmWriter } from "./scheduler-alarm.js";
import { alarmWrites, idle, nextDue, runDueTasks, takeAlarmRuns } from "./scheduler-hooks.js";
import { checkId, checkSchedule } from "./scheduler-input.js";
import { type RunOptions, TaskRunner } from "./scheduler-run.js";
import type { CronOptions, FailedTask, ListOptions, ScheduleOptions, Task, TaskKind, TaskMethod, TaskRun } from "./scheduler-types.js";
import { parsePayload, toFailed, toTask } from "./scheduler-values.js";

/** A task kind as `schedulerSchedule` takes it: its index in {@link TASK_KINDS}. */
const KIND_CODES = Object.fromEntries(TASK_KINDS.map((kind, index) => [kind, index])) as Record<TaskKind, number>;

export type * from "./scheduler-types.js";
/** @internal The base class's `alarm()` runs the queue through it. */
export { runDueTasks } from "./scheduler-hooks.js";

/**
 * The alarm queue of one object.
 *
 * @example
 * this.scheduler.after(30_000, "turnTimeout", { gameId });
 * this.scheduler.cron("0 9 * * MON", "weeklyDigest", undefined, { id: "digest", timezone: "Europe/Paris" });
 */
export class Scheduler<Owner extends object = object, Handlers = {}> {
  readonly #core: CoreContext;
  readonly #owner: Owner;
  readonly #alarm: AlarmWriter;
  readonly #runner: TaskRunner;

  /** @internal Created by `DurableCore`. */
  constructor(core: CoreContext, owner: Owner) {
    this.#core = core;
    this.#owner = owner;
    this.#alarm = new AlarmWriter(core);
    this.#runner = new TaskRunner(core, owner, this.#alarm);
    // A new handle mid-run (handle pool eviction while a handler awaits, or a trap) starts
    // outside the run: put it back inside, so its alarm changes wait for the run's end.
    core.onNewEngine((engine) => {
      if (this.#runner.inAlarm) engine.schedulerResumeAlarm();
    });
  }

  /** Runs `method` once at `time` (a past time runs at once). */
  at(time: Date | number, method: TaskMethod<Owner, Handlers>, payload?: unknown, opts?: ScheduleOptions): Task {
    const ms = time instanceof Date ? time.getTime() : time;
    return this.#schedule("at", ms, undefined, method, payload, opts);
  }

  /** Runs `method` once, `ms` milliseconds from now. */
  after(ms: number, method: TaskMethod<Owner, Handlers>, payload?: unknown, opts?: ScheduleOptions): Task {
    return this.#schedule("after", ms, undefined, method, payload, opts);
  }

  /**
   * Runs `method` every `ms` milliseconds, first one interval from now, at a fixed rate
   * anchored to that first time (no drift). Runs missed while the object was down are
   * coalesced into one. Registering the same `id` again with the same interval keeps its place.
   */
  every(ms: number, method: TaskMethod<Owner, Handlers>, payload?: unknown, opts?: ScheduleOptions): Task {
    return this.#schedule("every", ms, undefined, method, payload, opts);
  }

  /**
   * Runs `method` on a cron expression: 5 fields, or 6 with leading seconds; names, ranges,
   * steps, lists. In `opts.timezone` (IANA) or UTC. Missed runs are coalesced into one.
   */
  cron(expression: string, method: TaskMethod<Owner, Handlers>, payload?: unknown, opts?: CronOptions): Task {
    if (typeof expression !== "string") {
      throw new DurableCoreError("CRON_INVALID", `the cron expression must be a string, got ${typeof expression}`);
    }
    return this.#schedule("cron", Number.NaN, expression, method, payload, opts);
  }

  /** Removes a task; true if it existed. A cancelled task never starts after this returns true. */
  cancel(id: string): boolean {
    checkId(id);
    const cancelled = this.#core.call((engine) => engine.schedulerCancel(id));
    this.#alarm.apply(cancelled.alarm);
    return cancelled.existed;
  }

  get(id: string): Task | undefined {
    checkId(id);
    const task = this.#core.call((engine) => engine.schedulerGet(id));
    return task === undefined ? undefined : toTask(task);
  }

  /** Queued tasks in due order. */
  list(opts: ListOptions = {}): Task[] {
    let afterDue: number | undefined;
    let afterId: string | undefined;
    const after = opts.after;
    if (after instanceof Date) afterDue = after.getTime();
    else if (typeof after === "number") afterDue = after;
    else if (after !== undefined) {
      afterDue = after.due;
      afterId = after.id;
    }
    const tasks = this.#core.call((engine) => engine.schedulerList(opts.method, opts.limit, afterDue, afterId));
    return tasks.map(toTask);
  }

  /** Dead letters: tasks whose attempts ran out, oldest failure first. */
  failed(): FailedTask[] {
    return this.#core.call((engine) => engine.schedulerFailed(undefined)).map(toFailed);
  }

  /**
   * Puts a dead letter back in the queue, due now, attempts reset. For a recurring task whose
   * id is still live, the failed occurrence runs again (`scheduledAt` is its time) before the
   * next occurrence, which keeps its due time.
   */
  retryFailed(id: string): Task | undefined {
    checkId(id);
    const core = this.#core;
    const now = this.#runner.now();
    const retried = core.call((engine) => core.ctx.storage.transactionSync(() => engine.schedulerRetryFailed(id, now)));
    this.#alarm.apply(retried.alarm);
    return retried.task === undefined ? undefined : toTask(retried.task);
  }

  /** @internal On every wake: re-arms when the queue and the armed alarm disagree. */
  async wake(): Promise<void> {
    const armed = await this.#core.ctx.storage.getAlarm();
    const code = this.#core.call((engine) => engine.schedulerWake(armed ?? undefined, Date.now()));
    if (code !== Number.NEGATIVE_INFINITY) {
      this.#alarm.apply(code);
      return;
    }
    // A task is due and no alarm is armed: the alarm is firing right now (getAlarm() is null
    // while it does, and the constructor runs first), or it was lost. Re-arming here would be
    // a redundant setAlarm that outlives the run; if no run starts, repair it after this event.
    setTimeout(() => {
      if (this.#runner.runsStarted === 0) this.#alarm.apply(this.#core.call((engine) => engine.schedulerSettle()));
    }, 0);
  }

  /** @internal */
  [idle](): Promise<void> {
    return this.#runner.idle();
  }

  /** @internal */
  [takeAlarmRuns](): TaskRun[] {
    return this.#runner.takeAlarmRuns();
  }

  /** @internal */
  [nextDue](): number | undefined {
    return this.#core.call((engine) => engine.schedulerNextDue());
  }

  /** @internal */
  get [alarmWrites](): number {
    return this.#alarm.writes;
  }

  /**
   * @internal Runs due tasks: the body of `alarm()`, and of `runDueTasks` in tests, where
   * `now` simulates a later time (every clock the scheduler reads during the run is `now`).
   * Stops after `budgetMs` of wall time or `maxTasks` handlers, whichever comes first; the
   * alarm is then re-armed at once. Runs never overlap: a run waits for the one before it.
   */
  [runDueTasks](options: RunOptions = {}): Promise<TaskRun[]> {
    return this.#runner.enqueue(options);
  }

  #schedule(
    kind: TaskKind,
    when: number,
    expression: string | undefined,
    method: string,
    payload: unknown,
    opts: CronOptions | undefined,
  ): Task {
    const text = checkSchedule(this.#owner, { kind, when, expression, method, payload, opts });
    const now = this.#runner.now();
    let due = 0;
    let attempts = 0;
    let alarm = 0;
    const id = this.#core.call((engine) => {
      const written = engine.schedulerSchedule(KIND_CODES[kind], when, expression, opts?.timezone, opts?.id, method, text, opts?.retry, now);
      // Read from the same engine, before anything else can schedule on it.
      due = engine.schedulerScheduled(0);
      attempts = engine.schedulerScheduled(1);
      alarm = engine.schedulerScheduled(2);
      return written as string;
    });
    this.#alarm.apply(alarm);
    // The stored form, as get/list/the handler see it, never the caller's own object.
    return { id, method, payload: parsePayload(text), due, kind, attempts };
  }
}
