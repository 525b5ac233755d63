/**
 * A connection's state as durable-core keeps it: a deep copy of plain JSON data, frozen.
 *
 * Why a copy: the attachment the platform stores is a structured clone taken at `setState`;
 * keeping the caller's object would let a later mutation change memory only (lost at the next
 * wake, never announced to presence peers). Why frozen: the value `conn.state` returns is that
 * copy, so a mutation of it must fail loudly rather than drift from the attachment. Why plain
 * JSON data: presence messages carry the state as JSON, and a `Map`, `Set` or `Date` would
 * reach peers as `{}` (or a string) while the attachment kept the real object.
 */
import { DurableCoreError } from "./errors.js";

/** Deeper nesting is refused: no plausible state needs it, and the walk must stay shallow. */
export const MAX_STATE_DEPTH = 64;

/**
 * A frozen deep copy of `value`, or `STATE_INVALID` naming the first part that is not plain
 * JSON data. Object properties that are `undefined` are left out, as `JSON.stringify` does.
 */
export function frozenStateCopy(value: unknown): unknown {
  if (value === undefined) refuse("state", "undefined (use null for no state)");
  return copy(value, "state", []);
}

function copy(value: unknown, path: string, ancestors: object[]): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) refuse(path, `${value} (JSON has no NaN or Infinity)`);
      return value;
    case "object":
      break;
    case "undefined":
      return refuse(path, "undefined");
    default:
      return refuse(path, `a ${typeof value}`);
  }
  if (value === null) return null;
  if (ancestors.includes(value)) refuse(path, "a reference back to one of its own containers (a cycle)");
  if (ancestors.length >= MAX_STATE_DEPTH) refuse(path, `nested deeper than ${MAX_STATE_DEPTH} levels`);
  ancestors.push(value);
  const proto = Object.getPrototypeOf(value);
  let result: unknown[] | Record<string, unknown>;
  if (Array.isArray(value) && proto === Array.prototype) {
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) refuse(`${path}[${i}]`, "a hole in a sparse array");
      items[i] = copy(value[i], `${path}[${i}]`, ancestors);
    }
    result = items;
  } else if (proto === Object.prototype || proto === null) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const field = (value as Record<string, unknown>)[key];
      if (field === undefined) continue;
      const copied = copy(field, `${path}.${key}`, ancestors);
      // `fields.__proto__ = x` would set the prototype instead of a property.
      if (key === "__proto__") Object.defineProperty(fields, key, { value: copied, enumerable: true, writable: true, configurable: true });
      else fields[key] = copied;
    }
    result = fields;
  } else {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return refuse(path, `a ${typeof name === "string" && name !== "" ? name : "non-plain object"}`);
  }
  ancestors.pop();
  return Object.freeze(result);
}

function refuse(path: string, what: string): never {
  throw new DurableCoreError(
    "STATE_INVALID",
    `${path} is ${what}: a connection's state must be plain JSON data (objects, arrays, strings, finite numbers, booleans, null); store a Date as a number or an ISO string, a Map or Set as an object or array`,
  );
}

/**
 * Freezes a state read back from an attachment after a wake (the platform's structured clone
 * is mutable). Stops at anything already frozen, so a cycle cannot make it loop.
 */
export function freezeState(value: unknown): void {
  if (value === null || typeof value !== "object" || Object.isFrozen(value)) return;
  Object.freeze(value);
  for (const key of Object.keys(value)) freezeState((value as Record<string, unknown>)[key]);
}
