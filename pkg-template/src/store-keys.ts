/**
 * The JS fast path of the store's key codec, for the keys almost every call uses: flat tuples of
 * strings, numbers, booleans and null. It produces exactly what the Rust codec
 * (`src/store/keys.rs`, the reference, documented there) produces; anything else (bigints,
 * bytes, nested tuples, bad or long keys) goes to Rust, which also raises every key error.
 *
 * Why a JS path exists: measured in workerd, a wasm call that walks a 3-part JS array costs
 * about as much as the `kv.get` it prepares (each part is several JS↔wasm calls), while this
 * runs in a fraction of a microsecond. `ts-tests/store-keys.test.ts` checks both paths agree.
 */
import { DurableCoreError } from "./errors.js";
import { Engine } from "./wasm/durable_core.js";
import { MAX_KEY_BYTES, MAX_KEY_DEPTH } from "./generated/core.js";

export type FlatPart = null | boolean | number | string;

const NAMESPACE = "\u001f";
const STRING_END = "\u0001";
/** Char codes of the lowercase hex digits. */
const HEX_CODES = [48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 97, 98, 99, 100, 101, 102];
const number = new Float64Array(1);
/** The float's two 32-bit halves: [low, high] on every platform workerd runs on (little-endian). */
const words = new Uint32Array(number.buffer);

/** `String.prototype.isWellFormed` (ES2024; workerd has it, the compile target's lib does not). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/**
 * `f` + the 16 hex digits of the order-mapped bits (positives get the sign bit, negatives are
 * complemented), built in one `String.fromCharCode`: measured faster than concatenating eight
 * byte-table lookups (docs/reports/facade-figures.md).
 */
function encodeNumber(n: number): string {
  number[0] = n === 0 ? 0 : n;
  let high = words[1]!;
  let low = words[0]!;
  if (high >= 0x8000_0000) {
    high = ~high;
    low = ~low;
  } else {
    high |= 0x8000_0000;
  }
  const d = HEX_CODES;
  return String.fromCharCode(
    0x66,
    d[(high >>> 28) & 15]!, d[(high >>> 24) & 15]!, d[(high >>> 20) & 15]!, d[(high >>> 16) & 15]!,
    d[(high >>> 12) & 15]!, d[(high >>> 8) & 15]!, d[(high >>> 4) & 15]!, d[high & 15]!,
    d[(low >>> 28) & 15]!, d[(low >>> 24) & 15]!, d[(low >>> 20) & 15]!, d[(low >>> 16) & 15]!,
    d[(low >>> 12) & 15]!, d[(low >>> 8) & 15]!, d[(low >>> 4) & 15]!, d[low & 15]!,
  );
}

/** Matches a character that `escapeString` rewrites; one object (a literal in the hot path is a new RegExp per call). */
const ESCAPED = /[\u0000-\u0002]/;

/** Whether `s` holds a character below U+0003: a char-code loop for short strings (most key parts), the regex for long ones. */
function needsEscape(s: string): boolean {
  if (s.length > 32) return ESCAPED.test(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) < 3) return true;
  return false;
}

function escapeString(s: string): string {
  return s.replace(/[\u0000-\u0002]/g, (c) => "\u0002" + String.fromCharCode(c.charCodeAt(0) + 3));
}

/** The kv key of `key`, or `undefined` when only the Rust codec can encode (or refuse) it. */
export function encodeFlat(key: unknown): string | undefined {
  const parts = Array.isArray(key) ? key : [key];
  if (parts.length === 0) return undefined;
  let out = NAMESPACE;
  let units = 0;
  for (const part of parts) {
    switch (typeof part) {
      case "string":
        if (!(part as WellFormedCheck).isWellFormed()) return undefined;
        units += part.length;
        out += "s" + (needsEscape(part) ? escapeString(part) : part) + STRING_END;
        break;
      case "number":
        if (!Number.isFinite(part)) return undefined;
        out += encodeNumber(part);
        break;
      case "boolean":
        out += part ? "T" : "F";
        break;
      default:
        if (part !== null) return undefined;
        out += "0";
    }
  }
  // A UTF-16 unit takes at most 3 UTF-8 bytes: only keys that might be too long go to Rust to be measured.
  return out.length + 2 * units <= MAX_KEY_BYTES ? out : undefined;
}

