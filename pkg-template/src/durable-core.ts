import { DurableObject } from "cloudflare:workers";
import { CoreContext } from "./core-context.js";
import type { Engine, MigrationStep } from "./wasm/durable_core.js";
import { DurableCoreError } from "./errors.js";
import { SCHEDULER_SCOPE, USER_SCOPE } from "./generated/core.js";
import { type FailedTask, Scheduler, runDueTasks } from "./scheduler.js";
import { Sql } from "./sql.js";
import { type IndexDefinitions, Store } from "./store.js";
import type { Connection } from "./connection.js";
import { SocketHub } from "./socket-hub.js";
import type { Sockets, SocketsOptions } from "./sockets.js";

/** One entry of `static migrations`: SQL text, or SQL with a name kept in the ledger. */
export type MigrationEntry = string | { readonly name?: string; readonly sql: string };

/** What a subclass may declare as class-level settings. */
export interface DurableCoreStatics {
  readonly migrations?: readonly MigrationEntry[];
  readonly indexes?: IndexDefinitions;
  readonly sockets?: SocketsOptions;
}

/**
 * The base class of a durable-core Durable Object.
 *
 * It owns the platform's entry points (`fetch`, `alarm`, the WebSocket handlers); you override
 * small hooks: {@link DurableCore.onStart}, {@link DurableCore.onRequest}, `onConnect`,
 * `onMessage`, `onClose`, `onError`, `onTaskFailed`. Schema setup runs once per wake, in the constructor, inside
 * `blockConcurrencyWhile`: durable-core's own tables that exist are brought up to date (and the
 * store's created when the class declares `static indexes`), then your `static migrations` run,
 * then `onStart()`. A capability's tables are created at its first use (`this.scheduler`), so
 * a fresh object pays only for what it uses.
 *
 * @example
 * export class Counter extends DurableCore<Env> {
 *   static migrations = ["CREATE TABLE hits (at INTEGER NOT NULL)"];
 *   async onRequest(request: Request) { return new Response("hello"); }
 * }
 */
export class DurableCore<Env = unknown> extends DurableObject<Env> {
  /** SQL run once per object, in order; version = position (1-based). Append only. */
  static migrations: readonly MigrationEntry[] = [];

  /** @internal The object's link to the core. */
  readonly #core: CoreContext;
  /** Set when the object cannot start (e.g. a failed migration): every call then throws it. */
  #fatal: DurableCoreError | null = null;
  /** The wake's work (migrations, scheduler and store wake, onStart), run by {@link #runStart}. */
  readonly #start: () => Promise<void>;
  /** True while {@link #start} runs, inside `blockConcurrencyWhile`. */
  #starting = false;
  /** The scheduler's view of {@link #core}: its first call creates the scheduler's tables. */
  readonly #schedulerCore: CoreContext;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#core = new CoreContext(ctx);
    this.#schedulerCore = this.#core.forScope(SCHEDULER_SCOPE);
    this.#core.onStorageWiped(() => void this.#restart());
    this.#start = async () => {
      try {
        // Checks `static indexes` (INDEX_DEFINITION) before anything uses them, and before the
        // migrations create the store's tables for them.
        void this.store;
        this.#migrate();
      } catch (error) {
        // A migration or index definition error is kept rather than thrown: a throw here would
        // reset the object, and every later call would retry the failing migration. The object
        // refuses calls until the code is fixed. Anything else (an engine reset, a platform
        // fault) is transient: rethrown, it resets the object and the next event starts it afresh.
        if (error instanceof DurableCoreError && (error.code.startsWith("MIGRATION_") || error.code === "INDEX_DEFINITION")) {
          this.#fatal = error;
          return;
        }
        throw error;
      }
      // An object whose scheduler was never used has no queue, so no alarm of it can be armed:
      // skip the wake-time alarm check (an async getAlarm), the dearest part of a fresh start.
      if (this.#core.schema.has(SCHEDULER_SCOPE)) await this.scheduler.wake();
      this.store.wake();
      await this.onStart?.();
    };
    void ctx.blockConcurrencyWhile(() => this.#runStart());
  }

