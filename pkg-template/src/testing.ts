/**
 * `durable-core/testing`: helpers for tests that run inside workerd with
 * `@cloudflare/vitest-plugin` (or the older `@cloudflare/vitest-pool-workers`).
 */
export {};
