/**
 * Index builds: a new or changed index of `static indexes` is filled from the entries already
 * stored, one chunk of `BUILD_CHUNK_ENTRIES` (500, src/store/mod.rs) at a time. The user's key
 * functions run between two engine calls, never inside one; the rows are the core's.
 */
import { type CoreContext } from "./core-context.js";
import { errorText } from "./kernel/error-text.js";
import { HandleWatch } from "./kernel/handle-watch.js";
import { KEY_FUNCTION_ERROR } from "./store-index.js";
import type { SyncKv } from "./store-kv.js";
import { guardKey } from "./store-keys.js";
import type { IndexDefinitions, Key } from "./store-types.js";
import type { Engine } from "./wasm/durable_core.js";

/**
 * Index build chunks one wake runs inside `blockConcurrencyWhile` before the object serves
 * events; the rest runs one chunk per macrotask afterwards. Counted in chunks, not milliseconds:
 * in production `Date.now()` does not advance during synchronous code, so a time budget would
 * never run out. 4 chunks (2,000 entries) keep a wake to a few milliseconds
 * (docs/reports/facade-figures.md) and have the indexes of a store of up to 2,000 entries ready
 * when the wake ends.
 */
const WAKE_BUILD_CHUNKS = 4;

/** What a build needs of its store. */
export interface BuildHost {
  readonly core: CoreContext;
  readonly definitions: IndexDefinitions;
  /** Whether any index is declared (without one, there is no failure to report). */
  readonly indexed: boolean;
  /** Runs `op` on the object's handle with the store opened. */
  call<T>(op: (engine: Engine) => T): T;
  kv(): SyncKv;
  /** Called before a chunk writes index rows (no lookup is cached for the rest of the turn). */
  indexWrite(): void;
  /** Called after a build failed an index: the list of maintained indexes changed. */
  maintainedChanged(engine: Engine): void;
}

/** Why a chunk stopped at an entry: a key function threw, or gave a key too large to cross. */
interface Stopped {
  kvKey: string;
  error: unknown;
  code: "INDEX_KEY_FUNCTION" | "KEY_TOO_LARGE";
}

/** Builds the declared indexes of one store. */
export class IndexBuilder {
  readonly #host: BuildHost;
  #building: Promise<void> | null = null;

  constructor(host: BuildHost) {
    this.#host = host;
  }

  /** Every pending build, run to the end (see `Store.ready`). */
  ready(): Promise<void> {
    return (this.#building ??= this.#buildAll().finally(() => {
      this.#building = null;
    }));
  }

  /** The wake's share (see `Store.wake`): at most {@link WAKE_BUILD_CHUNKS} chunks, the rest in the background. */
  wake(): void {
    try {
      for (let chunk = 0; chunk < WAKE_BUILD_CHUNKS; chunk++) {
        if (!this.#buildChunk()) return;
      }
    } catch (error) {
      console.error("durable-core: building store indexes during the wake failed; retrying in the background:", error);
    }
    setTimeout(() => {
      this.ready().catch((error: unknown) => {
        console.error("durable-core: a store index is not usable; its queries and `this.store.ready()` throw:", error);
      });
    }, 0);
  }

  async #buildAll(): Promise<void> {
    while (this.#buildChunk()) {
      // Let other events in between chunks: a long build never holds the object.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (this.#host.indexed) this.#host.call((engine) => engine.storeFailure());
  }

  /**
   * Builds one chunk; false when nothing is left to build. A key function that throws fails its
   * index with the reason (queries then throw `INDEX_UNIQUE` saying so) instead of failing the
   * build forever.
   */
  #buildChunk(): boolean {
    const host = this.#host;
    const step = host.call((engine) => engine.storeBuildStep());
    if (step === undefined) return false;
    const handle = new HandleWatch(host.core, true);
    const keyOf = host.definitions[step.index]!.key;
    const kvKeys: string[] = [];
    const keys: (Key | undefined)[] = [];
    let stopped: Stopped | undefined;
    if (step.options !== undefined) {
      for (const [kvKey, value] of host.kv().list(step.options)) {
        kvKeys.push(kvKey);
        let indexKey: Key | undefined;
        try {
          indexKey = keyOf(value);
        } catch (error) {
          stopped = { kvKey, error, code: "INDEX_KEY_FUNCTION" };
          break;
        }
        try {
          if (indexKey !== undefined) guardKey(indexKey, "the key its key function gave");
        } catch (error) {
          stopped = { kvKey, error, code: "KEY_TOO_LARGE" };
          break;
        }
        keys.push(indexKey);
      }
    }
    // A key function that trapped the engine leaves the step stale: plan it again.
    if (handle.isNew) return true;
    const complete = kvKeys.length < step.limit;
    host.indexWrite();
    host.call((engine) => {
      const failure = host.core.ctx.storage.transactionSync(() =>
        stopped === undefined
          ? engine.storeBuildChunk(step.index, kvKeys, keys, complete)
          : engine.storeBuildFail(step.index, stopped.kvKey, errorText(stopped.error, KEY_FUNCTION_ERROR), stopped.code),
      );
      if (failure !== undefined) {
        host.maintainedChanged(engine);
        console.error(`durable-core: index \`${step.index}\` could not be built: ${failure}`);
      }
    });
    return true;
  }
}
