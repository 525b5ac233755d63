/**
 * The public types of `this.scheduler`: what a task is, how one is scheduled and retried, and
 * what a handler receives.
 */
import type { Json } from "./values.js";

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
