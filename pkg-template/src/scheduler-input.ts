/**
 * The checks of what a caller hands `this.scheduler`, made before anything is copied into the
 * engine: what only JavaScript can see (is `method` a handler, is the payload JSON) and the
 * limits the core would refuse anyway, checked here first so that nothing oversized crosses.
 */
import { MAX_TASK_ID_BYTES } from "./generated/core.js";
import { DurableCoreError } from "./errors.js";
import { errorText } from "./kernel/error-text.js";
import { jsonText } from "./kernel/json.js";
import { utf8Over } from "./kernel/text.js";
import { isLifecycleMethod, taskHandler } from "./scheduler-handlers.js";
import type { CronOptions, TaskKind } from "./scheduler-types.js";

/** Method names are class members: anything longer is not one. */
const MAX_METHOD_BYTES = 512;
/**
 * A payload's JSON text must fit, with the rest of its row, in the platform's 2 MB limit on a
 * SQLite value and row (the id and method take at most 1 KB of the headroom).
 */
export const MAX_PAYLOAD_BYTES = 2_000_000 - 8_192;
/** An IANA zone name is far shorter; anything longer is refused before it is copied. */
const MAX_TIMEZONE_CHARS = 256;
/** No plausible cron expression comes near this. */
const MAX_EXPRESSION_CHARS = 1024;

/** With the `u` flag a paired surrogate is one code point, so this matches only lone ones. */
const LONE_SURROGATE = /\p{Cs}/u;

/** Refuses a task id before it reaches the core: a string of 1 to 512 UTF-8 bytes, well formed. */
export function checkId(id: unknown): asserts id is string {
  if (typeof id !== "string") {
    throw new DurableCoreError("TASK_SCHEDULE", `invalid \`id\`: a task id must be a string, got ${typeof id}`);
  }
  if (id.length === 0 || utf8Over(id, MAX_TASK_ID_BYTES)) {
    throw new DurableCoreError("TASK_SCHEDULE", `invalid \`id\`: an id must be 1 to ${MAX_TASK_ID_BYTES} bytes long`);
  }
  if (LONE_SURROGATE.test(id)) {
    throw new DurableCoreError("TASK_SCHEDULE", "invalid `id`: it contains a lone surrogate (not valid UTF-16)");
  }
}

/** One call of `at`/`after`/`every`/`cron`, as the caller made it. */
export interface ScheduleCall {
  kind: TaskKind;
  /** The time, delay or interval; ignored for `cron`. */
  when: number;
  expression: string | undefined;
  method: string;
  payload: unknown;
  opts: CronOptions | undefined;
}

/**
 * Checks `call` for a task of `owner` (a `TASK_METHOD`, `TASK_PAYLOAD`, `TASK_SCHEDULE`,
 * `CRON_TIMEZONE` or `CRON_INVALID` error on the first fault) and returns the payload's JSON
 * text, as it will be stored (`undefined` for no payload).
 */
export function checkSchedule(owner: object, call: ScheduleCall): string | undefined {
  const { kind, when, expression, method, payload, opts } = call;
  checkMethod(owner, method);
  const text = payload === undefined ? undefined : payloadText(method, payload);
  if (typeof when !== "number" && kind !== "cron") {
    throw new DurableCoreError("TASK_SCHEDULE", `${kind}() needs a number of milliseconds${kind === "at" ? " or a Date" : ""}, got ${typeof when}`);
  }
  const id = opts?.id;
  if (id !== undefined) checkId(id);
  if (opts?.timezone !== undefined && (typeof opts.timezone !== "string" || opts.timezone.length > MAX_TIMEZONE_CHARS)) {
    throw new DurableCoreError("CRON_TIMEZONE", "the time zone must be an IANA name such as `Europe/Paris`");
  }
  if (expression !== undefined && expression.length > MAX_EXPRESSION_CHARS) {
    throw new DurableCoreError("CRON_INVALID", "the cron expression is over 1,024 characters");
  }
  return text;
}

function checkMethod(owner: object, method: unknown): asserts method is string {
  const className = owner.constructor.name;
  if (typeof method !== "string" || utf8Over(method, MAX_METHOD_BYTES)) {
    throw new DurableCoreError("TASK_METHOD", `a task method must be the name of a handler, got ${typeof method}`);
  }
  if (isLifecycleMethod(method)) {
    throw new DurableCoreError(
      "TASK_METHOD",
      `${method} is a lifecycle method of ${className}, not a task handler: name a method of your own`,
    );
  }
  if (taskHandler(owner, method) === undefined) {
    throw new DurableCoreError(
      "TASK_METHOD",
      `${method} is not a method of ${className}: a task runs this[method](payload, task) (or an entry of taskHandlers)`,
    );
  }
}

/** The payload's JSON text, refused when JSON would drop or cannot hold part of it. */
function payloadText(method: string, payload: unknown): string {
  const text = jsonText(
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
  return text;
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
