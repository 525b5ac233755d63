/**
 * Which function runs a task: an entry of the owner's `taskHandlers` table, or one of its public
 * methods, never a lifecycle method (the list is the core's, shared with `durable-core check`).
 */
import { LIFECYCLE_METHOD_PREFIX, LIFECYCLE_METHODS } from "./generated/core.js";

const LIFECYCLE = new Set<string>(LIFECYCLE_METHODS);

/** Whether `method` is a platform entry point or a member of the base class (never a task). */
export function isLifecycleMethod(method: string): boolean {
  return LIFECYCLE.has(method) || method.startsWith(LIFECYCLE_METHOD_PREFIX);
}

/** The handler of `method` on `owner`, or `undefined` when it names none. */
export function taskHandler(owner: object, method: string): Function | undefined {
  if (isLifecycleMethod(method)) return undefined;
  const table = (owner as { taskHandlers?: Record<string, unknown> }).taskHandlers;
  if (table !== null && typeof table === "object" && Object.hasOwn(table, method)) {
    const handler = table[method];
    return typeof handler === "function" ? handler : undefined;
  }
  const member = (owner as Record<string, unknown>)[method];
  return typeof member === "function" ? member : undefined;
}
