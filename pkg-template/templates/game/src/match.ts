import { type Connection, DurableCore, type SocketsOptions, type TaskContext } from "durable-core";
import {
  type Cell,
  type Mark,
  type MatchState,
  type Outcome,
  type Role,
  type Seat,
  type ServerMessage,
  parseClientMessage,
  readName,
} from "./protocol.js";

/** Everyone connected to the match is on this topic, players and spectators. */
const MATCH = "match";
/** The turn timer's task id: one timer per match, replaced on every move. */
const TURN_TASK = "turn";
const LINES = [
  [0, 1, 2], [3, 4, 5], [6, 7, 8],
  [0, 3, 6], [1, 4, 7], [2, 5, 8],
  [0, 4, 8], [2, 4, 6],
] as const;

/**
 * One tic-tac-toe match. The first two names to connect play (X, then O); everyone else
 * watches. Moves and seats are rows in SQL, so a match survives hibernation, eviction and
 * redeploys; the turn timer is a scheduler task whose payload says which turn it guards, so a
 * timer that fires late for a turn already played does nothing.
 */
export class Match extends DurableCore<Env> {
  static override migrations = [
    "CREATE TABLE players (mark TEXT PRIMARY KEY CHECK (mark IN ('X', 'O')), name TEXT NOT NULL UNIQUE)",
    "CREATE TABLE moves (turn INTEGER PRIMARY KEY, mark TEXT NOT NULL, cell INTEGER NOT NULL UNIQUE)",
    `CREATE TABLE outcome (
       id INTEGER PRIMARY KEY CHECK (id = 1),
       winner TEXT,
       reason TEXT NOT NULL,
       ended_at INTEGER NOT NULL
     )`,
  ];

  static override sockets: SocketsOptions = {
    maxMessageBytes: 1024,
    rateLimit: { messages: 20, perMs: 1000 },
  };

  override onBeforeConnect(request: Request): Response | undefined {
    const name = readName(new URL(request.url));
    return typeof name === "string" ? undefined : new Response(name.refused, { status: 400 });
  }

  override onConnect(conn: Connection<Seat>, request: Request): void {
    const name = readName(new URL(request.url));
    if (typeof name !== "string") return; // onBeforeConnect refused it
    const you: Seat = { name, role: this.#seat(name) };
    conn.setState(you);
    conn.subscribe(MATCH);
    conn.send({ type: "welcome", you, state: this.state() } satisfies ServerMessage);
    this.#publishState();
  }

  override onMessage(conn: Connection<Seat>, data: string | ArrayBuffer): void {
    const message = parseClientMessage(data);
    const seat = conn.state;
    const refused = "invalid" in message ? message.invalid : seat === null ? "not seated" : this.#move(seat.role, message.cell);
    if (refused !== undefined) {
      conn.send({ type: "error", error: refused } satisfies ServerMessage);
      return;
    }
    this.#publishState();
  }

  override onClose(): void {
    // Spectator counts changed.
    this.#publishState();
  }

  /** The scheduled end of a turn: the player on turn `turn` loses, unless that turn was played. */
  turnTimeout({ turn }: { turn: number }, _task: TaskContext): void {
    if (this.#outcome() !== null || this.#moveCount() !== turn) return;
    const late = turn % 2 === 0 ? "X" : "O";
    this.#end({ winner: other(late), reason: "timeout" });
    this.#publishState();
  }

  state(): MatchState {
    const board: Cell[] = Array.from({ length: 9 }, () => null);
    for (const { mark, cell } of this.sql.all<{ mark: Mark; cell: number }>`SELECT mark, cell FROM moves`) board[cell] = mark;
    const names = this.sql.all<{ mark: Mark; name: string }>`SELECT mark, name FROM players`;
    const players = { X: null as string | null, O: null as string | null };
    for (const { mark, name } of names) players[mark] = name;
    const outcome = this.#outcome();
    const next = outcome === null && names.length === 2 ? (this.#moveCount() % 2 === 0 ? "X" : "O") : null;
    const timer = next === null ? undefined : this.scheduler.get(TURN_TASK);
    const spectators = this.sockets.connections<Seat>(MATCH).filter((conn) => conn.state?.role === "spectator").length;
    return { board, next, turnEndsAt: timer?.due ?? null, players, spectators, outcome };
  }

  override onRequest(request: Request): Response {
    if (request.method !== "GET") return new Response("method not allowed", { status: 405 });
    return Response.json(this.state());
  }

  /** The role of `name`: their seat if they have one, a free seat while there is one, else spectator. */
  #seat(name: string): Role {
    const known = this.sql.first<{ mark: Mark }>`SELECT mark FROM players WHERE name = ${name}`;
    if (known !== undefined) return known.mark;
    const taken = this.sql.all<{ mark: Mark }>`SELECT mark FROM players`.map((row) => row.mark);
    if (taken.length === 2 || this.#outcome() !== null) return "spectator";
    const mark: Mark = taken.includes("X") ? "O" : "X";
    this.sql.transaction(() => {
      this.sql.run`INSERT INTO players (mark, name) VALUES (${mark}, ${name})`;
      // Both seats taken: X's first turn starts now.
      if (taken.length === 1) this.#startTurn(0);
    });
    return mark;
  }

  /** Plays `cell` for `role`; returns why not, or undefined once played. */
  #move(role: Role, cell: number): string | undefined {
    if (role === "spectator") return "spectators cannot move";
    const state = this.state();
    if (state.outcome !== null) return "the match is over";
    if (state.next === null) return "waiting for a second player";
    if (state.next !== role) return "not your turn";
    if (state.board[cell] !== null) return "that cell is taken";

    const turn = this.#moveCount();
    const board = state.board.with(cell, role);
    this.sql.transaction(() => {
      this.sql.run`INSERT INTO moves (turn, mark, cell) VALUES (${turn}, ${role}, ${cell})`;
      if (LINES.some((line) => line.every((i) => board[i] === role))) this.#end({ winner: role, reason: "line" });
      else if (board.every((c) => c !== null)) this.#end({ winner: null, reason: "draw" });
      else this.#startTurn(turn + 1);
    });
    return undefined;
  }

  /** (Re)arms the one turn timer: the same task id replaces the previous turn's. */
  #startTurn(turn: number): void {
    const ms = Number(this.env.TURN_SECONDS) * 1000;
    if (!(ms > 0)) throw new Error(`TURN_SECONDS must be a positive number, got ${this.env.TURN_SECONDS}`);
    this.scheduler.after(ms, "turnTimeout", { turn }, { id: TURN_TASK });
  }

  #end(outcome: Outcome): void {
    this.sql.run`INSERT INTO outcome (id, winner, reason, ended_at) VALUES (1, ${outcome.winner}, ${outcome.reason}, ${Date.now()})`;
    this.scheduler.cancel(TURN_TASK);
  }

  #outcome(): Outcome | null {
    const row = this.sql.first<{ winner: Mark | null; reason: Outcome["reason"] }>`SELECT winner, reason FROM outcome`;
    return row === undefined ? null : { winner: row.winner, reason: row.reason };
  }

  #moveCount(): number {
    return this.sql.one<{ n: number }>`SELECT count(*) AS n FROM moves`.n;
  }

  #publishState(): void {
    this.sockets.publish(MATCH, { type: "state", state: this.state() } satisfies ServerMessage);
  }
}

function other(mark: Mark): Mark {
  return mark === "X" ? "O" : "X";
}
