/**
 * durable-core: SQL with migrations, typed ordered storage, a multiplexed alarm queue and
 * hibernation-safe WebSocket fan-out for Cloudflare Durable Objects.
 *
 * Import from `durable-core`: its `workerd` entry loads the wasm engine.
 */
export { DurableCore } from "./durable-core.js";
export type { DurableCoreStatics, MigrationEntry } from "./durable-core.js";
export { DurableCoreError } from "./errors.js";
export { engineStats } from "./engine.js";
export { Sql, SqlFragment, sql } from "./sql.js";
export type { SqlBindable, SqlHelper, SqlRow, SqlRunResult } from "./sql.js";
export { Scheduler } from "./scheduler.js";
export type { CronOptions, FailedTask, ListOptions, RetryOptions, ScheduleOptions, Task, TaskContext, TaskKind, TaskMethod } from "./scheduler.js";
export { MAX_VALUE_BYTES, Store, StoreIndex } from "./store.js";
export type { Entry, IndexDefinition, IndexDefinitions, Key, KeyPart, Range, StoreTransaction } from "./store.js";
export { Connection } from "./connection.js";
export type { SubscribeOptions } from "./connection.js";
export { Sockets } from "./sockets.js";
export type { PublishOptions, SocketMessage, SocketsOptions } from "./sockets.js";
