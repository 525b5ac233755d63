/**
 * The one wasm instance of the isolate and the per-object handles into it.
 *
 * Handle lifetime (DESIGN rule 4): Workers run without FinalizationRegistry by default, so no
 * handle is ever left to the garbage collector. Instead:
 * - each object owns one slot, keyed by its id; a new instance of the same object (after an
 *   eviction or a hibernation) frees its predecessor's handle at once;
 * - the handles of the isolate share a byte budget ({@link setEngineBudget}, default
 *   {@link DEFAULT_BUDGET_BYTES}): when their heap bytes exceed it, the least recently used
 *   handles are freed until they fit, and their owners lazily recreate them on their next call;
 * - a handle unused for {@link QUIET_MS} is freed as well: its object has most likely
 *   hibernated, and a woken object always starts a new handle, so the old one would only hold
 *   memory;
 * - {@link MAX_LIVE_ENGINES} bounds the count, for what the byte estimate cannot see;
 * - a handle only caches what SQLite (and the sockets' attachments) hold, so losing one costs a
 *   rebuild, never data.
 *
 * Accounting stays off the hot path: a handle's bytes are measured (one O(1) core call) when
 * the isolate switches to another object, after bulk growth (an index rebuild) and every so
 * many subscriptions, never on each call. The budget is enforced at the same moments; the
 * handle in use is never freed, so one object larger than the budget keeps its handle alone.
 *
 * Trap recovery (DESIGN rule 5): a panic in the core traps (`WebAssembly.RuntimeError`) and
 * poisons the instance for every object. {@link CoreContext.call} catches it, instantiates a
 * fresh instance from the same module, forgets every handle, and throws `ENGINE_RESET` for the
 * failing call; the next call gets a new handle rebuilt from SQLite.
 */
import { DurableCoreError, fromCoreError } from "./errors.js";
import { Engine, __wbg_reset_state, initSync, memoryBytes, readCacheBytes, setZoneLookup } from "./wasm/durable_core.js";
import { LEDGER_TABLE } from "./generated/core.js";
import { ObjectSchema } from "./schema.js";
import { zoneOffsetSeconds } from "./zones.js";

/** Heap bytes the handles of one isolate may hold together, unless {@link setEngineBudget} says otherwise. */
export const DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024;
/** Handles alive at once per isolate, whatever their bytes. */
export const MAX_LIVE_ENGINES = 1024;
/** A handle unused this long is freed (an object hibernates after about 10 s idle). */
export const QUIET_MS = 30_000;
/** Subscriptions and connections between two measurements of a growing handle. */
const GROWTH_STEPS_PER_MEASURE = 256;

let installed = false;
/** Bumped by every reset: handles of an older generation belong to a dead instance. */
let generation = 0;
let budgetBytes = DEFAULT_BUDGET_BYTES;
/**
 * Every live slot, least recently used first: a slot moves to the end when the isolate
 * switches to its object, so the first entries are always the ones to free.
 */
const slotsById = new Map<string, EngineSlot>();
/** The slot of the object that made the last call. */
let current: EngineSlot | null = null;
/** Σ `bytes` of the slots in {@link slotsById}. */
let totalBytes = 0;

/** Instantiates the core from its compiled module. Called once by the package entry. */
export function installEngine(module: WebAssembly.Module): void {
  if (installed) return;
  initSync({ module });
  setZoneLookup(zoneOffsetSeconds);
  installed = true;
}

function requireInstalled(): void {
  if (!installed) {
    throw new DurableCoreError(
      "ENGINE_MISSING",
      "durable-core's wasm engine is not loaded: import from 'durable-core' (its workerd entry loads it), not from a file inside the package",
    );
  }
}

/** Replaces a trapped instance with a fresh one; every existing handle becomes stale. */
function resetEngine(): void {
  __wbg_reset_state();
  // A fresh instance starts without the lookup the old one held.
  setZoneLookup(zoneOffsetSeconds);
  generation += 1;
  for (const slot of slotsById.values()) slot.forget();
  slotsById.clear();
  current = null;
  totalBytes = 0;
}

/** 128 random bits for a handle's hash tables (the core has no randomness of its own). */
function hashSeed(): Uint32Array {
  return crypto.getRandomValues(new Uint32Array(4));
}

/** One object's claim on a handle. */
class EngineSlot {
  engine: Engine | null = null;
  generation = -1;
  /** Heap bytes of the handle when last measured. */
  bytes = 0;
  /** `Date.now()` when the isolate last switched away from (or created) this handle. */
  lastUsedAt = 0;
  /** Growth steps since the last measurement. */
  growth = 0;

  constructor(readonly id: string) {}

  get live(): boolean {
    return this.engine !== null && this.generation === generation;
  }

  /** Frees the handle and drops it from the pool. */
  release(): void {
    if (slotsById.get(this.id) === this) {
      slotsById.delete(this.id);
      totalBytes -= this.bytes;
    }
    if (current === this) current = null;
    if (this.live) this.engine!.free();
    this.forget();
  }

  forget(): void {
    this.engine = null;
    this.bytes = 0;
  }

  /** Re-reads the handle's heap bytes (one O(1) core call). */
  measure(): void {
    if (!this.live) return;
    const bytes = this.engine!.heapBytes();
    if (slotsById.get(this.id) === this) totalBytes += bytes - this.bytes;
    this.bytes = bytes;
    this.growth = 0;
  }
}

