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
import { Engine } from "./wasm/durable_core.js";

export type FlatPart = null | boolean | number | string;

const NAMESPACE = "\u001f";
const STRING_END = "\u0001";
const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));
const number = new Float64Array(1);
/** The float's bytes; index 7 is the most significant on every platform workerd runs on (little-endian). */
const bytes = new Uint8Array(number.buffer);
/** The encoded key limit in UTF-8 bytes (`MAX_KEY_BYTES` in Rust). */
const MAX_KEY_BYTES = 2048;

/** `String.prototype.isWellFormed` (ES2024; workerd has it, the compile target's lib does not). */
type WellFormedCheck = string & { isWellFormed(): boolean };

function encodeNumber(n: number): string {
  number[0] = n === 0 ? 0 : n;
  // Order-preserving bits: positives get the sign bit, negatives are complemented.
  const negative = (bytes[7]! & 0x80) !== 0;
  let out = "f";
  for (let i = 7; i >= 0; i--) {
    const b = bytes[i]!;
    out += HEX[negative ? 255 - b : i === 7 ? b | 0x80 : b];
  }
  return out;
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
        out += "s" + (/[\u0000-\u0002]/.test(part) ? escapeString(part) : part) + STRING_END;
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

/** The kv key of `key` (throws `KEY_TYPE`/`KEY_TOO_LARGE` through the Rust codec). Call inside `core.call`. */
export function encodeKey(key: unknown): string {
  return encodeFlat(key) ?? Engine.storeEncode(key);
}

const LOWER_HEX_16 = /^[0-9a-f]{16}$/;
/** The float's two 32-bit halves: [low, high] on little-endian hosts. */
const words = new Uint32Array(number.buffer);

function decodeNumber(kvKey: string, at: number): number | undefined {
  const digits = kvKey.slice(at, at + 16);
  if (!LOWER_HEX_16.test(digits)) return undefined;
  const high = Number("0x" + digits.slice(0, 8));
  const low = Number("0x" + digits.slice(8));
  if (high >= 0x8000_0000) {
    words[1] = high - 0x8000_0000;
    words[0] = low;
  } else {
    words[1] = ~high;
    words[0] = ~low;
  }
  const n = number[0]!;
  return Number.isFinite(n) && !Object.is(n, -0) ? n : undefined;
}

/**
 * The flat key a kv key stands for, or `undefined` when only the Rust codec can decode it.
 * `known` are the already decoded parts of its first `from` characters (a scanned prefix).
 */
function decodeFlat(kvKey: string, from = 1, known: readonly FlatPart[] = []): FlatPart[] | undefined {
  if (kvKey.charCodeAt(0) !== 0x1f) return undefined;
  const parts: FlatPart[] = known.slice();
  let at = from;
  while (at < kvKey.length) {
    const tag = kvKey[at];
    at += 1;
    if (tag === "s") {
      const end = kvKey.indexOf(STRING_END, at);
      if (end < 0) return undefined;
      const raw = kvKey.slice(at, end);
      const text = raw.includes("\u0002") ? unescapeString(raw) : raw;
      if (text === undefined || raw.includes("\u0000")) return undefined;
      parts.push(text);
      at = end + 1;
    } else if (tag === "f") {
      if (at + 16 > kvKey.length) return undefined;
      const n = decodeNumber(kvKey, at);
      if (n === undefined) return undefined;
      parts.push(n);
      at += 16;
    } else if (tag === "0") parts.push(null);
    else if (tag === "F") parts.push(false);
    else if (tag === "T") parts.push(true);
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
 * A decoder for the keys of one prefix scan: every key starts with the prefix's encoding, so
 * only the rest of each key is decoded (a scan of `["g", 7]` decodes one number per entry).
 */
export function prefixDecoder(prefix: unknown): (kvKey: string) => unknown[] {
  const encoded = prefix === undefined ? undefined : encodeFlat(prefix);
  const known = encoded === undefined ? undefined : decodeFlat(encoded);
  if (encoded === undefined || known === undefined) return decodeKey;
  return (kvKey) =>
    (kvKey.startsWith(encoded) ? decodeFlat(kvKey, encoded.length, known) : undefined) ?? decodeKey(kvKey);
}

/** The key a kv key stands for, always an array. Call inside `core.call`. */
export function decodeKey(kvKey: string): unknown[] {
  return decodeFlat(kvKey) ?? (Engine.storeDecode(kvKey) as unknown[]);
}
