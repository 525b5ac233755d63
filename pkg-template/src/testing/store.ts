/** The store's JS key codec, exposed so tests can check it against the Rust reference codec. */
export { decodeKey as storeDecodeKey, encodeKey as storeEncodeKey } from "../store-keys.js";
