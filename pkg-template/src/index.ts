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
