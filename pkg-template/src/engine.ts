/**
 * The one wasm instance of the isolate and the per-object handles into it.
 *
 * Handle lifetime (DESIGN rule 4): Workers run without FinalizationRegistry by default, so no
 * handle is ever left to the garbage collector. Instead:
 * - each object owns one slot, keyed by its id; a new instance of the same object (after an
 *   eviction) frees its predecessor's handle at once;
 * - at most {@link MAX_LIVE_ENGINES} handles are alive per isolate; creating one more frees
 *   the least recently used, whose owner lazily recreates it on its next call;
 * - a handle only caches what SQLite (and the sockets' attachments) hold, so losing one costs a
 *   rebuild, never data.
 * Wasm memory therefore stays bounded however many objects come and go (tested in
 * ts-tests/foundation.test.ts).
 *
 * Trap recovery (DESIGN rule 5): a panic in the core traps (`WebAssembly.RuntimeError`) and
 * poisons the instance for every object. {@link CoreContext.call} catches it, instantiates a
 * fresh instance from the same module, forgets every handle, and throws `ENGINE_RESET` for the
 * failing call; the next call gets a new handle rebuilt from SQLite.
 */
import { DurableCoreError, fromCoreError } from "./errors.js";
import { Engine, __wbg_reset_state, initSync, memoryBytes } from "./wasm/durable_core.js";

/** Handles alive at once per isolate; each is small, and its caches are bounded separately. */
export const MAX_LIVE_ENGINES = 256;

let installed = false;
/** Bumped by every reset: handles of an older generation belong to a dead instance. */
let generation = 0;
const slotsById = new Map<string, EngineSlot>();

/** Instantiates the core from its compiled module. Called once by the package entry. */
export function installEngine(module: WebAssembly.Module): void {
  if (installed) return;
  initSync({ module });
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
  generation += 1;
  for (const slot of slotsById.values()) slot.forget();
  slotsById.clear();
}

/** A counter that orders handle uses, for least-recently-used eviction. */
let useClock = 0;

/** One object's claim on a handle. */
class EngineSlot {
  engine: Engine | null = null;
  generation = -1;
  lastUse = 0;

  free(): void {
    if (this.engine !== null && this.generation === generation) this.engine.free();
    this.forget();
  }

  forget(): void {
    this.engine = null;
  }
}

/**
 * Frees the least recently used handle. A scan of at most MAX_LIVE_ENGINES slots, paid only
 * when the pool is full, keeps every call's bookkeeping to one counter increment.
 */
function evictLeastRecentlyUsed(): void {
  let victim: [string, EngineSlot] | undefined;
  for (const entry of slotsById) {
    if (victim === undefined || entry[1].lastUse < victim[1].lastUse) victim = entry;
  }
  if (victim === undefined) return;
  victim[1].free();
  slotsById.delete(victim[0]);
}

/** Wasm memory and live handles, for tests and diagnostics. */
export function engineStats(): { memoryBytes: number; liveEngines: number; generation: number } {
  requireInstalled();
  return { memoryBytes: memoryBytes(), liveEngines: Engine.liveCount(), generation };
}

/**
 * What a capability needs of its object: the platform context and a way to call the core that
 * survives traps and lost handles.
 */
export class CoreContext {
  readonly ctx: DurableObjectState;
  readonly #id: string;
  #slot: EngineSlot;
  /** Bumped whenever this object gets a new handle: JS caches tied to the old one must rebuild. */
  epoch = 0;
  readonly #onNewEngine: Array<(engine: Engine) => void> = [];

  constructor(ctx: DurableObjectState) {
    requireInstalled();
    this.ctx = ctx;
    this.#id = ctx.id.toString();
    this.#slot = new EngineSlot();
  }

  /** Registers work to redo on every new handle (e.g. seeding a cache the core cannot read). */
  onNewEngine(init: (engine: Engine) => void): void {
    this.#onNewEngine.push(init);
  }

  /** This object's handle, created (or recreated after a reset or eviction) on demand. */
  engine(): Engine {
    const slot = this.#slot;
    slot.lastUse = ++useClock;
    if (slot.engine !== null && slot.generation === generation) return slot.engine;
    return this.#createEngine();
  }

  #createEngine(): Engine {
    const previous = slotsById.get(this.#id);
    if (previous !== undefined) {
      previous.free();
      slotsById.delete(this.#id);
    }
    if (slotsById.size >= MAX_LIVE_ENGINES) evictLeastRecentlyUsed();
    const slot = new EngineSlot();
    slot.engine = new Engine(this.ctx.storage.sql);
    slot.generation = generation;
    slot.lastUse = ++useClock;
    slotsById.set(this.#id, slot);
    this.#slot = slot;
    this.epoch += 1;
    for (const init of this.#onNewEngine) init(slot.engine);
    return slot.engine;
  }

  /**
   * Runs `op` against this object's handle. Coded core errors become `DurableCoreError`; a
   * trap resets the engine and becomes `ENGINE_RESET` (the next call works again).
   */
  call<T>(op: (engine: Engine) => T): T {
    try {
      // Inside the try: creating a handle (and the onNewEngine work) can trap as well.
      return op(this.engine());
    } catch (error) {
      throw translate(error);
    }
  }
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