  async #runStart(): Promise<void> {
    this.#starting = true;
    try {
      await this.#start();
    } finally {
      this.#starting = false;
    }
  }

  /**
   * Starts the object over as new within this instance, after its storage was deleted: a fresh
   * engine handle (so every cache keyed to the old one rebuilds: store, scheduler, topic index),
   * then the wake's work again. Inside `blockConcurrencyWhile`, unless already inside the wake's.
   */
  async #restart(): Promise<void> {
    this.#core.dropHandle();
    this.#core.schema.reset();
    this.#fatal = null;
    if (this.#starting) await this.#start();
    else await this.ctx.blockConcurrencyWhile(() => this.#runStart());
  }

  /**
   * Deletes everything the object stores and starts it over as new, within this instance: every
   * SQLite table and `ctx.storage.kv` key, the alarm (so every scheduled task), and every
   * in-memory cache; then your `static migrations` run again (and the store's tables are created
   * again for `static indexes`; the scheduler's come back with its next use) and `onStart()`
   * runs again. Open WebSockets stay connected, with their state and
   * subscriptions (they live in the sockets' attachments, not in storage); close them first if
   * the reset should disconnect clients. Use it instead of `ctx.storage.deleteAll()`, which
   * leaves the engine believing in tables that are gone (that leads to `STORAGE_RESET`).
   *
   * @example
   * async reset() { await this.deleteAll(); }
   */
  async deleteAll(): Promise<void> {
    const storage = this.ctx.storage;
    // Before deleteAll: older compatibility dates keep the alarm through it.
    await storage.deleteAlarm();
    await storage.deleteAll();
    await this.#restart();
  }

  /**
   * Runs once per wake, after migrations, before any request, RPC call, alarm or WebSocket
   * event reaches the object. A good place to register recurring tasks or warm caches.
   */
  onStart?(): void | Promise<void>;

  #sql: Sql | undefined;

  /**
   * Tagged-template queries (`all`, `one`, `first`, `run`) and `transaction(fn)`.
   *
   * @example
   * const item = this.sql.one<{ stock: number }>`SELECT stock FROM items WHERE id = ${id}`;
   */
  get sql(): Sql {
    // `core` checks readiness on every access: a failed migration refuses every query.
    const core = this.core;
    return (this.#sql ??= new Sql(core));
  }

  /**
   * Secondary indexes of `this.store`: `{ name: { key: (value) => key | undefined, unique? } }`.
   * A new or changed index is built on the next wake, in chunks between events.
   */
  static indexes: IndexDefinitions = {};

  #store: Store | undefined;

  /**
   * Ordered storage with typed tuple keys: `put`, `get`, `has`, `delete`, `getMany`, `list`,
   * `entries`, `count`, `deleteRange`, `batch`, `index(name)`.
   *
   * @example
   * this.store.put(["user", 42, "session", Date.now()], { device: "ios" });
   */
  get store(): Store {
    const core = this.core;
    return (this.#store ??= new Store(core, (this.constructor as DurableCoreStatics).indexes ?? {}));
  }

  #scheduler: Scheduler<this, this["taskHandlers"]> | undefined;

  /**
   * The alarm queue: `at`, `after`, `every`, `cron`, `cancel`, `get`, `list`, `failed`,
   * `retryFailed`. A due task calls its handler with
   * `(payload, { id, attempt, scheduledAt, firedAt, next })`.
   *
   * @example
   * this.scheduler.after(30_000, "turnTimeout", { gameId });
   */
  get scheduler(): Scheduler<this, this["taskHandlers"]> {
    this.assertReady();
    // Its tables now, even if this use is refused before it reaches the core: a later read of
    // them (or a snapshot of the storage) does not depend on which call came first.
    this.#schedulerCore.prepare();
    return (this.#scheduler ??= new Scheduler<this, this["taskHandlers"]>(this.#schedulerCore, this));
  }

  /**
   * Task handlers kept off the RPC surface: a task whose `method` names a key of this table
   * runs that function (with `this` bound to the object) instead of a public method, so no
   * caller holding the binding can invoke it: RPC exposes the methods declared on a class, never
   * the properties of an instance, so neither the table nor its functions are reachable.
   *
   * @example
   * override readonly taskHandlers = {
   *   expireHold: (payload: { holdId: string }, task: TaskContext) => this.#release(payload.holdId),
   * };
   * // elsewhere: this.scheduler.after(60_000, "expireHold", { holdId });
   */
  readonly taskHandlers: object = {};

  /**
   * Called when a task's attempts ran out and it moved to dead letters (`scheduler.failed()`).
   * A throw here is logged, never rethrown.
   */
  onTaskFailed?(task: FailedTask, error: unknown): void | Promise<void>;

  /**
   * Runs the due tasks. The scheduler owns the object's one alarm: if you override `alarm()`,
   * call `await super.alarm(alarmInfo)` in it. A task handler's throw never makes it throw.
   */
  override async alarm(_alarmInfo?: AlarmInvocationInfo): Promise<void> {
    await this.scheduler[runDueTasks]({ source: "alarm" });
  }

  /**
   * Handles an HTTP request that is not a WebSocket upgrade. Override it; the default answers
   * 404 with a hint.
   */
  onRequest(request: Request): Response | Promise<Response> {
    const path = new URL(request.url).pathname;
    return new Response(
      `${this.constructor.name} has no handler for ${request.method} ${path}: override onRequest(request) to answer HTTP requests.`,
      { status: 404, headers: { "content-type": "text/plain; charset=utf-8" } },
    );
  }

  override async fetch(request: Request): Promise<Response> {
    this.assertReady();
    if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") return this.#socketHub().upgrade(request, this);
    return this.onRequest(request);
  }

  /**
   * WebSocket settings: `maxMessageBytes` (default 1 MiB; over → close 1009), `rateLimit`
   * `{ messages, perMs }` per connection (default none; over → close 1008), `autoResponse`
   * `[request, response]` answered without waking the object, `attachmentBytes` (default 16 KiB).
   */
  static sockets: SocketsOptions = {};

  #sockets: SocketHub | undefined;

  #socketHub(): SocketHub {
    const core = this.core;
    return (this.#sockets ??= new SocketHub(core, (this.constructor as DurableCoreStatics).sockets ?? {}));
  }

  /**
   * The object's WebSocket connections and topics: `publish`, `broadcast`, `connections`,
   * `count`, `get`, `presence`. Subscriptions, state and presence survive hibernation.
   *
   * @example
   * this.sockets.publish("room/lobby", { from: conn.state?.name, text }, { except: conn });
   */
  get sockets(): Sockets {
    return this.#socketHub().api;
  }

  /** Before a WebSocket is accepted: return a Response (e.g. 401) to refuse it; nothing is accepted then. */
  onBeforeConnect?(request: Request): Response | void | undefined | Promise<Response | void | undefined>;

  /** A WebSocket was accepted (hibernatable): set its state and subscribe it here. */
  onConnect?(connection: Connection<unknown>, request: Request): void | Promise<void>;

  /** A message from a connection, within `maxMessageBytes` and `rateLimit`. A throw goes to `onError`. */
  onMessage?(connection: Connection<unknown>, data: string | ArrayBuffer): void | Promise<void>;

  /** A connection closed; it has already left its topics (presence peers got `leave`). */
  onClose?(connection: Connection<unknown>, code: number, reason: string, wasClean: boolean): void | Promise<void>;

  /** A socket error, or a throw from `onMessage`. */
  onError?(connection: Connection<unknown>, error: unknown): void | Promise<void>;

  override async webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): Promise<void> {
    await this.#socketHub().message(ws, message, this);
  }

  override async webSocketClose(ws: WebSocket, code: number, reason: string, wasClean: boolean): Promise<void> {
    await this.#socketHub().socketClosed(ws, code, reason, wasClean, this);
  }

  override async webSocketError(ws: WebSocket, error: unknown): Promise<void> {
    await this.#socketHub().socketErrored(ws, error, this);
  }

  /** Throws the error that keeps this object from starting, if any. */
  protected assertReady(): void {
    if (this.#fatal !== null) throw this.#fatal;
  }

  /** @internal For capabilities: the object's core context, once the object is ready. */
  protected get core(): CoreContext {
    this.assertReady();
    return this.#core;
  }

  /**
   * Applies what the ledger says is pending: the missing migrations of durable-core's tables
   * that exist (and the store's, for a class with `static indexes`) in one transaction; each user
   * migration in its own, with its ledger row. The ledger is read once `sqlite_master` says it
   * exists, so no statement at a wake fails (a failed one costs more than the lookup and the
   * read together): a fresh object of a class with no migrations and no indexes runs that one
   * read-only lookup and writes nothing.
   */
  #migrate(): void {
    const statics = this.constructor as DurableCoreStatics;
    const user = (statics.migrations ?? []).map((entry, index) => normalizeMigration(entry, index));
    const core = this.#core;
    // Checked by the store already (INDEX_DEFINITION): an object, when declared.
    const declaresIndexes = Object.keys(statics.indexes ?? {}).length > 0;
    const { steps, present, ledger } = core.call((engine) => engine.planMigrations(user, declaresIndexes));
    const coreSteps = steps.filter((step) => step.scope !== USER_SCOPE);
    const apply = (engine: Engine, step: MigrationStep) => engine.applyMigration(step.scope, step.version, Date.now());
    if (coreSteps.length > 0) {
      core.call((engine) => this.ctx.storage.transactionSync(() => coreSteps.forEach((step) => apply(engine, step))));
    }
    for (const step of steps) {
      if (step.scope === USER_SCOPE) core.call((engine) => this.ctx.storage.transactionSync(() => apply(engine, step)));
    }
    core.schema.woke(present, ledger || steps.length > 0);
  }
}

function normalizeMigration(entry: MigrationEntry, index: number): { name: string | undefined; sql: string } {
  if (typeof entry === "string") return { name: undefined, sql: entry };
  if (entry !== null && typeof entry === "object" && typeof entry.sql === "string") {
    return { name: typeof entry.name === "string" ? entry.name : undefined, sql: entry.sql };
  }
  throw new DurableCoreError(
    "MIGRATION_INVALID",
    `static migrations[${index}] must be SQL text or { name?, sql }, got ${typeof entry}`,
  );
}
