/**
 * The JS fast path of the store's key codec, for the keys almost every call uses: flat tuples of
 * strings, numbers, booleans and null in the current key format. It produces exactly what the
 * Rust codec (`src/store/keys.rs`, the reference, documented there) produces, with every tag and
 * terminator generated from it (`./generated/core.js`); anything else (bigints, bytes, nested
 * tuples, bad or long keys, objects whose keys are in the older format) goes to Rust, which also
 * raises every key error.
 *
 * Why a JS path exists: a wasm call that walks a JS array costs about as much as the `kv.get` it
 * prepares (each part is several JS↔wasm calls), while this runs in a fraction of a microsecond
 * (docs/reports/s4-store.md). `ts-tests/store-keys.test.ts` checks both paths agree byte for byte.
 */
import { DurableCoreError } from "./errors.js";
import {
  MAX_KEY_BYTES,
  MAX_KEY_DEPTH,
  STORE_KEY_FORMAT,
  STORE_KEY_TAGS,
  STORE_NAMESPACE,
  STORE_NEGATIVE_NUMBER_END,
  STORE_NUMBER_DIGIT_BASE,
  STORE_NUMBER_END,
  STORE_NUMBER_MAX_DIGITS,
  STORE_STRING_END,
  STORE_STRING_ESCAPE,
} from "./generated/core.js";
import { Engine } from "./wasm/durable_core.js";

export type FlatPart = null | boolean | number | string;

const code = (text: string): number => text.charCodeAt(0);
const NAMESPACE_CODE = code(STORE_NAMESPACE);
const TAG_NULL = code(STORE_KEY_TAGS.null);
const TAG_FALSE = code(STORE_KEY_TAGS.false);
const TAG_TRUE = code(STORE_KEY_TAGS.true);
const TAG_NUMBER = code(STORE_KEY_TAGS.number);
const TAG_NEGATIVE_NUMBER = code(STORE_KEY_TAGS.negativeNumber);
const TAG_STRING = code(STORE_KEY_TAGS.string);
const NUMBER_END = code(STORE_NUMBER_END);
const NEGATIVE_NUMBER_END = code(STORE_NEGATIVE_NUMBER_END);
const ESCAPE_CODE = code(STORE_STRING_ESCAPE);
/** The digit every dropped trailing digit of a negative number has (all six bits set). */
const MAX_DIGIT = 63;
const number = new Float64Array(1);
/** The float's two 32-bit halves: [low, high] on every platform workerd runs on (little-endian). */
const words = new Uint32Array(number.buffer);

/** `String.prototype.isWellFormed` (ES2024; workerd has it, the compile target's lib does not). */
type WellFormedCheck = string & { isWellFormed(): boolean };

/** The number of trailing zero bits of a 32-bit word (32 for zero). */
function trailingZeros(word: number): number {
  return word === 0 ? 32 : 31 - Math.clz32(word & -word);
}

/**
 * A number part: its tag, the base-64 digits of the order-mapped bits (positives get the sign
 * bit, negatives are complemented) and two padding bits, trailing padding digits dropped, and
 * the terminator (see src/store/keys.rs). How many digits stay follows from the trailing zero
 * bits of the mapped value (of the raw bits for a negative number, whose dropped digits are
 * ones), so the string is built in one `String.fromCharCode` of the right length.
 */
function encodeNumber(n: number): string {
  number[0] = n === 0 ? 0 : n;
  let high = words[1]!;
  let low = words[0]!;
  const negative = high >= 0x8000_0000;
  if (negative) {
    high = ~high >>> 0;
    low = ~low >>> 0;
  } else {
    high = (high | 0x8000_0000) >>> 0;
  }
  // The value's trailing zero bits (trailing one bits for a negative number, read on the raw
  // bits), plus the two padding bits, make the dropped digits.
  const rawLow = negative ? ~low : low;
  const zeros = rawLow !== 0 ? trailingZeros(rawLow) : 32 + trailingZeros(negative ? ~high : high);
  const kept = STORE_NUMBER_MAX_DIGITS - Math.floor((zeros + 2) / 6);
  const b = STORE_NUMBER_DIGIT_BASE;
  const tag = negative ? TAG_NEGATIVE_NUMBER : TAG_NUMBER;
  const end = negative ? NEGATIVE_NUMBER_END : NUMBER_END;
  const d0 = b + (high >>> 26);
  const d1 = b + ((high >>> 20) & 63);
  const d2 = b + ((high >>> 14) & 63);
  const d3 = b + ((high >>> 8) & 63);
  const d4 = b + ((high >>> 2) & 63);
  const d5 = b + (((high & 3) << 4) | (low >>> 28));
  const d6 = b + ((low >>> 22) & 63);
  const d7 = b + ((low >>> 16) & 63);
  const d8 = b + ((low >>> 10) & 63);
  const d9 = b + ((low >>> 4) & 63);
  const d10 = b + (((low & 15) << 2) | (negative ? 3 : 0));
  const c = String.fromCharCode;
  switch (kept) {
    case 1: return c(tag, d0, end);
    case 2: return c(tag, d0, d1, end);
    case 3: return c(tag, d0, d1, d2, end);
    case 4: return c(tag, d0, d1, d2, d3, end);
    case 5: return c(tag, d0, d1, d2, d3, d4, end);
    case 6: return c(tag, d0, d1, d2, d3, d4, d5, end);
    case 7: return c(tag, d0, d1, d2, d3, d4, d5, d6, end);
    case 8: return c(tag, d0, d1, d2, d3, d4, d5, d6, d7, end);
    case 9: return c(tag, d0, d1, d2, d3, d4, d5, d6, d7, d8, end);
    case 10: return c(tag, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, end);
    default: return c(tag, d0, d1, d2, d3, d4, d5, d6, d7, d8, d9, d10, end);
  }
}

