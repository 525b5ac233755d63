/**
 * Asserting a `DurableCoreError` code, including across RPC, without leaving an unhandled
 * rejection behind.
 *
 * Why a helper: the promise an RPC call returns is also a pipelining proxy. `await
 * expect(stub.book(-1)).rejects.toThrow(...)` passes, but Vitest reads properties of the value
 * it is given, and each property read on an RPC promise is itself a pipelined call that rejects
 * with the same error, unobserved: the run then fails with "Unhandled Rejection" (a plain
 * `DurableObject` behaves the same). `expectCode` only ever awaits the promise.
 */
import { DURABLE_CORE_ERROR_NAME, DurableCoreError } from "../errors.js";

/** The error a call was expected to throw: its `code` and `message`, whichever side it came from. */
export interface ExpectedError {
  readonly code: string;
  readonly message: string;
  /** The value that was thrown (over RPC: the runtime's copy of the object's error). */
  readonly error: unknown;
}

/**
 * Resolves when `call` rejects (or throws) a `DurableCoreError` with `code`; throws an
 * assertion error that says what happened instead otherwise. Works on an RPC call's promise
 * (`stub.book(-1)`), any promise, or a function (called, then awaited).
 *
 * @example
 * await expectCode(env.BOOKING.getByName("gig").hold(-1, "ada"), "ARGUMENT");
 * const { message } = await expectCode(() => obj.sql.one`SELECT 1 WHERE 0`, "SQL_NOT_ONE");
 */
export async function expectCode(
  call: PromiseLike<unknown> | (() => unknown),
  code: DurableCoreError["code"],
): Promise<ExpectedError> {
  let result: unknown;
  try {
    result = await (isThenable(call) ? call : call());
  } catch (error) {
    const got = codeOf(error);
    if (got === code) return { code: got, message: messageOf(error), error };
    const what = got === undefined ? `an error without a durable-core code` : `a DurableCoreError with code ${got}`;
    throw new AssertionFailed(`expected a DurableCoreError with code ${code}, got ${what}: ${messageOf(error)}`, error);
  }
  throw new AssertionFailed(`expected a DurableCoreError with code ${code}, but the call succeeded with ${describe(result)}`);
}

/**
 * The code of a durable-core error. Across RPC the runtime rebuilds the error as a plain
 * `Error` that keeps its `name` and own properties (`code`), not its class.
 */
function codeOf(error: unknown): string | undefined {
  if (error instanceof DurableCoreError) return error.code;
  if (error === null || typeof error !== "object") return undefined;
  // Only durable-core's errors: another library's `code` (a Node-style error) is not one.
  const { name, code } = error as { name?: unknown; code?: unknown };
  return name === DURABLE_CORE_ERROR_NAME && typeof code === "string" ? code : undefined;
}

/**
 * Thenables first: an RPC call's promise is also callable (`typeof` says "function"), and
 * calling it would pipeline a second call and leave the first rejection unobserved.
 */
function isThenable(call: PromiseLike<unknown> | (() => unknown)): call is PromiseLike<unknown> {
  return typeof (call as { then?: unknown }).then === "function";
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

class AssertionFailed extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = "AssertionError";
  }
}
