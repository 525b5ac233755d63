/**
 * `this.scheduler`: many tasks per object on the one native alarm.
 *
 * The Rust core owns the queue (`_dc_tasks`, `_dc_dead_tasks`), the due order, cron and
 * interval math, retries and dead letters. This file validates what only JavaScript can see
 * (is `method` a function, is the payload JSON), applies the core's alarm decisions (it is the
 * only caller of `setAlarm`), and runs handlers in `alarm()`.
 */
import type { Json } from "./values.js";
import type { CoreContext } from "./engine.js";
import { DurableCoreError } from "./errors.js";
import { errorText } from "./kernel/error-text.js";
import { HandleWatch } from "./kernel/handle-watch.js";
import { jsonText } from "./kernel/json.js";
import { utf8Over } from "./kernel/text.js";

/** How a failing task is retried. Defaults: 5 attempts, 1 s backoff doubling to at most 60 s, jitter on. */
export interface RetryOptions {
  /** Deliveries per occurrence, the first run included (1 = never retry). Default 5. */
  attempts?: number;
  /** Delay before the first retry, doubled for each further one. Default 1000. */
  backoffMs?: number;
  /** Upper bound of the delay. Default 60000 (or `backoffMs` if larger). */
  maxBackoffMs?: number;
  /** Spread each delay over [delay/2, delay]. Default true. */
  jitter?: boolean;
}

export interface ScheduleOptions {
  /** The same id replaces, never duplicates. Generated when absent. */
  id?: string;
  retry?: RetryOptions;
}

export interface CronOptions extends ScheduleOptions {
  /** IANA time zone the expression is read in, e.g. "Europe/Paris". Default UTC. */
  timezone?: string;
}

export type TaskKind = "at" | "after" | "every" | "cron";

/** A queued task. Times are milliseconds since the epoch. */
export interface Task<Payload = Json | undefined> {
  id: string;
  method: string;
  /**
   * The payload as stored: the JSON round trip of what was scheduled (a `Date` becomes its ISO
   * string, `undefined` members vanish), the same from `at`/`after`/`every`/`cron`, `get`,
   * `list` and the handler's argument.
   */
  payload: Payload;
  /** When it runs next (a retry's due time includes its backoff). */
  due: number;
  kind: TaskKind;
  /** Deliveries of the current occurrence so far (0 until it first runs). */
  attempts: number;
}

/** A task whose attempts ran out, in `failed()`. */
export interface FailedTask<Payload = Json | undefined> extends Task<Payload> {
  error: string;
  failedAt: number;
}

/** The second argument of every task handler. */
export interface TaskContext {
  id: string;
  /**
   * 1 on the first delivery; higher on a retry or a redelivery (the invocation ended during an
   * earlier delivery, or its end could not be recorded). Handlers must be idempotent: above 1,
   * this delivery may repeat work already done.
   */
  attempt: number;
  /** The occurrence's due time. */
  scheduledAt: number;
  /** When the handler started (the simulated time under `runDueTasks({ until })`). */
  firedAt: number;
  /**
   * When a recurring task is due next (as of this delivery's start; an occurrence missed while
   * the handler runs coalesces into the one after), `undefined` for a one-shot.
   */
  next?: number;
}

export interface ListOptions {
  method?: string;
  limit?: number;
  /** A time: tasks due strictly after it. A task (the last of the previous page): the next page. */
  after?: number | Date | Pick<Task, "id" | "due">;
}

/** One handler run, as `runDueTasks` reports it. */
export interface TaskRun {
  id: string;
  method: string;
  attempt: number;
  ok: boolean;
  error?: string;
  /** Set when this failure used up the attempts (the task is now in `failed()`). */
  dead?: boolean;
}

/**
 * A task handler: `(payload, task) => void | Promise<void>`. Its payload is typed `never` here
 * so that a handler of any payload type fits; the handler receives the JSON it was scheduled
 * with.
 */
export type TaskHandler = (payload: never, task: TaskContext) => unknown;

