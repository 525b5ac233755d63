/**
 * The one JSON-serialisability check of the facade (task payloads, socket messages, connection
 * attachments, `sql.json`): `JSON.stringify`, with what it throws (a cycle, a bigint, a throwing
 * `toJSON`) turned into the caller's coded error before anything is stored or sent.
 */
import { DurableCoreError } from "../errors.js";

/**
 * `value` as JSON text, or `undefined` where JSON has none (a function or symbol at the top).
 * `refuse` builds the caller's error from what was thrown; a replacer's own `DurableCoreError`
 * passes as it is.
 */
export function jsonText(
  value: unknown,
  refuse: (thrown: unknown) => DurableCoreError,
  replacer?: (this: unknown, key: string, value: unknown) => unknown,
): string | undefined {
  try {
    return JSON.stringify(value, replacer);
  } catch (error) {
    if (error instanceof DurableCoreError) throw error;
    throw refuse(error);
  }
}
