/**
 * `durable-core/testing`: helpers for tests that run inside workerd with
 * `@cloudflare/vitest-plugin` (or the older `@cloudflare/vitest-pool-workers`).
 */
export {};
export * from "./testing/scheduler.js";
export * from "./testing/fanout.js";
export * from "./testing/errors.js";
