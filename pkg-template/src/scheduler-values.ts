/**
 * The core's task values as users see them: the payload parsed from its JSON text, only the
 * public fields. The one place a typed core result becomes a `Task`.
 */
import type { Json } from "./values.js";
import type { FailedTask, Task } from "./scheduler-types.js";
import type { CoreDeadTask, CoreTask } from "./wasm/durable_core.js";

export function parsePayload(text: string | undefined): Json | undefined {
  return text === undefined ? undefined : JSON.parse(text);
}

export function toTask(core: CoreTask): Task {
  return {
    id: core.id,
    method: core.method,
    payload: parsePayload(core.payload),
    due: core.due,
    kind: core.kind,
    attempts: core.attempts,
  };
}

export function toFailed(dead: CoreDeadTask): FailedTask {
  return { ...toTask(dead.task), error: dead.error, failedAt: dead.failedAt };
}
