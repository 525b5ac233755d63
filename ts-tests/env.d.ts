// Bindings of the fixtures Worker (ts-tests/fixtures/wrangler.jsonc).
interface Env {
  BASIC: DurableObjectNamespace<import("./fixtures/foundation.js").Basic>;
  BROKEN_MIGRATION: DurableObjectNamespace<import("./fixtures/foundation.js").BrokenMigration>;
  PLAIN: DurableObjectNamespace<import("./fixtures/foundation.js").Plain>;
}

declare module "cloudflare:workers" {
  interface ProvidedEnv extends Env {}
}

declare module "durable-core/test-wasm" {
  export function __trap(): void;
}
