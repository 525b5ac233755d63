/**
 * The one wasm instance of the isolate and its pool of per-object handles. Each object reaches
 * its handle through its {@link CoreContext} (core-context.ts); this file owns what the objects
 * of an isolate share.
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
 * poisons the instance for every object. {@link translate} (through `CoreContext.call`)
 * catches it, instantiates a fresh instance from the same module, forgets every handle, and
 * throws `ENGINE_RESET` for the failing call; the next call gets a new handle rebuilt from
 * SQLite.
 */
import type { CoreContext } from "./core-context.js";
import { DurableCoreError, fromCoreError } from "./errors.js";
import { Engine, __wbg_reset_state, initSync, memoryBytes, readCacheBytes, setZoneLookup } from "./wasm/durable_core.js";
import { zoneOffsetSeconds } from "./zones.js";

/** Heap bytes the handles of one isolate may hold together, unless {@link setEngineBudget} says otherwise. */
export const DEFAULT_BUDGET_BYTES = 32 * 1024 * 1024;
/** Handles alive at once per isolate, whatever their bytes. */
export const MAX_LIVE_ENGINES = 1024;
/** A handle unused this long is freed (an object hibernates after about 10 s idle). */
export const QUIET_MS = 30_000;
/** Subscriptions and connections between two measurements of a growing handle. */
const GROWTH_STEPS_PER_MEASURE = 256;

/** Instantiates the core from its compiled module. Called once by the package entry. */
export function installEngine(module: WebAssembly.Module): void {
  if (installed) return;
  initSync({ module });
  setZoneLookup(zoneOffsetSeconds);
  installed = true;
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

/** Throws `ENGINE_MISSING` until {@link installEngine} ran. */
export function requireInstalled(): void {
  if (!installed) {
    throw new DurableCoreError(
      "ENGINE_MISSING",
      "durable-core's wasm engine is not loaded: import from 'durable-core' (its workerd entry loads it), not from a file inside the package",
    );
  }
}

/**
 * One object's claim on a handle: what a {@link CoreContext} holds. Its handle is only ever
 * created by {@link EngineSlot.open}, so the pool always knows it.
 */
export class EngineSlot {
  #engine: Engine | null = null;
  #generation = -1;
  /** Heap bytes of the handle when last measured. */
  bytes = 0;
  /** `Date.now()` when the isolate last switched away from (or created) this handle. */
  lastUsedAt = 0;
  /** Growth steps since the last measurement. */
  #growth = 0;

  /** A slot with no handle yet: its first {@link engine} call finds none. */
  constructor(readonly id: string) {}

  /**
   * Frees the handle of object `id` if it has one, and gives it a new one over `sql`, seeded
   * with fresh randomness. The caller registers whatever each new handle needs.
   */
  static open(id: string, sql: SqlStorage): EngineSlot {
    slotsById.get(id)?.release();
    const slot = new EngineSlot(id);
    slot.#engine = new Engine(sql, hashSeed());
    slot.#generation = generation;
    slot.lastUsedAt = Date.now();
    switchTo(slot);
    return slot;
  }

  /** The handle, or null once it was freed or its instance reset. */
  get engine(): Engine | null {
    const engine = this.#engine;
    if (engine === null || this.#generation !== generation) return null;
    // The only bookkeeping of a call: one comparison while the isolate stays on this object.
    if (this !== current) switchTo(this);
    return engine;
  }

  get live(): boolean {
    return this.#engine !== null && this.#generation === generation;
  }

  /** Frees the handle and drops it from the pool. */
  release(): void {
    if (slotsById.get(this.id) === this) {
      slotsById.delete(this.id);
      totalBytes -= this.bytes;
    }
    if (current === this) current = null;
    if (this.live) this.#engine!.free();
    this.forget();
  }

  /** Lets go of a handle that belongs to a dead instance (nothing to free). */
  forget(): void {
    this.#engine = null;
    this.bytes = 0;
  }

  /** Re-reads the handle's heap bytes (one O(1) core call). */
  measure(): void {
    if (!this.live) return;
    const bytes = this.#engine!.heapBytes();
    if (slotsById.get(this.id) === this) totalBytes += bytes - this.bytes;
    this.bytes = bytes;
    this.#growth = 0;
  }

  /** After bulk growth: measure now, and free other handles if the pool went over its budget. */
  grew(): void {
    if (!this.live) return;
    this.measure();
    enforceBudget(this);
  }

  /** After a small growth (a subscription, a connection): measure every so many of them. */
  grewALittle(): void {
    if (++this.#growth >= GROWTH_STEPS_PER_MEASURE) this.grew();
  }
}

// ---- internals: the pool ----

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
