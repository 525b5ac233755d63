/**
 * Store keys as JavaScript values: the prefix test index definitions use, and keys written as
 * literals in messages. Nothing here encodes or decodes.
 */

/** The parts of `key` (a bare part is the one-element tuple). */
function partsOf(key: unknown): readonly unknown[] {
  return Array.isArray(key) ? key : [key];
}

/** Whether two key parts are the same part (the codec's equality: `0` is `-0`, `1` is not `1n`). */
function samePart(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.byteLength === b.byteLength && a.every((byte, i) => byte === b[i]);
  }
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((part, i) => samePart(part, b[i]));
  return false;
}

/** Whether `key` starts with the parts of `prefix` (the prefix key itself included), as a `prefix` range means. */
export function keyHasPrefix(key: unknown, prefix: unknown): boolean {
  const parts = partsOf(key);
  const head = partsOf(prefix);
  return head.length <= parts.length && head.every((part, i) => samePart(parts[i], part));
}

/** `key` as a JavaScript literal for messages (`["sub", "s1"]`), cut short when long. */
export function keyLiteral(key: unknown): string {
  const text = literal(Array.isArray(key) ? key : [key], 0);
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

function literal(value: unknown, depth: number): string {
  switch (typeof value) {
    case "string":
      return JSON.stringify(value.length > 200 ? value.slice(0, 200) : value);
    case "bigint":
      return `${value}n`;
    case "number":
      return Object.is(value, -0) ? "-0" : String(value);
    case "boolean":
      return String(value);
    case "undefined":
      return "undefined";
    case "object":
      if (value === null) return "null";
      if (value instanceof Uint8Array) return `new Uint8Array([${Array.from(value.subarray(0, 32)).join(", ")}${value.length > 32 ? ", …" : ""}])`;
      if (Array.isArray(value)) {
        if (depth > 4) return "[…]";
        const shown = value.slice(0, 10).map((item) => literal(item, depth + 1));
        return `[${shown.join(", ")}${value.length > 10 ? ", …" : ""}]`;
      }
      return `a ${value.constructor?.name ?? "object"}`;
    default:
      return `a ${typeof value}`;
  }
}