/** Bigints of this magnitude or more need more than 1,024 bytes, so more than 2,048 hex digits. */
const BIGINT_TOO_LARGE = 1n << 8192n;

/**
 * A lower bound of `part`'s encoded size in bytes, added to `bytes`; stops counting once past
 * the limit, so a key of 30 million parts costs no more than one of 2,049. Every part encodes to
 * at least one byte, a string to at least one byte per UTF-16 unit, bytes to two hex digits each.
 * What the bound cannot judge (a wrong type, a deep tuple) is left to the Rust codec, which
 * refuses it as soon as it meets it.
 */
function encodedAtLeast(part: unknown, bytes: number, depth: number): number {
  switch (typeof part) {
    case "string":
      return bytes + part.length + 2;
    case "number":
      return bytes + 17;
    case "bigint":
      return bytes + (part >= BIGINT_TOO_LARGE || part <= -BIGINT_TOO_LARGE ? MAX_KEY_BYTES + 1 : 2);
    case "object":
      if (part instanceof Uint8Array) return bytes + 2 * part.byteLength + 2;
      if (Array.isArray(part) && depth <= MAX_KEY_DEPTH) {
        bytes += 2;
        for (let i = 0; i < part.length && bytes <= MAX_KEY_BYTES; i++) bytes = encodedAtLeast(part[i], bytes, depth + 1);
        return bytes;
      }
      return bytes + 1;
    default:
      return bytes + 1;
  }
}

/**
 * Throws `KEY_TOO_LARGE` for a key that certainly encodes to more than the limit, before it is
 * copied into the shared engine (a 30 MB string copied there would grow its memory for good).
 * `what` names the key in the message ("key", "index `byEmail`'s key for entry [...]", ...).
 */
export function guardKey(key: unknown, what = "key"): void {
  const bytes = Array.isArray(key) ? encodedAtLeast(key, -1, 0) : encodedAtLeast(key, 1, 0);
  if (bytes > MAX_KEY_BYTES) {
    throw new DurableCoreError(
      "KEY_TOO_LARGE",
      `${what} is more than ${MAX_KEY_BYTES} bytes once encoded, the limit; use shorter key parts`,
    );
  }
}

/** The kv key of `key` (throws `KEY_TYPE`/`KEY_TOO_LARGE` through the Rust codec). Call inside `core.call`. */
export function encodeKey(key: unknown): string {
  const flat = encodeFlat(key);
  if (flat !== undefined) return flat;
  guardKey(key);
  return Engine.storeEncode(key);
}

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

/** The value of each lowercase hex digit by char code; -1 for every other ASCII character. */
const HEX_VALUES = new Int8Array(128).fill(-1);
HEX_CODES.forEach((code, value) => {
  HEX_VALUES[code] = value;
});

/** Eight lowercase hex digits at `at` as an unsigned 32-bit value, or -1 (past the end included). */
function hexWord(kvKey: string, at: number): number {
  let word = 0;
  for (let i = at; i < at + 8; i++) {
    // Out of the table (non-ASCII, or NaN past the end) reads undefined, which fails the test too.
    const digit = HEX_VALUES[kvKey.charCodeAt(i)]!;
    if (!(digit >= 0)) return -1;
    word = word * 16 + digit;
  }
  return word;
}

/**
 * The number whose 16 hex digits start at `at`, or `undefined` (non-canonical: NaN, ±Infinity,
 * -0, bad digits). Reads char codes instead of slicing and `Number("0x...")`: a scan decodes one
 * number per entry, and slicing made it measurably slower (docs/reports/facade-figures.md).
 */
