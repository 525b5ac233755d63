/** The JSON messages between a client and a match, and their validation. */

export type Mark = "X" | "O";
export type Role = Mark | "spectator";
export type Cell = Mark | null;

export interface Outcome {
  /** `null` for a draw. */
  winner: Mark | null;
  reason: "line" | "draw" | "timeout";
}

export interface MatchState {
  board: Cell[];
  /** Whose move it is; `null` before both players joined and once the match is over. */
  next: Mark | null;
  /** When the player on turn runs out of time (ms since the epoch), or `null`. */
  turnEndsAt: number | null;
  players: { X: string | null; O: string | null };
  spectators: number;
  outcome: Outcome | null;
}

/** What a connection keeps in its state (it survives hibernation). */
export interface Seat {
  name: string;
  role: Role;
}

export type ClientMessage = { type: "move"; cell: number };

export type ServerMessage =
  | { type: "welcome"; you: Seat; state: MatchState }
  | { type: "state"; state: MatchState }
  | { type: "error"; error: string };

/** A name is 1 to 24 letters, digits, spaces, dashes or underscores. */
export function readName(url: URL): string | { refused: string } {
  const name = url.searchParams.get("name")?.trim() ?? "";
  return /^[\p{L}\p{N} _-]{1,24}$/u.test(name) ? name : { refused: "name must be 1 to 24 letters, digits, spaces, dashes or underscores" };
}

export function parseClientMessage(data: string | ArrayBuffer): ClientMessage | { invalid: string } {
  if (typeof data !== "string") return { invalid: "messages are JSON text" };
  let message: unknown;
  try {
    message = JSON.parse(data);
  } catch {
    return { invalid: "messages are JSON text" };
  }
  if (typeof message !== "object" || message === null) return { invalid: "a message is a JSON object" };
  const { type, cell } = message as { type?: unknown; cell?: unknown };
  if (type !== "move") return { invalid: `unknown message type ${JSON.stringify(type)}` };
  if (typeof cell !== "number" || !Number.isInteger(cell) || cell < 0 || cell > 8) {
    return { invalid: "cell must be a whole number from 0 to 8" };
  }
  return { type, cell };
}
