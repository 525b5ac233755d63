/**
 * Which of durable-core's own table sets exist in the object's SQLite, as far as this instance
 * may believe it. Each set is a ledger scope (`core:store`, `core:scheduler`; src/schema.rs).
 *
 * A fresh object creates nothing at its wake (src/schema.rs): a scope's tables come with the
 * capability's first use ({@link CoreContext.forScope}), and that use may sit inside a
 * transaction (`this.sql.transaction`, a raw `ctx.storage.transactionSync`) that then rolls
 * back, CREATE TABLE included. So a scope created during a turn is only believed until the turn
 * ends: every transaction is synchronous, so by the turn's first microtask it has committed or
 * rolled back, and {@link ObjectSchema.#confirm} reads the ledger then and forgets what is not in
 * it. A call that meets the missing table before that (later in the same turn) forgets its scope
 * and is retried once, which creates the tables again (see `CoreContext.call`).
 */
import { LEDGER_TABLE } from "./generated/core.js";
export class ObjectSchema {
  readonly #storage: DurableObjectStorage;
  /** Scopes whose tables exist and are current. */
  readonly #present = new Set<string>();
  /** Scopes created during this turn, to confirm once it ends. */
  readonly #tentative = new Set<string>();
  /**
   * The ledger table is known to be committed: read or written at the wake, or seen after the
   * turn that created it. Only then does a missing ledger mean the storage was wiped (a raw
   * `ctx.storage.deleteAll()`) rather than a first use rolled back.
   */
  #ledgerDurable = false;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
  }

  /** Whether `scope`'s tables are believed to exist. */
  has(scope: string): boolean {
    return this.#present.has(scope);
  }

  get ledgerDurable(): boolean {
    return this.#ledgerDurable;
  }

  /**
   * The wake's view, from its plan: the core scopes that exist (current once the plan's steps
   * ran) and whether the ledger exists now. The wake runs outside any user transaction, inside
   * `blockConcurrencyWhile`, so nothing it saw or wrote can roll back later.
   */
  woke(present: readonly string[], ledger: boolean): void {
    this.reset();
    for (const scope of present) this.#present.add(scope);
    this.#ledgerDurable = ledger;
  }

  /** `scope`'s tables were just created (or found current) in a transaction that may still roll back. */
  created(scope: string): void {
    this.#present.add(scope);
    if (this.#tentative.size === 0) queueMicrotask(() => this.#confirm());
    this.#tentative.add(scope);
  }

  /** Stops believing in `scope`'s tables; true if it did. */
  forget(scope: string): boolean {
    return this.#present.delete(scope);
  }

  /** The storage was deleted: believe in nothing (the next wake's plan says what exists). */
  reset(): void {
    this.#present.clear();
    this.#tentative.clear();
    this.#ledgerDurable = false;
  }

  /** After the turn that created scopes: keep those the ledger holds, forget the others. */
  #confirm(): void {
    const recorded = new Set<string>();
    try {
      for (const row of this.#storage.sql.exec(`SELECT DISTINCT scope FROM ${LEDGER_TABLE}`).raw()) recorded.add(String(row[0]));
      this.#ledgerDurable = true;
    } catch {
      // No ledger: the transaction that created it rolled back (or the storage was deleted).
    }
    for (const scope of this.#tentative) if (!recorded.has(scope)) this.#present.delete(scope);
    this.#tentative.clear();
  }
}
