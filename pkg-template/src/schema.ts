/**
 * Which of durable-core's own table sets exist in the object's SQLite, as far as this instance
 * may believe it. Each set is a ledger scope (`core:store`, `core:scheduler`; src/schema.rs).
 *
 * A fresh object creates nothing at its wake (src/schema.rs): a scope's tables come with the
 * capability's first use ({@link CoreContext.forScope}), and that use may sit inside a
 * transaction (`this.sql.transaction`, a raw `ctx.storage.transactionSync` or
 * `ctx.storage.transaction`) that then rolls back, CREATE TABLE included. So a scope created
 * during a turn is only believed until its transaction is over. A synchronous transaction is
 * over by the turn's first microtask; an async `ctx.storage.transaction` can stay open across
 * many turns, so the schema counts the open ones (it wraps that one method of the object's
 * storage) and waits for the last to settle. {@link ObjectSchema.#confirm} then reads the ledger
 * and forgets what is not in it. A call that meets the missing table before that (later in the
 * same turn) forgets its scope and is retried once, which creates the tables again (see
 * `CoreContext.call`).
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
  /** Async `ctx.storage.transaction` calls not settled yet: no turn inside one ends its transaction. */
  #openTransactions = 0;

  constructor(storage: DurableObjectStorage) {
    this.#storage = storage;
    this.#countAsyncTransactions();
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

  /**
   * Wraps the storage's async `transaction` so that the schema knows when one is open. Without
   * this, a first use inside one would be confirmed at the end of its turn, while still
   * uncommitted, and its rollback later would read as a wiped storage (`STORAGE_RESET`).
   */
  #countAsyncTransactions(): void {
    const storage = this.#storage;
    const transaction = storage.transaction;
    if (typeof transaction !== "function") return;
    storage.transaction = <T>(closure: (txn: DurableObjectTransaction) => Promise<T>): Promise<T> => {
      this.#openTransactions += 1;
      let settled: Promise<T>;
      try {
        settled = transaction.call(storage, closure) as Promise<T>;
      } catch (error) {
        this.#transactionSettled();
        throw error;
      }
      return settled.finally(() => this.#transactionSettled());
    };
  }

  #transactionSettled(): void {
    this.#openTransactions -= 1;
    if (this.#openTransactions === 0 && this.#tentative.size > 0) this.#confirm();
  }

  /** After the turn (and any async transaction) that created scopes: keep those the ledger holds, forget the others. */
  #confirm(): void {
    if (this.#openTransactions > 0) return; // #transactionSettled confirms once the last one is over
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
