/**
 * `CoreContext`: what a capability needs of its object — the platform context and a way to
 * call the core that survives traps, lost handles and a storage wiped behind durable-core's
 * back. The handle itself lives in the isolate's pool (engine-pool.ts), which may free it
 * between any two calls; the context then makes a new one on the next call.
 */
import { EngineSlot, requireInstalled, translate } from "./engine-pool.js";
import { DurableCoreError } from "./errors.js";
import { LEDGER_TABLE } from "./generated/core.js";
import { ObjectSchema } from "./schema.js";
import type { Engine } from "./wasm/durable_core.js";

/**
 * What a capability needs of its object: the platform context and a way to call the core that
 * survives traps and lost handles. A capability with tables of its own gets a view of its
 * object's context ({@link CoreContext.forScope}) that creates them before its first call.
 */
export class CoreContext {
  readonly ctx: DurableObjectState;
  readonly #link: ObjectLink;
  /** The ledger scope whose tables every call of this view needs, if any. */
  readonly #scope: string | undefined;

  /** @internal `DurableCore` makes the object's context; capabilities get views of it ({@link forScope}). */
  constructor(ctx: DurableObjectState, of?: CoreContext, scope?: string) {
    requireInstalled();
    this.ctx = ctx;
    this.#link = of === undefined ? new ObjectLink(ctx, ctx.id.toString()) : of.#link;
    this.#scope = scope;
  }

  /**
   * A view of this object's context for a capability whose tables are `scope`'s
   * (`core:scheduler`): its first call creates them, inside a transaction of its own nested in
   * whatever transaction the call is in (see {@link ObjectSchema} for a rollback of that one).
   */
  forScope(scope: string): CoreContext {
    return new CoreContext(this.ctx, this, scope);
  }

  /** Bumped whenever this object gets a new handle: JS caches tied to the old one must rebuild. */
  get epoch(): number {
    return this.#link.epoch;
  }

  /** What the object's storage holds of durable-core's own tables. */
  get schema(): ObjectSchema {
    return this.#link.schema;
  }

  /** Registers work to redo on every new handle (e.g. seeding a cache the core cannot read). */
  onNewEngine(init: (engine: Engine) => void): void {
    this.#link.onNewEngine.push(init);
  }

  /**
   * Registers the recovery from a storage wiped behind durable-core's back (a raw
   * `ctx.storage.deleteAll()`). It runs in a microtask after the call that found out, so never
   * inside the transaction that call may have been part of.
   */
  onStorageWiped(recover: () => void): void {
    this.#link.onStorageWiped = recover;
  }

  /** This object's handle, created (or recreated after a reset or eviction) on demand. */
  engine(): Engine {
    return this.#link.slot.engine ?? this.#createEngine();
  }

  /**
   * After work that grew the handle in bulk (an index rebuild): measure it now and free other
   * handles if the pool went over its budget.
   */
  grew(): void {
    this.#link.slot.grew();
  }

  /** After a small growth (a subscription, a connection): measure every so many of them. */
  grewALittle(): void {
    this.#link.slot.grewALittle();
  }

  /** Frees this object's handle: the next call starts a fresh one (new epoch, caches rebuilt). */
  dropHandle(): void {
    this.#link.slot.release();
  }

  /**
   * Runs `op` against this object's handle, after creating this view's tables if they are not
   * there yet. Coded core errors become `DurableCoreError`; a trap resets the engine and becomes
   * `ENGINE_RESET` (the next call works again); a missing `_dc_*` table after a raw
   * `ctx.storage.deleteAll()` becomes `STORAGE_RESET`.
   */
  call<T>(op: (engine: Engine) => T): T {
    try {
      return this.#run(op);
    } catch (error) {
      const translated = translate(error);
      const reset = this.storageReset(translated);
      if (reset !== undefined) throw reset;
      // This view's tables went missing without a wipe: the transaction that created them
      // rolled back earlier in this turn. Create them again and run `op` once more: its first
      // statement on them is what failed, so it wrote nothing of its own.
      if (this.#scope !== undefined && isMissingTable(translated) && this.#link.schema.forget(this.#scope)) {
        return this.#callOnce(op);
      }
      throw translated;
    }
  }

  /** Makes sure this view's tables exist (a capability about to be used: `this.scheduler`). */
  prepare(): void {
    if (this.#scope !== undefined && !this.#link.schema.has(this.#scope)) this.call(() => undefined);
  }

  /**
   * `STORAGE_RESET` when `error` is SQLite missing a table because the object's storage was
   * wiped (durable-core's ledger, known to have been committed, is gone); the object then
   * recovers (see {@link onStorageWiped}) and the call that failed may be retried. Undefined
   * for any other error. Only runs on the error path.
   */
  storageReset(error: unknown): DurableCoreError | undefined {
    if (!isMissingTable(error)) return undefined;
    const link = this.#link;
    if (!link.wipeNoticed) {
      if (!link.schema.ledgerDurable || this.#ledgerPresent()) return undefined;
      link.wipeNoticed = true;
      this.dropHandle();
      queueMicrotask(() => {
        link.wipeNoticed = false;
        link.onStorageWiped?.();
      });
    }
    return new DurableCoreError(
      "STORAGE_RESET",
      "the object's storage was deleted behind durable-core's back (a raw ctx.storage.deleteAll()): its tables are gone, so this call did not complete. The object re-creates its schema and carries on as new; retry the call. To reset an object, use `await this.deleteAll()`, which also clears the alarm and every in-memory cache.",
      { cause: error },
    );
  }

  // ---- internals ----

  #createEngine(): Engine {
    const link = this.#link;
    const slot = EngineSlot.open(link.id, this.ctx.storage.sql);
    link.slot = slot;
    link.epoch += 1;
    const engine = slot.engine!;
    for (const init of link.onNewEngine) init(engine);
    slot.measure();
    return engine;
  }

  #callOnce<T>(op: (engine: Engine) => T): T {
    try {
      return this.#run(op);
    } catch (error) {
      const translated = translate(error);
      throw this.storageReset(translated) ?? translated;
    }
  }

  #run<T>(op: (engine: Engine) => T): T {
    // Inside the caller's try: creating a handle (and the onNewEngine work) can trap as well.
    const engine = this.engine();
    const scope = this.#scope;
    if (scope !== undefined && !this.#link.schema.has(scope)) {
      this.ctx.storage.transactionSync(() => engine.ensureCoreScope(scope, Date.now()));
      this.#link.schema.created(scope);
    }
    return op(engine);
  }

  #ledgerPresent(): boolean {
    try {
      return this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", LEDGER_TABLE).toArray().length > 0;
    } catch {
      return true; // cannot tell: report the original error
    }
  }
}

/** What every {@link CoreContext} of one object shares: its handle slot and what it knows of its storage. */
class ObjectLink {
  slot: EngineSlot;
  /** Bumped whenever this object gets a new handle: JS caches tied to the old one must rebuild. */
  epoch = 0;
  readonly onNewEngine: Array<(engine: Engine) => void> = [];
  onStorageWiped: (() => void) | undefined;
  /** True from the detection of a wiped storage until its recovery ran. */
  wipeNoticed = false;
  readonly schema: ObjectSchema;

  constructor(
    readonly ctx: DurableObjectState,
    readonly id: string,
  ) {
    this.slot = new EngineSlot(id);
    this.schema = new ObjectSchema(ctx.storage);
  }
}

function isMissingTable(error: unknown): error is Error {
  return error instanceof Error && error.message.includes("no such table");
}
