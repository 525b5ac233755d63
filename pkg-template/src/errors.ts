/**
 * Every error durable-core throws on purpose. `code` is stable and documented; `message` says
 * what to do about it.
 *
 * @example
 * try { this.sql.one`SELECT * FROM items WHERE id = ${id}`; }
 * catch (e) { if (e instanceof DurableCoreError && e.code === "SQL_NOT_ONE") return null; throw e; }
 */
export class DurableCoreError extends Error {
  /** A stable code such as `SQL_BIND`, `KEY_TYPE`, `CRON_INVALID` or `ENGINE_RESET`. */
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "DurableCoreError";
    this.code = code;
  }
}

/** An error thrown by the wasm core: a JS `Error` whose `code` the core set. */
function isCoded(error: unknown): error is Error & { code: string } {
  return error instanceof Error && typeof (error as { code?: unknown }).code === "string";
}

/**
 * Turns what a core call threw into what the user sees: coded core errors become
 * `DurableCoreError`; anything else (a platform error, a user callback's throw) passes through.
 */
export function fromCoreError(error: unknown): unknown {
  if (error instanceof DurableCoreError) return error;
  if (isCoded(error)) return new DurableCoreError(error.code, error.message);
  return error;
}
