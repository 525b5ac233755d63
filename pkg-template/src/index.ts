/**
 * durable-core: SQL with migrations, typed ordered storage, a multiplexed alarm queue and
 * hibernation-safe WebSocket fan-out for Cloudflare Durable Objects.
 *
 * Import from `durable-core`: its `workerd` entry loads the wasm engine.
 */
export { DurableCore } from "./durable-core.js";
export type { DurableCoreStatics, MigrationEntry } from "./durable-core.js";
export { DurableCoreError, ERROR_CODES } from "./errors.js";
export type { DurableCoreErrorCode } from "./errors.js";
export { DEFAULT_BUDGET_BYTES, engineStats, setEngineBudget } from "./engine-pool.js";
export type { EngineHandleStats, EngineStats } from "./engine-pool.js";
// The capability classes are reached through `this.sql`, `this.store`, `this.scheduler` and
// `this.sockets`; their constructors are internal, so only their types are exported.
export { sql } from "./sql.js";
export type { Sql, SqlFragment } from "./sql.js";
export type { SqlBindable, SqlHelper, SqlRow, SqlRunResult } from "./sql.js";
export type { Scheduler } from "./scheduler.js";
export type { CronOptions, FailedTask, ListOptions, RetryOptions, ScheduleOptions, Task, TaskContext, TaskHandler, TaskKind, TaskMethod } from "./scheduler.js";
export { MAX_VALUE_BYTES } from "./store.js";
export type { Store, StoreIndex } from "./store.js";
export type { Entry, IndexDefinition, IndexDefinitions, Key, KeyPart, KeyTuple, Range, StoreTransaction } from "./store.js";
export type { Json, JsonArray, JsonObject, StoreArray, StoreObject, StoreValue } from "./values.js";
export type { Connection } from "./connection.js";
export type { SubscribeOptions } from "./connection.js";
export type { Sockets } from "./sockets.js";
export type { PublishOptions, SocketMessage, SocketsOptions } from "./sockets.js";
