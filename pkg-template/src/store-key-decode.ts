/**
 * The decoding half of the store's key codec in JS: kv keys of flat keys back to their parts,
 * with a decoder specialised for the keys of one scanned prefix. Anything the fast path does not
 * decode goes to the Rust codec (`src/store/keys.rs`).
 */
import { STORE_KEY_FORMAT, STORE_NUMBER_DIGIT_BASE, STORE_STRING_END, STORE_STRING_ESCAPE } from "./generated/core.js";
import { encodeFlat } from "./store-key-encode.js";
import {
  type FlatPart,
  MAX_DIGIT,
  NAMESPACE_CODE,
  NEGATIVE_NUMBER_END,
  number,
  NUMBER_END,
  TAG_FALSE,
  TAG_NEGATIVE_NUMBER,
  TAG_NULL,
  TAG_NUMBER,
  TAG_STRING,
  TAG_TRUE,
  words,
} from "./store-key-format.js";
import { Engine } from "./wasm/durable_core.js";

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
