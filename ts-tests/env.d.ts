// Bindings of the fixtures Worker (ts-tests/fixtures/wrangler.jsonc).
interface Env {
  BASIC: DurableObjectNamespace<import("./fixtures/foundation.js").Basic>;
  BROKEN_MIGRATION: DurableObjectNamespace<import("./fixtures/foundation.js").BrokenMigration>;
  PLAIN: DurableObjectNamespace<import("./fixtures/foundation.js").Plain>;
  SQL_INVENTORY: DurableObjectNamespace<import("./fixtures/sql.js").SqlInventory>;
  SQL_EDITED: DurableObjectNamespace<import("./fixtures/sql.js").SqlEdited>;
  TASKS: DurableObjectNamespace<import("./fixtures/scheduler.js").Tasks>;
  TICKER: DurableObjectNamespace<import("./fixtures/scheduler.js").Ticker>;
  MODEL_QUEUE: DurableObjectNamespace<import("./fixtures/scheduler-model.js").ModelQueue>;
  STORE_BOX: DurableObjectNamespace<import("./fixtures/store.js").StoreBox>;
  STORE_EVOLVING: DurableObjectNamespace<import("./fixtures/store.js").StoreEvolving>;
  CHAT_ROOM: DurableObjectNamespace<import("./fixtures/fanout.js").ChatRoom>;
  CORPUS_BOX: DurableObjectNamespace<import("./fixtures/corpus.js").CorpusBox>;
  CORPUS_STATICS: DurableObjectNamespace<import("./fixtures/corpus.js").CorpusStatics>;
  INDEX_EVOLVING: DurableObjectNamespace<import("./fixtures/corpus.js").IndexEvolving>;
  MEMORY_ROOM: DurableObjectNamespace<import("./fixtures/memory.js").MemoryRoom>;
  RESETTABLE: DurableObjectNamespace<import("./fixtures/reset.js").Resettable>;
  LAZY_SCHEMA: DurableObjectNamespace<import("./fixtures/schema.js").LazySchema>;
  LAZY_SCHEMA_MIGRATED: DurableObjectNamespace<import("./fixtures/schema.js").LazySchemaMigrated>;
  LAZY_SCHEMA_BROKEN: DurableObjectNamespace<import("./fixtures/schema.js").LazySchemaBroken>;
  LAZY_SCHEMA_EVOLVING: DurableObjectNamespace<import("./fixtures/schema.js").LazySchemaEvolving>;
  LAZY_SCHEMA_EVOLVING_INDEXED: DurableObjectNamespace<import("./fixtures/schema.js").LazySchemaEvolvingIndexed>;
}

// `env` from "cloudflare:workers" is typed `Cloudflare.Env`.
type FixturesEnv = Env;
declare namespace Cloudflare {
  interface Env extends FixturesEnv {}
}

/** Set by vitest.config.ts from MODEL_SEQUENCES / MODEL_SEED (scheduler-model.test.ts). */
declare const __MODEL_SEQUENCES__: string;
declare const __MODEL_SEED__: string;

declare module "durable-core/test-wasm" {
  export function __trap(): void;
  /** The engine's template compiler, to hand it a template the facade would never build. */
  export function sqlCompile(template: unknown): unknown;
  /** Binds values through the core's SQL backend twice, lending `lent` (src/wasm/probe.rs). */
  export function __bindEcho(sql: SqlStorage, values: unknown[], lent: string[]): [unknown[][], unknown[][], string[]];
}