/**
 * The name of a task handler, for `method` arguments: a key of the class's `taskHandlers`
 * table (kept off the RPC surface), or one of the owner's public members. (Members are not
 * narrowed to methods: TypeScript cannot resolve that filter on `this` inside the class, where
 * tasks are scheduled. A name that is not a function, or a lifecycle method such as `alarm` or
 * `fetch`, is refused at run time with `TASK_METHOD`.)
 */
export type TaskMethod<Owner, Handlers = {}> = (keyof Handlers & string) | (keyof Owner & string);

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
/** Runs kept per object for `runDueTasks`; older ones are dropped. */
const MAX_KEPT_RUNS = 10_000;

/** @internal Called by `durable-core/testing` when it loads. */
export function keepAlarmRunsForTests(): void {
  keepAlarmRuns = true;
}

/** See {@link MAX_TASKS_PER_ALARM}. */
const MAX_TASKS_PER_ALARM_VALUE = 1_000;
/**
 * Tasks claimed per core call, and per confirmation (`ctx.storage.sync()`, one storage round trip):
 * as many as one run may start, so a run of due tasks waits for durability once, not once per
 * small batch. A batch cut short by the time budget releases the rest.
 */
const CLAIM_BATCH = MAX_TASKS_PER_ALARM_VALUE;
/** Values per task in the flat array of a claim (see `schedulerClaim` in src/wasm/scheduler.rs). */
const CLAIMED_FIELDS = 5;
/** Wall time one `alarm()` spends on handlers before it re-arms at once for the rest. */
const ALARM_BUDGET_MS = 5_000;
/**
 * Handlers one `alarm()` runs before it re-arms at once for the rest. The time budget alone is
 * not enough: in production `Date.now()` only advances across I/O, so a run of synchronous
 * handlers would never see it spent.
 */
export const MAX_TASKS_PER_ALARM = MAX_TASKS_PER_ALARM_VALUE;

/**
 * Names that are never task handlers: the platform's entry points and the base class's hooks
 * (a task named `alarm` would re-enter the run, `fetch` would answer no request).
 */
const LIFECYCLE_METHODS = new Set([
  "constructor",
  "dup",
  "fetch",
  "alarm",
  "webSocketMessage",
  "webSocketClose",
  "webSocketError",
  "onStart",
  "onRequest",
  "onBeforeConnect",
  "onConnect",
  "onMessage",
  "onClose",
  "onError",
  "onTaskFailed",
  "assertReady",
  "core",
  "sql",
  "store",
  "scheduler",
  "sockets",
  "taskHandlers",
]);
/** The core's limit on a task id, checked here first so that nothing longer is copied into wasm. */
const MAX_ID_BYTES = 512;
/** Method names are class members: anything longer is not one. */
const MAX_METHOD_BYTES = 512;
/**
 * A payload's JSON text must fit, with the rest of its row, in the platform's 2 MB limit on a
 * SQLite value and row (the id and method take at most 1 KB of the headroom).
 */
export const MAX_PAYLOAD_BYTES = 2_000_000 - 8_192;

/** With the `u` flag a paired surrogate is one code point, so this matches only lone ones. */
const LONE_SURROGATE = /\p{Cs}/u;


/** Refuses a task id before it reaches the core: a string of 1 to 512 UTF-8 bytes, well formed. */
function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string") {
    throw new DurableCoreError("TASK_SCHEDULE", `invalid \`id\`: a task id must be a string, got ${typeof id}`);
  }
  if (id.length === 0 || utf8Over(id, MAX_ID_BYTES)) {
    throw new DurableCoreError("TASK_SCHEDULE", `invalid \`id\`: an id must be 1 to ${MAX_ID_BYTES} bytes long`);
  }
  if (LONE_SURROGATE.test(id)) {
    throw new DurableCoreError("TASK_SCHEDULE", "invalid `id`: it contains a lone surrogate (not valid UTF-16)");
  }
}

