/**
 * `static sockets`, checked once when the object first uses its sockets, so that a bad value
 * fails the first request rather than waiting for a client to hit it.
 */
import { DurableCoreError } from "./errors.js";
import type { SocketsOptions } from "./sockets.js";

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_ATTACHMENT_BYTES = 16 * 1024;

/** The largest `rateLimit` value the core accepts (it counts in 32-bit units). */
const MAX_RATE_LIMIT_VALUE = 2 ** 32 - 1;

/** The byte limits of `options`, defaults filled in; `SOCKETS_OPTIONS_INVALID` for a bad value. */
export function checkOptions(options: SocketsOptions): Required<Pick<SocketsOptions, "maxMessageBytes" | "attachmentBytes">> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const attachmentBytes = options.attachmentBytes ?? DEFAULT_ATTACHMENT_BYTES;
  for (const [name, value] of [["maxMessageBytes", maxMessageBytes], ["attachmentBytes", attachmentBytes]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new DurableCoreError("SOCKETS_OPTIONS_INVALID", `static sockets.${name} must be a whole number of bytes >= 1, got ${value}`);
    }
  }
  const rate: { messages?: unknown; perMs?: unknown } | null | undefined = options.rateLimit;
  if (rate !== undefined && !(rate !== null && isRateLimitValue(rate.messages) && isRateLimitValue(rate.perMs))) {
    const shown = rate === null || typeof rate !== "object" ? String(rate) : `{ messages: ${String(rate.messages)}, perMs: ${String(rate.perMs)} }`;
    throw new DurableCoreError(
      "SOCKETS_OPTIONS_INVALID",
      `static sockets.rateLimit ${shown}: messages and perMs must both be whole numbers from 1 to ${MAX_RATE_LIMIT_VALUE}`,
    );
  }
  const pair = options.autoResponse;
  if (pair !== undefined && (!Array.isArray(pair) || pair.length !== 2 || pair.some((text) => typeof text !== "string"))) {
    throw new DurableCoreError("SOCKETS_OPTIONS_INVALID", "static sockets.autoResponse must be a [request, response] pair of strings");
  }
  return { maxMessageBytes, attachmentBytes };
}

/** What the core's `RateLimit` accepts for `messages` and `perMs`. */
function isRateLimitValue(value: unknown): boolean {
  return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= MAX_RATE_LIMIT_VALUE;
}
