/**
 * The one way a capability notices that its object got a new engine handle (a wake, an evicted
 * handle, a reset after a trap). Whatever a capability keeps in the handle (the store's opened
 * indexes, the socket index, a claimed batch of tasks) is gone with the old one and must be
 * rebuilt or given up.
 */
import type { CoreContext } from "../core-context.js";

export class HandleWatch {
  readonly #core: CoreContext;
  #seen: number;

  /** Watches `core`'s handle; `current` says whether the handle of now counts as already seen. */
  constructor(core: CoreContext, current = false) {
    this.#core = core;
    this.#seen = current ? core.epoch : -1;
  }

  /** True while the handle is not the one {@link seen} was last called on. */
  get isNew(): boolean {
    return this.#seen !== this.#core.epoch;
  }

  /** Marks the handle of now as seen (call it once the rebuild on it has succeeded). */
  seen(): void {
    this.#seen = this.#core.epoch;
  }
}
