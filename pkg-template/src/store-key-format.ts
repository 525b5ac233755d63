/**
 * The store's key format as the JS fast path sees it: the character codes of the current
 * format's tags and terminators, all generated from the Rust codec (`src/store/keys.rs`, the
 * reference; `./generated/core.js`), the flat key type the fast path handles, and the format of
 * an object's stored keys.
 */
import {
  STORE_KEY_TAGS,
  STORE_NAMESPACE,
  STORE_NEGATIVE_NUMBER_END,
  STORE_NUMBER_END,
  STORE_STRING_ESCAPE,
} from "./generated/core.js";
import { Engine } from "./wasm/durable_core.js";

/** A key part the JS fast path encodes and decodes itself. */
export type FlatPart = null | boolean | number | string;

const code = (text: string): number => text.charCodeAt(0);
export const NAMESPACE_CODE = code(STORE_NAMESPACE);
export const TAG_NULL = code(STORE_KEY_TAGS.null);
export const TAG_FALSE = code(STORE_KEY_TAGS.false);
export const TAG_TRUE = code(STORE_KEY_TAGS.true);
export const TAG_NUMBER = code(STORE_KEY_TAGS.number);
export const TAG_NEGATIVE_NUMBER = code(STORE_KEY_TAGS.negativeNumber);
export const TAG_STRING = code(STORE_KEY_TAGS.string);
export const NUMBER_END = code(STORE_NUMBER_END);
export const NEGATIVE_NUMBER_END = code(STORE_NEGATIVE_NUMBER_END);
export const ESCAPE_CODE = code(STORE_STRING_ESCAPE);
/** The digit every dropped trailing digit of a negative number has (all six bits set). */
export const MAX_DIGIT = 63;

/** A number part is the bits of its float: one scratch float to write them in and read them out. */
export const number = new Float64Array(1);
/** The float's two 32-bit halves: [low, high] on every platform workerd runs on (little-endian). */
export const words = new Uint32Array(number.buffer);

/** The key format (1 or 2) of an object whose first store key is `firstKey` (`undefined`: it has none). */
export function keyFormatOf(firstKey: string | undefined): number {
  return Engine.storeFormat(firstKey);
}
