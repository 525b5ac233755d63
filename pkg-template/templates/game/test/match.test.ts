import { env, exports } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { type TestSocket, connect, hibernate, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";
import type { MatchState, Seat, ServerMessage } from "../src/protocol.js";

const TURN_MS = Number(env.TURN_SECONDS) * 1000;

interface Client {
  socket: TestSocket;
  you: Seat;
}

/** Joins match `id` through the Worker as `name`, and returns the socket and its seat. */
async function join(id: string, name: string): Promise<Client> {
  const socket = await connect(exports.default, `https://game.test/matches/${id}/socket?name=${encodeURIComponent(name)}`);
  const welcome = (await socket.nextJson()) as ServerMessage;
  if (welcome.type !== "welcome") throw new Error(`expected a welcome, got ${JSON.stringify(welcome)}`);
  return { socket, you: welcome.you };
}

/** The next state a client receives that satisfies `until` (each read is bounded by the helper). */
async function nextState(client: Client, until: (state: MatchState) => boolean = () => true): Promise<MatchState> {
  for (;;) {
    const message = (await client.socket.nextJson()) as ServerMessage;
    if (message.type === "error") throw new Error(`unexpected error: ${message.error}`);
    if (message.type === "state" && until(message.state)) return message.state;
  }
}

async function nextError(client: Client): Promise<string> {
  for (;;) {
    const message = (await client.socket.nextJson()) as ServerMessage;
    if (message.type === "error") return message.error;
  }
}

const move = (client: Client, cell: number) => client.socket.send(JSON.stringify({ type: "move", cell }));
const played = (n: number) => (state: MatchState) => state.board.filter((cell) => cell !== null).length === n;
const match = (id: string) => env.MATCHES.getByName(id);

describe("Match", () => {
  it("seats the first two names as X and O and everyone else as a spectator", async () => {
    const ada = await join("seats", "Ada");
    const bob = await join("seats", "Bob");
    const cy = await join("seats", "Cy");
    expect([ada.you.role, bob.you.role, cy.you.role]).toEqual(["X", "O", "spectator"]);
    const state = await nextState(ada, (s) => s.spectators === 1);
    expect(state).toMatchObject({ players: { X: "Ada", O: "Bob" }, next: "X", outcome: null });
    expect(state.turnEndsAt).toBeGreaterThan(Date.now());

    move(cy, 4);
    expect(await nextError(cy)).toBe("spectators cannot move");
    move(bob, 4);
    expect(await nextError(bob)).toBe("not your turn");
    move(ada, 9);
    expect(await nextError(ada)).toBe("cell must be a whole number from 0 to 8");
  });

  it("plays a match to a line, with every move sent to players and spectators", async () => {
    const ada = await join("line", "Ada");
    const bob = await join("line", "Bob");
    const cy = await join("line", "Cy");
    const moves: [Client, number][] = [[ada, 0], [bob, 3], [ada, 1], [bob, 4], [ada, 2]];
    for (const [index, [player, cell]] of moves.entries()) {
      move(player, cell);
      await nextState(cy, played(index + 1));
    }
    const final = await nextState(bob, played(5));
    expect(final.outcome).toEqual({ winner: "X", reason: "line" });
    expect(final.next).toBeNull();
    expect(final.board.slice(0, 3)).toEqual(["X", "X", "X"]);
    move(bob, 8);
    expect(await nextError(bob)).toBe("the match is over");
    // The match ended: no turn timer is left to fire.
    expect(await runDueTasks(match("line"), { until: Date.now() + TURN_MS })).toEqual([]);
  });

  it("refuses a taken cell, and calls a full board without a line a draw", async () => {
    const ada = await join("draw", "Ada");
    const bob = await join("draw", "Bob");
    // X O X / X O O / O X X
    const order: [Client, number][] = [[ada, 0], [bob, 1], [ada, 2], [bob, 4], [ada, 3], [bob, 5], [ada, 7], [bob, 6], [ada, 8]];
    for (const [index, [player, cell]] of order.entries()) {
      if (index === 1) {
        move(bob, 0);
        expect(await nextError(bob)).toBe("that cell is taken");
      }
      move(player, cell);
      await nextState(ada, played(index + 1));
    }
    expect((await match("draw").state()).outcome).toEqual({ winner: null, reason: "draw" });
  });

  it("ends the match when the player on turn runs out of time, through the scheduler", async () => {
    const ada = await join("timeout", "Ada");
    const bob = await join("timeout", "Bob");
    move(ada, 4);
    const waiting = await nextState(bob, played(1));
    expect(waiting.next).toBe("O");
    // One timer per match, replaced by each move: it guards turn 1 (O's) now.
    const tasks = await runInDurableObject(match("timeout"), (obj) => obj.scheduler.list());
    expect(tasks).toMatchObject([{ id: "turn", method: "turnTimeout", payload: { turn: 1 } }]);

    const runs = await runDueTasks(match("timeout"), { until: waiting.turnEndsAt! });
    expect(runs).toMatchObject([{ id: "turn", method: "turnTimeout", ok: true }]);
    const over = await nextState(ada, (s) => s.outcome !== null);
    expect(over.outcome).toEqual({ winner: "X", reason: "timeout" });
  });

  it("ignores a turn timer that fires for a turn already played", async () => {
    const ada = await join("stale", "Ada");
    const bob = await join("stale", "Bob");
    move(ada, 0);
    await nextState(bob, played(1));
    // As if a late alarm delivered the timer of X's turn after X had moved.
    await runInDurableObject(match("stale"), (obj) => obj.turnTimeout({ turn: 0 }, { id: "turn", attempt: 1, scheduledAt: 0, firedAt: 0 }));
    expect((await match("stale").state()).outcome).toBeNull();
  });

  it("keeps seats and the board across hibernation, and gives a returning name its seat back", async () => {
    const ada = await join("hibernate", "Ada");
    const bob = await join("hibernate", "Bob");
    move(ada, 4);
    await nextState(bob, played(1));
    await hibernate(match("hibernate"));
    move(bob, 0);
    expect((await nextState(ada, played(2))).board[0]).toBe("O");

    ada.socket.close();
    const again = await join("hibernate", "Ada");
    expect(again.you.role).toBe("X");
    expect((await join("hibernate", "Dee")).you.role).toBe("spectator");
  });

  it("refuses a connection without a valid name", async () => {
    await expect(connect(exports.default, "https://game.test/matches/names/socket?name=")).rejects.toMatchObject({ status: 400 });
  });
});
