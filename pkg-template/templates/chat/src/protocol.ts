/**
 * What the page and a room say to each other over the WebSocket, as JSON text.
 * The page (src/page.html) speaks the same protocol in plain JavaScript.
 */

/** A person in the room: the state each connection keeps (it survives hibernation). */
export interface Person {
  /** Stable per browser (kept in its localStorage); a user may have several connections. */
  user: string;
  name: string;
  /** `#rrggbb`, the user's display colour. */
  colour: string;
}

/** One line of the chat as the page shows it. */
export interface ChatMessage {
  id: number;
  /** "chat" from a person, "digest" from the room itself. */
  kind: "chat" | "digest";
  user: string;
  name: string;
  colour: string;
  text: string;
  /** Epoch milliseconds. */
  sentAt: number;
}

/** From the page to the room. */
export type ClientMessage =
  | { type: "say"; text: string }
  | { type: "typing"; typing: boolean }
  | { type: "colour"; colour: string };

/**
 * From the room to the page. Presence events (`{ type: "presence", event: "join" | "leave" |
 * "update", id, state }`) come from durable-core itself.
 */
export type ServerMessage =
  | { type: "welcome"; you: string; people: { id: string; state: Person }[]; history: ChatMessage[] }
  | { type: "message"; message: ChatMessage }
  | { type: "expired"; id: number }
  | { type: "typing"; id: string; name: string; typing: boolean }
  | { type: "error"; error: string };

export const MAX_TEXT_LENGTH = 2000;
export const MAX_NAME_LENGTH = 32;
const COLOUR = /^#[0-9a-f]{6}$/;
const USER = /^[A-Za-z0-9-]{8,64}$/;
const ROOM = /^[a-z0-9-]{1,32}$/;

/** Room names are short lowercase slugs; the page normalises what people type. */
export function isRoomName(name: string): boolean {
  return ROOM.test(name);
}

export function isColour(value: unknown): value is string {
  return typeof value === "string" && COLOUR.test(value);
}

/** Who is knocking, from the socket URL `?user=…&name=…`, or why they are refused. */
export function readVisitor(url: URL): { user: string; name: string } | { refused: string } {
  const user = url.searchParams.get("user") ?? "";
  const name = (url.searchParams.get("name") ?? "").trim();
  if (!USER.test(user)) return { refused: "user must be 8 to 64 letters, digits or dashes" };
  if (name.length === 0 || name.length > MAX_NAME_LENGTH) {
    return { refused: `name must be 1 to ${MAX_NAME_LENGTH} characters` };
  }
  return { user, name };
}

/** A client message checked field by field, or the reason it was rejected. */
export function parseClientMessage(data: string | ArrayBuffer): ClientMessage | { invalid: string } {
  if (typeof data !== "string") return { invalid: "send JSON text, not binary" };
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { invalid: "not JSON" };
  }
  const message = value as Partial<Record<string, unknown>> | null;
  switch (message?.type) {
    case "say": {
      const text = typeof message.text === "string" ? message.text.trim() : "";
      if (text.length === 0 || text.length > MAX_TEXT_LENGTH) {
        return { invalid: `text must be 1 to ${MAX_TEXT_LENGTH} characters` };
      }
      return { type: "say", text };
    }
    case "typing":
      return { type: "typing", typing: message.typing === true };
    case "colour":
      return isColour(message.colour) ? { type: "colour", colour: message.colour } : { invalid: "colour must be #rrggbb" };
    default:
      return { invalid: "type must be say, typing or colour" };
  }
}