/** JSON.stringify drops functions and symbols silently; a payload holding one is refused. */
function refuseUnserializable(this: unknown, key: string, value: unknown): unknown {
  const type = typeof value;
  if (type === "function" || type === "symbol") {
    throw new DurableCoreError(
      "TASK_PAYLOAD",
      `the payload holds a ${type}${key === "" ? "" : ` at "${key}"`}: JSON would drop it silently; pass data only`,
    );
  }
  return value;
}

interface CoreTask {
  id: string;
  method: string;
  payload?: string;
  kind: TaskKind;
  due: number;
  scheduledAt: number;
  attempts: number;
}

/** A delivery of a claim, as the flat array of `schedulerClaim` holds it. */
interface ClaimedTask {
  id: string;
  method: string;
  payload: string | undefined;
  scheduledAt: number;
  attempt: number;
  next?: number | undefined;
}

interface CoreDeadTask {
  task: CoreTask;
  error: string;
  failedAt: number;
}

interface OwnerHooks {
  onTaskFailed?(task: FailedTask, error: unknown): void | Promise<void>;
}

function parsePayload(text: string | undefined): Json | undefined {
  return text === undefined ? undefined : JSON.parse(text);
}

function toTask(core: CoreTask): Task {
  return {
    id: core.id,
    method: core.method,
    payload: parsePayload(core.payload),
    due: core.due,
    kind: core.kind,
    attempts: core.attempts,
  };
}

