/**
 * Binding: a template's flattened values, converted to what `ctx.storage.sql.exec` binds by the
 * plan the core compiled (`SQL_BIND` for a value it cannot carry).
 */
import { DurableCoreError } from "./errors.js";
import { BIND_OP_JSON, BIND_OP_LIST, BIND_OP_SPREAD, BIND_OP_VALUE } from "./generated/core.js";
import { errorText } from "./kernel/error-text.js";
import { jsonText } from "./kernel/json.js";
import { SqlPart } from "./sql-template.js";

/**
 * The bindings of a template's flattened values `args`, by the plan the core compiled: the one
 * place that reads its op codes (`BindOp` in src/sql/template.rs).
 */
export function bindings(plan: readonly number[], args: readonly unknown[]): SqlStorageValue[] {
  const out: SqlStorageValue[] = [];
  for (let i = 0; i < plan.length; i++) {
    const arg = args[i];
    switch (plan[i]) {
      case BIND_OP_VALUE:
        out.push(toBinding(arg, i + 1));
        break;
      case BIND_OP_JSON: {
        const text = arg === undefined ? undefined : sqlJsonText(arg, i + 1);
        if (text === undefined) throw bindError(`sql.json value ${i + 1} has no JSON form (undefined or a function)`);
        out.push(text);
        break;
      }
      case BIND_OP_LIST:
        out.push(jsonList(arg as unknown[], i + 1));
        break;
      case BIND_OP_SPREAD:
        for (const item of arg as unknown[]) out.push(toBinding(item, i + 1));
        break;
      default:
        throw bindError(`the compiled plan holds the unknown op ${plan[i]} at value ${i + 1}`);
    }
  }
  return out;
}

/** A JS value as the platform should bind it, or `SQL_BIND` naming value `position`. */
export function toBinding(value: unknown, position: number): SqlStorageValue {
  switch (typeof value) {
    case "string":
      return value;
    case "number":
      return value;
    case "boolean":
      return value ? 1 : 0;
    case "bigint":
      if (value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= BigInt(Number.MIN_SAFE_INTEGER)) return Number(value);
      throw bindError(
        `value ${position} is the bigint ${value}, beyond ±2^53: the platform binds numbers as doubles and would lose precision; store it as text (String(value))`,
      );
    case "undefined":
      throw bindError(`value ${position} is undefined; bind null explicitly if you mean NULL`);
    case "object":
      if (value === null) return null;
      if (value instanceof Date) {
        const ms = value.getTime();
        if (Number.isNaN(ms)) throw bindError(`value ${position} is an invalid Date`);
        return ms;
      }
      if (value instanceof ArrayBuffer) return value;
      if (ArrayBuffer.isView(value)) return value as unknown as ArrayBuffer;
      if (value instanceof SqlPart) throw bindError(`value ${position} is a sql helper in a list; sql.in items must be plain values`);
      throw bindError(
        `value ${position} is ${describe(value)}: wrap it with sql.json(value) to store JSON, or sql.in(list) for an IN list`,
      );
    default:
      throw bindError(`value ${position} is a ${typeof value}, which SQLite cannot store`);
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers the other sql modules share, then internals

export function bindError(message: string): DurableCoreError {
  return new DurableCoreError("SQL_BIND", message);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return `an object (${value.constructor?.name ?? "Object"})`;
  return typeof value;
}

export function isBlob(value: unknown): boolean {
  // Only objects can be: an IN list of thousands of numbers is scanned with one typeof each.
  return typeof value === "object" && value !== null && (value instanceof ArrayBuffer || ArrayBuffer.isView(value));
}

/** A `sql.in` list as the JSON text `json_each` expands. */
function jsonList(items: readonly unknown[], position: number): string {
  let converted: unknown[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const plain = typeof item === "string" || (typeof item === "number" && Number.isFinite(item)) || item === null;
    if (plain && converted === undefined) continue;
    converted ??= items.slice(0, i);
    if (plain) {
      converted.push(item);
      continue;
    }
    const bound = toBinding(item, position);
    if (typeof bound === "number" && !Number.isFinite(bound)) {
      throw bindError(`sql.in item ${i + 1} of value ${position} is ${bound}, which JSON cannot carry`);
    }
    converted.push(bound);
  }
  return JSON.stringify(converted ?? items);
}

/** `sql.json`'s text, a cycle or a bigint refused as `SQL_BIND`. */
function sqlJsonText(value: unknown, position: number): string | undefined {
  return jsonText(value, (error) => bindError(`sql.json value ${position} cannot be written as JSON: ${errorText(error)}`));
}
