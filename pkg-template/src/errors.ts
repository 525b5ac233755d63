import { CORE_ERROR_NAME } from "./generated/core.js";

/**
 * Every code a `DurableCoreError` can carry, the facade's and the Rust core's alike, in the order
 * of the README's Errors table. One list: `tests/error_codes.rs` checks it against the codes the
 * core emits, the codes the facade throws and the README, so a new code goes here, in its table
 * row, and nowhere else.
 */
export const ERROR_CODES = [
  "MIGRATION_CHANGED",
  "MIGRATION_MISSING",
  "MIGRATION_FAILED",
  "MIGRATION_INVALID",
  "ENGINE_RESET",
  "ENGINE_MISSING",
  "STORAGE",
  "STORAGE_RESET",
  "ARGUMENT",
  "SQL_BIND",
  "SQL_TEMPLATE",
  "SQL_IDENTIFIER",
  "SQL_FORBIDDEN",
  "SQL_NOT_ONE",
  "SQL_ERROR",
  "TRANSACTION_ASYNC",
  "TASK_METHOD",
  "TASK_PAYLOAD",
  "TASK_SCHEDULE",
  "CRON_INVALID",
  "CRON_TIMEZONE",
  "KEY_TYPE",
  "KEY_TOO_LARGE",
  "KEY_MALFORMED",
  "STORE_VALUE",
  "STORE_VALUE_TOO_LARGE",
  "INDEX_UNIQUE",
  "INDEX_KEY_FUNCTION",
  "INDEX_DEFINITION",
  "INDEX_UNKNOWN",
  "INDEX_BUILDING",
  "TOPIC_INVALID",
  "PRESENCE_ON_PATTERN",
  "ATTACHMENT_TOO_LARGE",
  "STATE_INVALID",
  "CONNECTION_CLOSED",
  "SOCKETS_OPTIONS_INVALID",
  "MESSAGE_INVALID",
  "CONNECTION_UNKNOWN",
  "CONNECTION_DUPLICATE",
  "CONNECTION_ID_INVALID",
] as const;

/** The `code` of a {@link DurableCoreError}: one of {@link ERROR_CODES}. */
export type DurableCoreErrorCode = (typeof ERROR_CODES)[number];

/**
 * The `name` of every `DurableCoreError`. Across RPC the runtime rebuilds an error as a plain
 * `Error` that keeps its `name` and `code`, so this is how a caller recognises one there.
 * @internal
 */
export const DURABLE_CORE_ERROR_NAME = "DurableCoreError";

/**
 * Every error durable-core throws on purpose. `code` is stable and documented; `message` says
 * what to do about it.
 *
 * @example
 * try { this.sql.one`SELECT * FROM items WHERE id = ${id}`; }
 * catch (e) { if (e instanceof DurableCoreError && e.code === "SQL_NOT_ONE") return null; throw e; }
 */
export class DurableCoreError extends Error {
  /** A stable code such as `SQL_BIND`, `KEY_TYPE`, `CRON_INVALID` or `ENGINE_RESET` (see {@link ERROR_CODES}). */
  readonly code: DurableCoreErrorCode;

  constructor(code: DurableCoreErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = DURABLE_CORE_ERROR_NAME;
    this.code = code;
  }
}

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
  // The core's codes are in ERROR_CODES by construction (tests/error_codes.rs checks it).
  if (isCoreError(error)) return new DurableCoreError(error.code as DurableCoreErrorCode, error.message);
  return error;
}