function decodeNumber(kvKey: string, at: number): number | undefined {
  const high = hexWord(kvKey, at);
  const low = hexWord(kvKey, at + 8);
  if (high < 0 || low < 0) return undefined;
  if (high >= 0x8000_0000) {
    words[1] = high - 0x8000_0000;
    words[0] = low;
  } else {
    words[1] = ~high;
    words[0] = ~low;
  }
  const n = number[0]!;
  // Finite (n - n is NaN for NaN and ±Infinity) and not -0.
  return n - n === 0 && (n !== 0 || 1 / n > 0) ? n : undefined;
}

const TAG_NUMBER = 0x66;
const NUMBER_LENGTH = 17;

/**
 * The flat key a kv key stands for, or `undefined` when only the Rust codec can decode it.
 * `known` are the already decoded parts of its first `from` characters (a scanned prefix).
 */
function decodeFlat(kvKey: string, from = 1, known: readonly FlatPart[] = []): FlatPart[] | undefined {
  if (kvKey.charCodeAt(0) !== 0x1f) return undefined;
  const parts: FlatPart[] = known.slice();
  const length = kvKey.length;
  let at = from;
  while (at < length) {
    const tag = kvKey.charCodeAt(at);
    at += 1;
    if (tag === TAG_NUMBER) {
      const n = decodeNumber(kvKey, at);
      if (n === undefined) return undefined;
      parts.push(n);
      at += 16;
    } else if (tag === 0x73 /* s */) {
      const end = kvKey.indexOf(STRING_END, at);
      if (end < 0) return undefined;
      const raw = kvKey.slice(at, end);
      const text = raw.includes("\u0002") ? unescapeString(raw) : raw;
      if (text === undefined || raw.includes("\u0000")) return undefined;
      parts.push(text);
      at = end + 1;
    } else if (tag === 0x30 /* 0 */) parts.push(null);
    else if (tag === 0x46 /* F */) parts.push(false);
    else if (tag === 0x54 /* T */) parts.push(true);
    else return undefined;
  }
  return parts.length > 0 ? parts : undefined;
}

function unescapeString(raw: string): string | undefined {
  let valid = true;
  const out = raw.replace(/\u0002([\s\S]?)/g, (_, c: string) => {
    const code = c.charCodeAt(0) - 3;
    if (!(code >= 0 && code <= 2)) valid = false;
    return String.fromCharCode(code);
  });
  return valid ? out : undefined;
}

/**
 * A decoder for the keys `kv.list` returns for a range planned with `prefix`: every such key
 * starts with the prefix's encoding (the plan's bounds lie within it), so only the rest of each
 * key is decoded (a scan of `["g", 7]` decodes one number per entry).
 *
 * The commonest rest, one number, skips the general loop and the `startsWith` check: it brings a
 * scan closest to a bare `kv.list` of the same keys (S4; docs/reports/facade-figures.md).
 */
export function prefixDecoder(prefix: unknown): (kvKey: string) => unknown[] {
  const encoded = prefix === undefined ? undefined : encodeFlat(prefix);
  const known = encoded === undefined ? undefined : decodeFlat(encoded);
  if (encoded === undefined || known === undefined) return decodeKey;
  const from = encoded.length;
  const withNumber = appender(known);
  return (kvKey) => {
    if (kvKey.length === from + NUMBER_LENGTH && kvKey.charCodeAt(from) === TAG_NUMBER) {
      const n = decodeNumber(kvKey, from + 1);
      if (n !== undefined) return withNumber(n);
    }
    return (kvKey.startsWith(encoded) ? decodeFlat(kvKey, from, known) : undefined) ?? decodeKey(kvKey);
  };
}

/** `(n) => [...known, n]` as an array literal for short prefixes (measured faster than `concat` or `slice` + `push`). */
function appender(known: readonly FlatPart[]): (n: number) => FlatPart[] {
  const [a, b, c] = known;
  switch (known.length) {
    case 1:
      return (n) => [a!, n];
    case 2:
      return (n) => [a!, b!, n];
    case 3:
      return (n) => [a!, b!, c!, n];
    default:
      return (n) => [...known, n];
  }
}

/** The key a kv key stands for, always an array. Call inside `core.call`. */
export function decodeKey(kvKey: string): unknown[] {
  return decodeFlat(kvKey) ?? (Engine.storeDecode(kvKey) as unknown[]);
}
