/**
 * The value types durable-core hands back: task payloads (JSON) and stored values. Their
 * recursion goes through interfaces, not type aliases, so that RPC's result types
 * (`Rpc.Result`, `Rpc.Serializable`) walk them lazily: a recursive alias makes a caller's
 * `await stub.method()` fail with TS2589 or turn into `never`.
 */

/** A JSON value: what a task's payload is after it was stored. */
export type Json = null | boolean | number | string | JsonArray | JsonObject;
export interface JsonArray extends Array<Json> {}
export interface JsonObject {
  [key: string]: Json;
}

/** A value `this.store` keeps: JSON-like data with bigints and bytes anywhere inside. */
export type StoreValue = null | boolean | number | bigint | string | Uint8Array | StoreArray | StoreObject;
export interface StoreArray extends Array<StoreValue> {}
export interface StoreObject {
  [key: string]: StoreValue;
}
