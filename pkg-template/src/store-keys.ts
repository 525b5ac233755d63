/**
 * The store's key codec as the facade imports it: the JS fast path (encoding in
 * `store-key-encode.ts`, decoding in `store-key-decode.ts`, the format's characters in
 * `store-key-format.ts`), the kv ranges of keys (`store-range.ts`) and keys as JavaScript
 * values (`store-key-parts.ts`).
 *
 * The JS fast path covers the keys almost every call uses: flat tuples of
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
export type { FlatPart } from "./store-key-format.js";
export { keyFormatOf } from "./store-key-format.js";
export { encodeFlat, encodeKey, guardKey } from "./store-key-encode.js";
export { decodeKey, prefixDecoder } from "./store-key-decode.js";
export { keyHasPrefix, keyLiteral } from "./store-key-parts.js";
export { planRange } from "./store-range.js";
