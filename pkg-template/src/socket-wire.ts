/**
 * What the socket hub does to one platform `WebSocket`: encode what it sends, read and write
 * the attachment it keeps, close it. Nothing here knows the topic index or other connections.
 */
import type { Attachment, Connection } from "./connection.js";
import { DurableCoreError } from "./errors.js";
import { errorText } from "./kernel/error-text.js";
import { jsonText } from "./kernel/json.js";
import { freezeState } from "./kernel/plain-data.js";
import { utf8Length, utf8Over } from "./kernel/text.js";
import type { SocketMessage } from "./sockets.js";

/** `WebSocket.readyState` of an open socket (the WebSocket standard's value). */
export const OPEN = 1;

/** The platform refuses close reasons longer than this. */
const MAX_CLOSE_REASON_BYTES = 123;

/**
 * What a send puts on the wire: strings and bytes as they are, anything else as JSON. A value
 * JSON cannot encode (a cycle, a BigInt, a function) throws `MESSAGE_INVALID` before anything
 * is sent.
 */
export function encodeMessage(message: SocketMessage): string | ArrayBuffer | ArrayBufferView {
  if (typeof message === "string" || message instanceof ArrayBuffer || ArrayBuffer.isView(message)) return message;
  const json = jsonText(
    message,
    (error) => new DurableCoreError("MESSAGE_INVALID", `a message must be a string, bytes or JSON-serialisable: ${errorText(error, { named: true })}`, { cause: error }),
  );
  if (json === undefined) {
    throw new DurableCoreError("MESSAGE_INVALID", `a message must be a string, bytes or JSON-serialisable, got ${typeof message}`);
  }
  return json;
}

/** The durable-core attachment of `socket`, frozen, or null for a socket that has none. */
export function readAttachment(socket: WebSocket): Attachment | null {
  let value: unknown;
  try {
    value = socket.deserializeAttachment();
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object") return null;
  const candidate = value as Partial<Attachment>;
  if (candidate.dc !== 1 || typeof candidate.id !== "string" || !Array.isArray(candidate.subs)) return null;
  // The platform hands back a mutable clone: freeze it as setState froze the original.
  freezeState(candidate.state);
  return candidate as Attachment;
}

/**
 * Closes `socket` with a code it may send (else 1000) and a reason cut to what the platform
 * accepts; a socket that is already closed is left alone.
 */
export function closeSocket(socket: WebSocket, code: number, reason: string): void {
  const sendable = code === 1000 || (code >= 3000 && code <= 4999) || (code >= 1001 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006);
  try {
    socket.close(sendable ? code : 1000, closeReason(reason));
  } catch {
    // Already closed: nothing left to do.
  }
}

/** Cuts a close reason to what the platform accepts, at a character boundary. */
function closeReason(reason: string): string {
  if (utf8Length(reason) <= MAX_CLOSE_REASON_BYTES) return reason;
  let cut = "";
  for (const char of reason) {
    if (utf8Length(cut + char) > MAX_CLOSE_REASON_BYTES) break;
    cut += char;
  }
  return cut;
}

/** `ATTACHMENT_TOO_LARGE` when `attachment` is over `limit` bytes as JSON (`STATE_INVALID` if it has no JSON). */
export function checkAttachmentSize(attachment: Attachment, limit: number): void {
  // An attachment is an object, so JSON always has a text for it.
  const json = jsonText(
    attachment,
    (error) => new DurableCoreError("STATE_INVALID", `a connection's state must be JSON-serialisable: ${errorText(error, { named: true })}`, { cause: error }),
  )!;
  if (utf8Over(json, limit)) {
    const bytes = utf8Length(json);
    throw new DurableCoreError(
      "ATTACHMENT_TOO_LARGE",
      `connection ${attachment.id}: state and subscriptions take ${bytes} bytes, over the ${limit}-byte attachment limit (static sockets.attachmentBytes); keep large data in this.sql or this.store`,
    );
  }
}

/** Writes an attachment already checked by {@link checkAttachmentSize}; on a refusal nothing changes. */
export function writeAttachment(connection: Connection<any>, attachment: Attachment): void {
  try {
    connection.socket.serializeAttachment(attachment);
  } catch (error) {
    throw new DurableCoreError("ATTACHMENT_TOO_LARGE", `the platform refused connection ${attachment.id}'s attachment: ${errorText(error, { named: true })}`, {
      cause: error,
    });
  }
  connection.attachment = attachment;
}