/** Matches a character that `escapeString` rewrites; one object (a literal in the hot path is a new RegExp per call). */
const ESCAPED = /[\u0000-\u0002]/;

/** Whether `s` holds a character below U+0003: a char-code loop for short strings (most key parts), the regex for long ones. */
function needsEscape(s: string): boolean {
  if (s.length > 32) return ESCAPED.test(s);
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) <= ESCAPE_CODE) return true;
  return false;
}

function escapeString(s: string): string {
  return s.replace(/[\u0000-\u0002]/g, (c) => STORE_STRING_ESCAPE + String.fromCharCode(c.charCodeAt(0) + 3));
}

/** The kv key of `key` in the current format, or `undefined` when only the Rust codec can encode (or refuse) it. */
export function encodeFlat(key: unknown): string | undefined {
  const parts = Array.isArray(key) ? key : [key];
  if (parts.length === 0) return undefined;
  let out = STORE_NAMESPACE;
  let units = 0;
  for (const part of parts) {
    switch (typeof part) {
      case "string":
        if (!(part as WellFormedCheck).isWellFormed()) return undefined;
        units += part.length;
        out += STORE_KEY_TAGS.string + (needsEscape(part) ? escapeString(part) : part) + STORE_STRING_END;
        break;
      case "number":
        if (!Number.isFinite(part)) return undefined;
        out += encodeNumber(part);
        break;
      case "boolean":
        out += part ? STORE_KEY_TAGS.true : STORE_KEY_TAGS.false;
        break;
      default:
        if (part !== null) return undefined;
        out += STORE_KEY_TAGS.null;
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
      // The shortest number part in any format: a tag, one digit, a terminator.
      return bytes + 3;
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

/**
 * The kv key of `key` in the key format `format` (throws `KEY_TYPE`/`KEY_TOO_LARGE` through the
 * Rust codec). Call inside `core.call` or `codec`.
 */
export function encodeKey(key: unknown, format: number = STORE_KEY_FORMAT): string {
  if (format === STORE_KEY_FORMAT) {
    const flat = encodeFlat(key);
    if (flat !== undefined) return flat;
  }
  guardKey(key);
  return Engine.storeEncode(key, format);
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

/** 64 ** k for k = 0..5. */
const POWERS_OF_64 = [1, 64, 4096, 262_144, 16_777_216, 1_073_741_824];
/** Where the number {@link decodeNumber} last decoded ended (one past its terminator). */
let numberEnd = 0;

/**
 * The number whose digits start at `at` (after its tag), or `undefined` when they are not what
 * the codec writes (NaN, ±Infinity, -0, a trailing padding digit, bad digits). Reads char codes
 * instead of slicing: a scan decodes one number per entry. Digits 0–4 gather in `top`, digit 5
 * in `middle`, digits 6–10 in `bottom` (30, 6 and 30 of the 66 bits). Sets {@link numberEnd}.
 */
function decodeNumber(kvKey: string, at: number, negative: boolean): number | undefined {
  const fill = negative ? MAX_DIGIT : 0;
  const end = negative ? NEGATIVE_NUMBER_END : NUMBER_END;
  let top = 0;
  let middle = fill;
  let bottom = 0;
  let c = kvKey.charCodeAt(at++);
  let digit = fill;
  let count = 0;
  // Past the end reads NaN, which fails every digit test too.
  for (; count < 5 && c !== end; count++, c = kvKey.charCodeAt(at++)) {
    digit = c - STORE_NUMBER_DIGIT_BASE;
    if (!(digit >= 0 && digit < 64)) return undefined;
    top = top * 64 + digit;
  }
  let bottomDigits = 0;
  if (count === 5 && c !== end) {
    digit = c - STORE_NUMBER_DIGIT_BASE;
    if (!(digit >= 0 && digit < 64)) return undefined;
    middle = digit;
    for (c = kvKey.charCodeAt(at++); bottomDigits < 5 && c !== end; bottomDigits++, c = kvKey.charCodeAt(at++)) {
      digit = c - STORE_NUMBER_DIGIT_BASE;
      if (!(digit >= 0 && digit < 64)) return undefined;
      bottom = bottom * 64 + digit;
    }
    if (c !== end) return undefined;
  } else if (c !== end) {
    return undefined;
  }
  // No digit, or a trailing one the encoder drops: not canonical.
  if (digit === fill) return undefined;
  // The dropped digits, all `fill`.
  const topMissing = POWERS_OF_64[5 - count]!;
  top = top * topMissing + (negative ? topMissing - 1 : 0);
  const bottomMissing = POWERS_OF_64[5 - bottomDigits]!;
  bottom = bottom * bottomMissing + (negative ? bottomMissing - 1 : 0);
  const high = ((top << 2) | (middle >>> 4)) >>> 0;
  const low = (((middle & 15) << 28) | (bottom >>> 2)) >>> 0;
  if ((bottom & 3) !== (fill & 3) || high >= 0x8000_0000 === negative) return undefined;
  if (negative) {
    words[1] = ~high;
    words[0] = ~low;
  } else {
    words[1] = high - 0x8000_0000;
    words[0] = low;
  }
  numberEnd = at;
  const n = number[0]!;
  // Finite (n - n is NaN for NaN and ±Infinity) and not -0.
  return n - n === 0 && (n !== 0 || 1 / n > 0) ? n : undefined;
}

/**
 * The flat key a kv key stands for, or `undefined` when only the Rust codec can decode it.
 * `known` are the already decoded parts of its first `from` characters (a scanned prefix).
 */
function decodeFlat(kvKey: string, from = 1, known: readonly FlatPart[] = []): FlatPart[] | undefined {
  if (kvKey.charCodeAt(0) !== NAMESPACE_CODE) return undefined;
  const parts: FlatPart[] = known.slice();
  const length = kvKey.length;
  let at = from;
  while (at < length) {
    const tag = kvKey.charCodeAt(at);
    at += 1;
    if (tag === TAG_NUMBER || tag === TAG_NEGATIVE_NUMBER) {
      const n = decodeNumber(kvKey, at, tag === TAG_NEGATIVE_NUMBER);
      if (n === undefined) return undefined;
      parts.push(n);
      at = numberEnd;
    } else if (tag === TAG_STRING) {
      const end = kvKey.indexOf(STORE_STRING_END, at);
      if (end < 0) return undefined;
      const raw = kvKey.slice(at, end);
      const text = raw.includes(STORE_STRING_ESCAPE) ? unescapeString(raw) : raw;
      if (text === undefined || raw.includes("\u0000")) return undefined;
      parts.push(text);
      at = end + 1;
    } else if (tag === TAG_NULL) parts.push(null);
    else if (tag === TAG_FALSE) parts.push(false);
    else if (tag === TAG_TRUE) parts.push(true);
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
 * A decoder for the keys `kv.list` returns for a range planned with `prefix` over keys of
 * `format`: every such key starts with the prefix's encoding (the plan's bounds lie within it),
 * so only the rest of each key is decoded (a scan of `["g", 7]` decodes one number per entry).
 *
 * The commonest rest, one number, skips the general loop and the `startsWith` check: it brings a
 * scan closest to a bare `kv.list` of the same keys (S4; docs/reports/s4-store.md).
 */
export function prefixDecoder(prefix: unknown, format: number): (kvKey: string) => unknown[] {
  const encoded = prefix === undefined || format !== STORE_KEY_FORMAT ? undefined : encodeFlat(prefix);
  const known = encoded === undefined ? undefined : decodeFlat(encoded);
  if (encoded === undefined || known === undefined) return decodeKey;
  const from = encoded.length;
  const withNumber = appender(known);
  return (kvKey) => {
    const tag = kvKey.charCodeAt(from);
    if (tag === TAG_NUMBER || tag === TAG_NEGATIVE_NUMBER) {
      const n = decodeNumber(kvKey, from + 1, tag === TAG_NEGATIVE_NUMBER);
      if (n !== undefined && numberEnd === kvKey.length) return withNumber(n);
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

/** The key a kv key stands for (in either format), always an array. Call inside `core.call` or `codec`. */
export function decodeKey(kvKey: string): unknown[] {
  return decodeFlat(kvKey) ?? (Engine.storeDecode(kvKey) as unknown[]);
}

/** The key format (1 or 2) of an object whose first store key is `firstKey` (`undefined`: it has none). */
export function keyFormatOf(firstKey: string | undefined): number {
  return Engine.storeFormat(firstKey);
}
