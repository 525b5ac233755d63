/**
 * The facade's plain-data checks, walked once per value before anything reaches storage, the
 * engine or the wire. Two profiles, because the two consumers carry different data:
 *
 * - a stored value (`this.store`): JSON-like data plus bigint and `Uint8Array` anywhere, any
 *   number (the store's encoding keeps NaN and Infinity), measured on the way so that a value
 *   over the platform's limit is refused before kv sees it;
 * - a connection's state (`conn.setState`): plain JSON data only, copied and frozen. Why a copy:
 *   the attachment the platform stores is a structured clone taken at `setState`, so keeping the
 *   caller's object would let a later mutation change memory only (lost at the next wake, never
 *   announced to presence peers). Why frozen: the value `conn.state` returns is that copy, so a
 *   mutation must fail loudly rather than drift from the attachment. Why JSON only: presence
 *   messages carry the state as JSON, and a `Map`, `Set` or `Date` would reach peers as `{}`.
 *
 * Both refuse cycles, class instances and `undefined` values at the top, and skip `undefined`
 * properties as `JSON.stringify` does.
 */
import { DurableCoreError } from "../errors.js";

/** Whether `object`'s prototype is that of a plain object (`{}` or `Object.create(null)`). */
function isPlainObject(object: object): boolean {
  const prototype = Object.getPrototypeOf(object);
  return prototype === Object.prototype || prototype === null;
}

/** What to call a non-plain object in a message (`a Map`, `a Date`). */
function kindOf(object: object, fallback: string): string {
  const name = (object as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === "string" && name !== "" ? name : fallback;
}

// ---- stored values ----

/**
 * An upper estimate of `value`'s serialized size, or `STORE_VALUE` naming the first part that
 * cannot be stored. A shared sub-object counts (and is stored) twice over.
 */
export function storeValueSize(value: unknown): number {
  const flat = typeof value === "object" && value !== null ? flatObjectSize(value) : -1;
  if (flat >= 0) return flat;
  const size = measure(value, null, []);
  // Refused: walk again with paths, to say where. Building a path string per field on every put
  // would cost concatenations for messages that are almost never shown.
  return size >= 0 ? size : measure(value, "value", []);
}

/**
 * {@link measure}'s size of a plain object whose fields are all strings, numbers, booleans or
 * null (the commonest value), without its recursion and cycle list; -1 for any other object,
 * which the general walk then sizes or refuses.
 */
function flatObjectSize(object: object): number {
  if (!isPlainObject(object)) return -1;
  let size = 8;
  for (const name in object) {
    const field = (object as Record<string, unknown>)[name];
    switch (typeof field) {
      case "string":
        size += name.length * 2 + stringSize(field);
        break;
      case "number":
      case "boolean":
        size += name.length * 2 + 9;
        break;
      case "undefined":
        break;
      default:
        if (field !== null) return -1;
        size += name.length * 2 + 1;
    }
  }
  return size;
}

/** A string's size: V8 stores Latin-1 strings one byte per character; only long strings pay for the scan. */
function stringSize(value: string): number {
  return (value.length > 1024 && !/[^\u0000-\u00ff]/.test(value) ? value.length : value.length * 2) + 8;
}

/** The size of `value`; on a refusal -1 while `path` is null, else the `STORE_VALUE` error. */
function measure(value: unknown, path: string | null, ancestors: object[]): number {
  switch (typeof value) {
    case "string":
      return stringSize(value);
    case "number":
    case "boolean":
      return 9;
    case "bigint":
      return 16 + value.toString(16).length;
    case "undefined":
      return refuseStored(path, "is undefined; store null instead, or omit the property");
    case "function":
    case "symbol":
      return refuseStored(path, `is a ${typeof value}, which cannot be stored`);
  }
  if (value === null) return 1;
  const object = value as object;
  if (object instanceof Uint8Array) return object.byteLength + 16;
  if (ancestors.includes(object)) return refuseStored(path, "refers back to itself (a cycle)");
  ancestors.push(object);
  let size = 8;
  if (Array.isArray(object)) {
    for (let i = 0; i < object.length; i++) {
      const item = measure(object[i], path === null ? null : `${path}[${i}]`, ancestors);
      if (item < 0) return -1;
      size += item;
    }
  } else {
    if (!isPlainObject(object)) {
      return refuseStored(path, `is a ${kindOf(object, "object")}; store plain objects, arrays and Uint8Array`);
    }
    for (const name in object) {
      const field = (object as Record<string, unknown>)[name];
      if (field === undefined) continue;
      const item = measure(field, path === null ? null : `${path}.${name}`, ancestors);
      if (item < 0) return -1;
      size += name.length * 2 + item;
    }
  }
  ancestors.pop();
  return size;
}

function refuseStored(path: string | null, what: string): number {
  if (path === null) return -1;
  throw new DurableCoreError("STORE_VALUE", `${path} ${what}`);
}

// ---- connection state ----

/** Deeper nesting is refused: no plausible state needs it, and the walk must stay shallow. */
export const MAX_STATE_DEPTH = 64;

/**
 * A frozen deep copy of `value`, or `STATE_INVALID` naming the first part that is not plain
 * JSON data.
 */
export function frozenStateCopy(value: unknown): unknown {
  if (value === undefined) refuseState("state", "undefined (use null for no state)");
  return copyState(value, "state", []);
}

function copyState(value: unknown, path: string, ancestors: object[]): unknown {
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      if (!Number.isFinite(value)) refuseState(path, `${value} (JSON has no NaN or Infinity)`);
      return value;
    case "object":
      break;
    case "undefined":
      return refuseState(path, "undefined");
    default:
      return refuseState(path, `a ${typeof value}`);
  }
  if (value === null) return null;
  if (ancestors.includes(value)) refuseState(path, "a reference back to one of its own containers (a cycle)");
  if (ancestors.length >= MAX_STATE_DEPTH) refuseState(path, `nested deeper than ${MAX_STATE_DEPTH} levels`);
  ancestors.push(value);
  let result: unknown[] | Record<string, unknown>;
  if (Array.isArray(value) && Object.getPrototypeOf(value) === Array.prototype) {
    const items = new Array<unknown>(value.length);
    for (let i = 0; i < value.length; i++) {
      if (!(i in value)) refuseState(`${path}[${i}]`, "a hole in a sparse array");
      items[i] = copyState(value[i], `${path}[${i}]`, ancestors);
    }
    result = items;
  } else if (isPlainObject(value)) {
    const fields: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      const field = (value as Record<string, unknown>)[key];
      if (field === undefined) continue;
      const copied = copyState(field, `${path}.${key}`, ancestors);
      // `fields.__proto__ = x` would set the prototype instead of a property.
      if (key === "__proto__") Object.defineProperty(fields, key, { value: copied, enumerable: true, writable: true, configurable: true });
      else fields[key] = copied;
    }
    result = fields;
  } else {
    return refuseState(path, `a ${kindOf(value, "non-plain object")}`);
  }
  ancestors.pop();
  return Object.freeze(result);
}

function refuseState(path: string, what: string): never {
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
