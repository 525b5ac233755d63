/**
 * Whether `fn` is an `async` function. `this.sql.transaction` and `this.store.batch` refuse one
 * before it runs: whatever it does after its first `await` would escape the transaction and
 * commit on its own, so refusing it only after it returned a promise would be too late.
 */
export function isAsyncFunction(fn: unknown): boolean {
  const name = (fn as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return name === "AsyncFunction" || name === "AsyncGeneratorFunction";
}
