/**
 * `static sockets`, checked once when the object first uses its sockets, so that a bad value
 * fails the first request rather than waiting for a client to hit it.
 */
import { DurableCoreError } from "./errors.js";
import type { SocketsOptions } from "./sockets.js";

export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
export const DEFAULT_ATTACHMENT_BYTES = 16 * 1024;

/**
 * The byte limits of `options`, defaults filled in; `SOCKETS_OPTIONS_INVALID` for a bad value.
 * These options are the facade's alone (the core never sees messages or attachments);
 * `rateLimit` is the core's, checked by `fanoutConfigure`.
 */
export function checkOptions(options: SocketsOptions): Required<Pick<SocketsOptions, "maxMessageBytes" | "attachmentBytes">> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const attachmentBytes = options.attachmentBytes ?? DEFAULT_ATTACHMENT_BYTES;
  for (const [name, value] of [["maxMessageBytes", maxMessageBytes], ["attachmentBytes", attachmentBytes]] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new DurableCoreError("SOCKETS_OPTIONS_INVALID", `static sockets.${name} must be a whole number of bytes >= 1, got ${value}`);
    }
  }
  const pair = options.autoResponse;
  if (pair !== undefined && (!Array.isArray(pair) || pair.length !== 2 || pair.some((text) => typeof text !== "string"))) {
    throw new DurableCoreError("SOCKETS_OPTIONS_INVALID", "static sockets.autoResponse must be a [request, response] pair of strings");
  }
  return { maxMessageBytes, attachmentBytes };
}
