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

/** The `name` the wasm core gives the errors it throws (src/wasm/interop.rs `coded_error`). */
const CORE_ERROR_NAME = "DurableCoreEngineError";

/**
 * An error thrown by the wasm core. Recognised by its name, not by having a `code`: a user's
 * own coded error thrown from a callback must reach the user unchanged.
 */
function isCoreError(error: unknown): error is Error & { code: string } {
  return (
    error instanceof Error && error.name === CORE_ERROR_NAME && typeof (error as { code?: unknown }).code === "string"
  );
}

/**
 * Turns what a core call threw into what the user sees: core errors become `DurableCoreError`;
 * anything else (a platform error, a user callback's throw) passes through.
 */
export function fromCoreError(error: unknown): unknown {
  if (error instanceof DurableCoreError) return error;
  if (isCoreError(error)) return new DurableCoreError(error.code, error.message);
  return error;
}