function toFailed(dead: CoreDeadTask): FailedTask {
  return { ...toTask(dead.task), error: dead.error, failedAt: dead.failedAt };
}


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
  #alarmWrites = 0;
  /** True while `alarm()` (or `runDueTasks`) runs handlers. */
  #inAlarm = false;
  /** Runs started since this object woke (a wake-time repair is moot once one has). */
  #runsStarted = 0;
  /** The tail of the runs of due tasks: one runs at a time, the next waits for it. */
  #runs: Promise<unknown> = Promise.resolve();
  /** The simulated time of a `runDueTasks({ until })` step: every clock the scheduler reads. */
  #simulatedNow: number | undefined;
  /** Runs made by real alarms, kept for `runDueTasks` (tests only). */
  #alarmRuns: TaskRun[] = [];
  /** Set when the end of a delivery could not be recorded during the current run. */
  #unrecorded = false;

  /** @internal Created by `DurableCore`. */
  constructor(core: CoreContext, owner: Owner) {
    this.#core = core;
    this.#owner = owner;
    // A new handle mid-run (handle pool eviction while a handler awaits, or a trap) starts
    // outside the run: put it back inside, so its alarm changes wait for the run's end.
    core.onNewEngine((engine) => {
      if (this.#inAlarm) engine.schedulerResumeAlarm();
    });
  }

  /** The scheduler's clock: real time, or the simulated time of a `runDueTasks` step. */
  #now(): number {
    return this.#simulatedNow ?? Date.now();
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
    const [existed, alarm] = this.#core.call((engine) => engine.schedulerCancel(id)) as [boolean, number];
    this.#applyAlarm(alarm);
    return existed;
  }

  get(id: string): Task | undefined {
    checkId(id);
    const task = this.#core.call((engine) => engine.schedulerGet(id)) as CoreTask | undefined;
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
    const tasks = this.#core.call((engine) =>
      engine.schedulerList(opts.method, opts.limit, afterDue, afterId),
    ) as CoreTask[];
    return tasks.map(toTask);
  }

  /** Dead letters: tasks whose attempts ran out, oldest failure first. */
  failed(): FailedTask[] {
    const dead = this.#core.call((engine) => engine.schedulerFailed(undefined)) as CoreDeadTask[];
    return dead.map(toFailed);
  }

  /**
   * Puts a dead letter back in the queue, due now, attempts reset. For a recurring task whose
   * id is still live, the failed occurrence runs again (`scheduledAt` is its time) before the
   * next occurrence, which keeps its due time.
   */
  retryFailed(id: string): Task | undefined {
    checkId(id);
    const core = this.#core;
    const now = this.#now();
    const [task, alarm] = core.call((engine) =>
      core.ctx.storage.transactionSync(() => engine.schedulerRetryFailed(id, now)),
    ) as [CoreTask | undefined, number];
    this.#applyAlarm(alarm);
    return task === undefined ? undefined : toTask(task);
  }

  /** @internal On every wake: re-arms when the queue and the armed alarm disagree. */
  async wake(): Promise<void> {
    const armed = await this.#core.ctx.storage.getAlarm();
    const code = this.#core.call((engine) => engine.schedulerWake(armed ?? undefined, Date.now()));
    if (code !== Number.NEGATIVE_INFINITY) {
      this.#applyAlarm(code);
      return;
    }
    // A task is due and no alarm is armed: the alarm is firing right now (getAlarm() is null
    // while it does, and the constructor runs first), or it was lost. Re-arming here would be
    // a redundant setAlarm that outlives the run; if no run starts, repair it after this event.
    setTimeout(() => {
      if (this.#runsStarted === 0) this.#applyAlarm(this.#core.call((engine) => engine.schedulerSettle()));
    }, 0);
  }

  /** @internal */
  [idle](): Promise<void> {
    return this.#runs.then(
      () => undefined,
      () => undefined,
    );
  }

  /** @internal */
  [takeAlarmRuns](): TaskRun[] {
    const runs = this.#alarmRuns;
    this.#alarmRuns = [];
    return runs;
  }

  /** @internal */
  [nextDue](): number | undefined {
    return this.#core.call((engine) => engine.schedulerNextDue());
  }

  /** @internal */
  get [alarmWrites](): number {
    return this.#alarmWrites;
  }

  /**
   * @internal Runs due tasks: the body of `alarm()`, and of `runDueTasks` in tests, where
   * `now` simulates a later time (every clock the scheduler reads during the run is `now`).
   * Stops after `budgetMs` of wall time or `maxTasks` handlers, whichever comes first; the
   * alarm is then re-armed at once. Runs never overlap: a run waits for the one before it.
   */
  [runDueTasks](
    options: { now?: number; budgetMs?: number; maxTasks?: number; source?: "alarm" | "test" } = {},
  ): Promise<TaskRun[]> {
    const run = this.#runs.then(
      () => this.#run(options),
      () => this.#run(options),
    );
    this.#runs = run;
    return run;
  }

  async #run(options: { now?: number; budgetMs?: number; maxTasks?: number; source?: "alarm" | "test" }): Promise<TaskRun[]> {
    const core = this.#core;
    const clock = () => this.#now();
    const deadline = Date.now() + (options.budgetMs ?? ALARM_BUDGET_MS);
    const maxTasks = options.maxTasks ?? MAX_TASKS_PER_ALARM;
    const runs: TaskRun[] = [];
    this.#runsStarted += 1;
    this.#unrecorded = false;
    this.#inAlarm = true;
    this.#simulatedNow = options.now;
    try {
      // While the platform's alarm fires getAlarm() is null; in a test run it is whatever is armed.
      const armed = await core.ctx.storage.getAlarm();
      core.call((engine) => engine.schedulerBeginAlarm(armed ?? undefined));
      claiming: for (;;) {
        if (runs.length >= maxTasks || Date.now() >= deadline) break;
        const handle = new HandleWatch(core, true);
        const claim = core.call((engine) =>
          core.ctx.storage.transactionSync(() => engine.schedulerClaim(clock(), Math.min(CLAIM_BATCH, maxTasks - runs.length))),
        ) as unknown[];
        const dead = claim[0] as CoreDeadTask[] | undefined;
        if (claim.length > 1) {
          // The claim counted every delivery of the batch: make that durable before any handler
          // runs, so a handler that ends the invocation (ctx.abort(), an exceeded limit) has used
          // an attempt and cannot be redelivered forever. One round trip per batch.
          await core.ctx.storage.sync();
        }
        if (dead !== undefined) {
          for (const task of dead) await this.#reportFailed(toFailed(task), new Error(task.error));
        }
        if (claim.length === 1) {
          if (dead === undefined) break;
          continue;
        }
        for (let i = 1; i < claim.length; i += CLAIMED_FIELDS) {
          // The rest of the batch is released (its counts taken back) when the run ends.
          if (runs.length >= maxTasks || Date.now() >= deadline) break claiming;
          // A new handle does not know this batch: claim again (the next claim sorts it out).
          if (handle.isNew) continue claiming;
          const task: ClaimedTask = {
            id: claim[i] as string,
            method: claim[i + 1] as string,
            payload: claim[i + 2] as string | undefined,
            scheduledAt: claim[i + 3] as number,
            attempt: claim[i + 4] as number,
          };
          const start = core.call((engine) => engine.schedulerStart(task.id, task.attempt, clock())) as
            | boolean
            | [string, string | undefined, number, number | undefined];
          // False: an earlier handler cancelled or replaced it.
          if (start === false) continue;
          if (start !== true) [task.method, task.payload, task.scheduledAt, task.next] = start;
          const run = await this.#runOne(task, clock);
          runs.push(run);
          // Nothing more can be recorded (the invocation is ending, or storage refuses): stop,
          // and leave the rest to the next run rather than run handlers whose end is lost.
          if (this.#unrecorded) break claiming;
        }
      }
      return runs;
    } finally {
      this.#inAlarm = false;
      try {
        this.#applyAlarm(core.call((engine) => engine.schedulerEndAlarm()));
      } finally {
        this.#simulatedNow = undefined;
        if (keepAlarmRuns && options.source !== "test") {
          this.#alarmRuns.push(...runs);
          if (this.#alarmRuns.length > MAX_KEPT_RUNS) this.#alarmRuns.splice(0, this.#alarmRuns.length - MAX_KEPT_RUNS);
        }
      }
    }
  }

  /** The handler of `method`: an entry of the owner's `taskHandlers`, or a public method. */
  #handler(method: string): Function | undefined {
    if (LIFECYCLE_METHODS.has(method) || method.startsWith("webSocket")) return undefined;
    const table = (this.#owner as { taskHandlers?: Record<string, unknown> }).taskHandlers;
    if (table !== null && typeof table === "object" && Object.hasOwn(table, method)) {
      const handler = table[method];
      return typeof handler === "function" ? handler : undefined;
    }
    const member = (this.#owner as Record<string, unknown>)[method];
    return typeof member === "function" ? member : undefined;
  }

  async #runOne(task: ClaimedTask, clock: () => number): Promise<TaskRun> {
    const core = this.#core;
    const run: TaskRun = { id: task.id, method: task.method, attempt: task.attempt, ok: true };
    try {
      const handler = this.#handler(task.method);
      if (handler === undefined) {
        throw new DurableCoreError(
          "TASK_METHOD",
          `task ${task.id}: ${task.method} is not a task handler of ${this.#owner.constructor.name} (renamed or removed since it was scheduled?)`,
        );
      }
      const context: TaskContext = {
        id: task.id,
        attempt: task.attempt,
        scheduledAt: task.scheduledAt,
        firedAt: clock(),
        next: task.next,
      };
      await handler.call(this.#owner, parsePayload(task.payload), context);
    } catch (error) {
      run.ok = false;
      run.error = errorText(error);
      await this.#fail(task, run, error, clock);
      return run;
    }
    // Apart from the handler: a handler that succeeded is never counted as failed. If the ack
    // does not happen, the delivery stays due and runs again (at-least-once).
    try {
      this.#applyAlarm(core.call((engine) => engine.schedulerAck(task.id, task.attempt, clock())));
    } catch (error) {
      this.#unrecorded = true;
      console.error(`durable-core: task ${task.id} succeeded but could not be acknowledged; it will run again:`, error);
    }
    return run;
  }

  async #fail(task: ClaimedTask, run: TaskRun, error: unknown, clock: () => number): Promise<void> {
    const core = this.#core;
    let dead: CoreDeadTask | undefined;
    try {
      const [, buried, alarm] = core.call((engine) =>
        core.ctx.storage.transactionSync(() =>
          engine.schedulerFail(task.id, task.attempt, run.error!, clock(), Math.random()),
        ),
      ) as [number | undefined, CoreDeadTask | undefined, number];
      this.#applyAlarm(alarm);
      dead = buried;
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

  #schedule(
    kind: TaskKind,
    when: number,
    expression: string | undefined,
    method: string,
    payload: unknown,
    opts: CronOptions | undefined,
  ): Task {
    if (typeof method !== "string" || utf8Over(method, MAX_METHOD_BYTES)) {
      throw new DurableCoreError("TASK_METHOD", `a task method must be the name of a handler, got ${typeof method}`);
    }
    if (LIFECYCLE_METHODS.has(method) || method.startsWith("webSocket")) {
      throw new DurableCoreError(
        "TASK_METHOD",
        `${method} is a lifecycle method of ${this.#owner.constructor.name}, not a task handler: name a method of your own`,
      );
    }
    if (this.#handler(method) === undefined) {
      throw new DurableCoreError(
        "TASK_METHOD",
        `${method} is not a method of ${this.#owner.constructor.name}: a task runs this[method](payload, task) (or an entry of taskHandlers)`,
      );
    }
    let text: string | undefined;
    if (payload !== undefined) {
      text = jsonText(
        payload,
        (error) => new DurableCoreError("TASK_PAYLOAD", `the payload of ${method} is not JSON-serializable: ${errorText(error)}`, { cause: error }),
        refuseUnserializable,
      );
      if (text === undefined) {
        throw new DurableCoreError("TASK_PAYLOAD", `the payload of ${method} is not JSON-serializable (${typeof payload})`);
      }
      if (utf8Over(text, MAX_PAYLOAD_BYTES)) {
        throw new DurableCoreError(
          "TASK_PAYLOAD",
          `the payload of ${method} is over ${MAX_PAYLOAD_BYTES} bytes as JSON (the platform stores at most 2 MB per value): store the data elsewhere and pass its key`,
        );
      }
    }
    if (typeof when !== "number" && kind !== "cron") {
      throw new DurableCoreError("TASK_SCHEDULE", `${kind}() needs a number of milliseconds${kind === "at" ? " or a Date" : ""}, got ${typeof when}`);
    }
    const id = opts?.id;
    if (id !== undefined) checkId(id);
    if (opts?.timezone !== undefined && (typeof opts.timezone !== "string" || opts.timezone.length > 256)) {
      throw new DurableCoreError("CRON_TIMEZONE", "the time zone must be an IANA name such as `Europe/Paris`");
    }
    if (expression !== undefined && expression.length > 1024) {
      throw new DurableCoreError("CRON_INVALID", "the cron expression is over 1,024 characters");
    }
    const now = this.#now();
    const [taskId, due, , attempts, alarm] = this.#core.call((engine) =>
      engine.schedulerSchedule(kind, when, expression, opts?.timezone, id, method, text, opts?.retry, now),
    ) as [string, number, number, number, number];
    this.#applyAlarm(alarm);
    // The stored form, as get/list/the handler see it, never the caller's own object.
    return { id: taskId, method, payload: parsePayload(text), due, kind, attempts };
  }

  /** The core's alarm decision: NaN = keep, Infinity = delete, else set to that time. */
  #applyAlarm(code: number): void {
    if (Number.isNaN(code)) return;
    const storage = this.#core.ctx.storage;
    this.#alarmWrites += 1;
    // Not awaited: scheduling is synchronous, and the platform orders storage writes and holds
    // outgoing messages until they are durable.
    const write = code === Number.POSITIVE_INFINITY ? storage.deleteAlarm() : storage.setAlarm(Math.max(code, 0));
    write.catch((error: unknown) => console.error("durable-core: could not update the alarm:", error));
  }
}