/**
 * Frees least recently used handles (never `keep`) while the pool is over its byte budget or
 * its count, and any handle quiet for longer than {@link QUIET_MS}. Slots are in LRU order, so
 * the loop stops at the first one that may stay.
 */
function enforceBudget(keep: EngineSlot): void {
  const now = Date.now();
  for (const slot of slotsById.values()) {
    if (slot === keep) continue;
    const over = totalBytes > budgetBytes || slotsById.size > MAX_LIVE_ENGINES;
    if (!over && now - slot.lastUsedAt <= QUIET_MS) return;
    slot.release();
  }
}

/** The isolate turns to `slot`'s object: measure the one it leaves, order the pool, enforce. */
function switchTo(slot: EngineSlot): void {
  const previous = current;
  current = slot;
  if (previous !== null && previous.live) {
    previous.lastUsedAt = Date.now();
    previous.measure();
  }
  slotsById.delete(slot.id);
  slotsById.set(slot.id, slot);
  enforceBudget(slot);
}

/**
 * Sets the byte budget of the isolate's handles (topic indexes, statement caches, migrations
 * in flight). The store's read cache has its own 8 MiB bound on top.
 *
 * @example
 * setEngineBudget(64 * 1024 * 1024); // at module scope, for rooms of tens of thousands of sockets
 */
export function setEngineBudget(bytes: number): void {
  if (!Number.isInteger(bytes) || bytes < 1024 * 1024) {
    throw new DurableCoreError("ARGUMENT", `setEngineBudget(bytes): a whole number of bytes >= 1 MiB, got ${String(bytes)}`);
  }
  budgetBytes = bytes;
  if (current !== null) enforceBudget(current);
}

/** One live handle in {@link engineStats}. */
export interface EngineHandleStats {
  /** The object's id (`ctx.id.toString()`). */
  readonly id: string;
  /** Estimated heap bytes of its handle (topic index, statement cache, migrations in flight). */
  readonly bytes: number;
}

/** Wasm memory and the handle pool, for tests and diagnostics. */
export interface EngineStats {
  /** Linear memory of the wasm instance; it only grows, so the peak of everything below. */
  readonly memoryBytes: number;
  readonly liveEngines: number;
  /** Bumped by every trap recovery. */
  readonly generation: number;
  /** The byte budget of the handles ({@link setEngineBudget}). */
  readonly budgetBytes: number;
  /** Σ of `handles[].bytes`. */
  readonly handleBytes: number;
  /** Bytes held by the isolate-wide index-lookup cache of `this.store` (bounded at 8 MiB). */
  readonly readCacheBytes: number;
  /** Every live handle, most recently used first, measured now. */
  readonly handles: readonly EngineHandleStats[];
}

/**
 * Wasm memory and live handles, for tests and diagnostics. Measures every handle and applies the
 * budget to what it finds: not for hot paths.
 */
export function engineStats(): EngineStats {
  requireInstalled();
  for (const slot of slotsById.values()) slot.measure();
  if (current !== null) enforceBudget(current);
  const handles: EngineHandleStats[] = [];
  for (const slot of slotsById.values()) handles.push({ id: slot.id, bytes: slot.bytes });
  handles.reverse();
  return {
    memoryBytes: memoryBytes(),
    liveEngines: Engine.liveCount(),
    generation,
    budgetBytes,
    handleBytes: totalBytes,
    readCacheBytes: readCacheBytes(),
    handles,
  };
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
    const slot = this.#link.slot;
    if (slot.engine !== null && slot.generation === generation) {
      // The only bookkeeping of a call: one comparison while the isolate stays on this object.
      if (slot !== current) switchTo(slot);
      return slot.engine;
    }
    return this.#createEngine();
  }

  #createEngine(): Engine {
    const link = this.#link;
    slotsById.get(link.id)?.release();
    const slot = new EngineSlot(link.id);
    slot.engine = new Engine(this.ctx.storage.sql, hashSeed());
    slot.generation = generation;
    slot.lastUsedAt = Date.now();
    link.slot = slot;
    switchTo(slot);
    link.epoch += 1;
    for (const init of link.onNewEngine) init(slot.engine);
    slot.measure();
    return slot.engine;
  }

  /**
   * After work that grew the handle in bulk (an index rebuild): measure it now and free other
   * handles if the pool went over its budget.
   */
  grew(): void {
    const slot = this.#link.slot;
    if (!slot.live) return;
    slot.measure();
    enforceBudget(slot);
  }

  /** After a small growth (a subscription, a connection): measure every so many of them. */
  grewALittle(): void {
    if (++this.#link.slot.growth >= GROWTH_STEPS_PER_MEASURE) this.grew();
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

  #ledgerPresent(): boolean {
    try {
      return this.ctx.storage.sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", LEDGER_TABLE).toArray().length > 0;
    } catch {
      return true; // cannot tell: report the original error
    }
  }
}

function isMissingTable(error: unknown): error is Error {
  return error instanceof Error && error.message.includes("no such table");
}

/** Maps what a wasm call threw to what the user sees, resetting the engine after a trap. */
export function translate(error: unknown): unknown {
  if (error instanceof WebAssembly.RuntimeError) {
    resetEngine();
    return new DurableCoreError(
      "ENGINE_RESET",
      `durable-core's engine trapped and was restarted; the operation did not complete and may be retried (${error.message})`,
      { cause: error },
    );
  }
  return fromCoreError(error);
}
