import { DurableObject } from "cloudflare:workers";
import { CoreContext } from "./engine.js";
import { DurableCoreError } from "./errors.js";

/** One entry of `static migrations`: SQL text, or SQL with a name kept in the ledger. */
export type MigrationEntry = string | { readonly name?: string; readonly sql: string };

/** What a subclass may declare as class-level settings. */
export interface DurableCoreStatics {
  readonly migrations?: readonly MigrationEntry[];
}

/**
 * The base class of a durable-core Durable Object.
 *
 * It owns the platform's entry points (`fetch`, and the alarm and WebSocket handlers as the
 * capabilities land); you override small hooks: {@link DurableCore.onStart},
 * {@link DurableCore.onRequest}. Schema setup runs once per wake, in the constructor, inside
 * `blockConcurrencyWhile`: durable-core's own tables first, then your `static migrations`, then
 * `onStart()`.
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

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#core = new CoreContext(ctx);
    void ctx.blockConcurrencyWhile(async () => {
      try {
        this.#migrate();
      } catch (error) {
        // Kept rather than thrown: a throw here would reset the object, and every later
        // call would retry the failing migration. The object refuses calls until fixed.
        this.#fatal =
          error instanceof DurableCoreError
            ? error
            : new DurableCoreError("MIGRATION_FAILED", String(error), { cause: error });
        return;
      }
      await this.onStart?.();
    });
  }

  /**
   * Runs once per wake, after migrations, before any request, RPC call, alarm or WebSocket
   * event reaches the object. A good place to register recurring tasks or warm caches.
   */
  onStart?(): void | Promise<void>;

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
    return this.onRequest(request);
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

  #migrate(): void {
    const statics = this.constructor as DurableCoreStatics;
    const user = (statics.migrations ?? []).map((entry, index) => normalizeMigration(entry, index));
    const core = this.#core;
    const plan = core.call((engine) => engine.planMigrations(user));
    for (const step of plan.steps) {
      core.call((engine) =>
        this.ctx.storage.transactionSync(() => engine.applyMigration(step.scope, step.version, Date.now())),
      );
    }
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
