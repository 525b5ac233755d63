/**
 * The encoding half of the store's key codec in JS: flat keys of the current format to kv keys,
 * and the size guard every key passes before it reaches the engine. Anything the fast path does
 * not encode goes to the Rust codec (`src/store/keys.rs`), which also raises every key error.
 */
import { DurableCoreError } from "./errors.js";
import {
  MAX_KEY_BYTES,
  MAX_KEY_DEPTH,
  STORE_KEY_FORMAT,
  STORE_KEY_TAGS,
  STORE_NAMESPACE,
  STORE_NUMBER_DIGIT_BASE,
  STORE_NUMBER_MAX_DIGITS,
  STORE_STRING_END,
  STORE_STRING_ESCAPE,
} from "./generated/core.js";
import {
  ESCAPE_CODE,
  type FlatPart,
  NEGATIVE_NUMBER_END,
  number,
  NUMBER_END,
  TAG_NEGATIVE_NUMBER,
  TAG_NUMBER,
  words,
} from "./store-key-format.js";
import { Engine } from "./wasm/durable_core.js";

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

/**
 * One flat part's encoding (tag, text or digits, terminator), or `undefined` when the fast path
 * does not take it (not flat, a lone surrogate, a non-finite number).
 */
function encodePart(part: unknown): string | undefined {
  switch (typeof part) {
    case "string":
      if (!(part as WellFormedCheck).isWellFormed()) return undefined;
      return STORE_KEY_TAGS.string + (needsEscape(part) ? escapeString(part) : part) + STORE_STRING_END;
    case "number":
      return Number.isFinite(part) ? encodeNumber(part) : undefined;
    case "boolean":
      return part ? STORE_KEY_TAGS.true : STORE_KEY_TAGS.false;
    default:
      return part === null ? STORE_KEY_TAGS.null : undefined;
  }
}

/**
 * The leading parts (all but the last) of the last tuple keys encoded, as values: consecutive
 * keys such as `["g", group, i]` share them, so their encoding is reused instead of redone.
 * `memoHeads[j]` is the namespace plus the encoding of `memoParts[0..j)`, `memoUnits[j]` their
 * strings' UTF-16 units; `memoHeads[0]` is the namespace alone. Only flat parts that encoded are
 * kept (primitives: no user object is held), at most {@link MEMO_PARTS} of them. A key part is
 * reused when it is `===` the kept one, which for these primitives means the same encoding (`0`
 * and `-0` encode alike); the key array itself is never remembered, so a key array mutated
 * between calls, or a Proxy, is read afresh each time, each element exactly once.
 */
const MEMO_PARTS = 8;
const memoParts: FlatPart[] = new Array<FlatPart>(MEMO_PARTS).fill(null);
const memoHeads: string[] = new Array<string>(MEMO_PARTS + 1).fill(STORE_NAMESPACE);
const memoUnits: number[] = new Array<number>(MEMO_PARTS + 1).fill(0);
/** How many of `memoParts` hold the last key's leading parts. */
let memoCount = 0;

/** The kv key of `key` in the current format, or `undefined` when only the Rust codec can encode (or refuse) it. */
export function encodeFlat(key: unknown): string | undefined {
  if (!Array.isArray(key)) {
    const encoded = encodePart(key);
    if (encoded === undefined) return undefined;
    return sized(STORE_NAMESPACE + encoded, typeof key === "string" ? key.length : 0);
  }
  const parts: readonly unknown[] = key;
  const count = parts.length;
  if (count === 0) return undefined;
  // The leading parts equal to the last key's: their encoding is the memo's.
  const lead = count - 1;
  const known = lead < memoCount ? lead : memoCount;
  let i = 0;
  let part: unknown;
  let pending = false;
  for (; i < known; i++) {
    part = parts[i];
    if (part !== memoParts[i]) {
      pending = true;
      break;
    }
  }
  let out = memoHeads[i]!;
  let units = memoUnits[i]!;
  // Parts from `i` on replace the memo's (deeper ones stay when this key adds none).
  if (i < lead) memoCount = i;
  for (; i < count; i++) {
    // A part that differed from the memo's was read already: each element is read once.
    if (pending) pending = false;
    else part = parts[i];
    const encoded = encodePart(part);
    if (encoded === undefined) return undefined;
    if (typeof part === "string") units += part.length;
    out += encoded;
    if (out.length + 2 * units > MAX_KEY_BYTES) return undefined;
    if (i < lead && i < MEMO_PARTS) {
      memoParts[i] = part as FlatPart;
      memoHeads[i + 1] = out;
      memoUnits[i + 1] = units;
      memoCount = i + 1;
    }
  }
  return out;
}

/**
 * `out` when it is certainly within the size limit: a UTF-16 unit takes at most 3 UTF-8 bytes,
 * so only keys that might be too long go to Rust to be measured.
 */
function sized(out: string, units: number): string | undefined {
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
