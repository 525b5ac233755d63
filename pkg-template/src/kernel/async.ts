/**
 * The one promise check and the one async-function check of the facade. `this.sql.transaction`
 * and `this.store.batch` use both; index key functions use `isThenable`.
 */

/**
 * Whether `fn` is an `async` function. A transaction refuses one before it runs: whatever it
 * does after its first `await` would escape the transaction and commit on its own, so refusing
 * it only after it returned a promise would be too late.
 */
export function isAsyncFunction(fn: unknown): boolean {
  const name = (fn as { constructor?: { name?: unknown } } | null)?.constructor?.name;
  return name === "AsyncFunction" || name === "AsyncGeneratorFunction";
}

/** Whether `value` is a promise or any other thenable (what `await` would wait for). */
export function isThenable(value: unknown): boolean {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
