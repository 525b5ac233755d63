import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { type TestSocket, connect, hibernate, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";
import type { ChatMessage, Person, ServerMessage } from "../src/protocol.js";
import { DIGEST_TASK, HISTORY_ON_JOIN, defaultColour } from "../src/room.js";

const ADA: Person = { user: "ada-0000-0001", name: "Ada", colour: defaultColour("ada-0000-0001") };
const BOB: Person = { user: "bob-0000-0002", name: "Bob", colour: defaultColour("bob-0000-0002") };
const TTL_MS = Number(env.MESSAGE_TTL_SECONDS) * 1000;

type Welcome = Extract<ServerMessage, { type: "welcome" }>;

/** Joins `room` through the Worker, as the page does, and returns the socket and its welcome. */
async function join(room: string, person: Person): Promise<{ socket: TestSocket; welcome: Welcome }> {
  const url = `https://rooms.test/rooms/${room}/socket?user=${person.user}&name=${person.name}`;
  const socket = await connect(exports.default, url);
  const welcome = (await socket.nextJson()) as Welcome;
  expect(welcome.type).toBe("welcome");
  return { socket, welcome };
}

/** A presence event, sent by durable-core itself. */
interface PresenceEvent {
  type: "presence";
  topic: string;
  event: "join" | "leave" | "update";
  id: string;
  state: Person;
}

type Received = ServerMessage | PresenceEvent;

/** The next message of `type` on `socket`, skipping others (each read is bounded by the helper). */
async function next<T extends Received["type"]>(socket: TestSocket, type: T): Promise<Extract<Received, { type: T }>> {
  for (;;) {
    const message = (await socket.nextJson()) as Received;
    if (message.type === type) return message as Extract<Received, { type: T }>;
  }
}

const room = (name: string) => env.ROOMS.getByName(name);
const texts = (messages: ChatMessage[]) => messages.map((m) => m.text);

describe("the Worker", () => {
  it("serves the page", async () => {
    const response = await exports.default.fetch("https://rooms.test/");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(await response.text()).toContain('<form id="composer">');
  });

  it("refuses bad room names and sockets without a user or name", async () => {
    const upgrade = { headers: { Upgrade: "websocket" } };
    expect((await exports.default.fetch("https://rooms.test/rooms/Not%20A%20Slug/socket", upgrade)).status).toBe(400);
    expect((await exports.default.fetch("https://rooms.test/rooms/ok/socket?name=Ada", upgrade)).status).toBe(400);
    expect((await exports.default.fetch(`https://rooms.test/rooms/ok/socket?user=${ADA.user}`, upgrade)).status).toBe(400);
    expect((await exports.default.fetch("https://rooms.test/elsewhere")).status).toBe(404);
  });
});

describe("a room", () => {
  it("shows who is present, relays typing, and sends messages to everyone in it", async () => {
    const ada = await join("presence", ADA);
    expect(ada.welcome.people).toEqual([{ id: ada.welcome.you, state: ADA }]);
    expect(ada.welcome.history).toEqual([]);

    const bob = await join("presence", BOB);
    expect(await next(ada.socket, "presence")).toMatchObject({ event: "join", id: bob.welcome.you, state: BOB });
    expect(bob.welcome.people).toHaveLength(2);
    expect(bob.welcome.people).toContainEqual({ id: ada.welcome.you, state: ADA });

    ada.socket.send(JSON.stringify({ type: "typing", typing: true }));
    expect(await next(bob.socket, "typing")).toEqual({ type: "typing", id: ada.welcome.you, name: "Ada", typing: true });

    ada.socket.send(JSON.stringify({ type: "say", text: "  hello Bob  " }));
    const toBob = await next(bob.socket, "message");
    const toAda = await next(ada.socket, "message");
    expect(toBob).toEqual(toAda);
    expect(toBob.message).toMatchObject({ kind: "chat", user: ADA.user, name: "Ada", colour: ADA.colour, text: "hello Bob" });

    bob.socket.close();
    expect(await next(ada.socket, "presence")).toMatchObject({ event: "leave", id: bob.welcome.you });
    ada.socket.close();
  });

  it("keeps its people, their state and their topics while it hibernates", async () => {
    const ada = await join("sleepy", ADA);
    const bob = await join("sleepy", BOB);
    await next(ada.socket, "presence");

    await hibernate(room("sleepy"));
    ada.socket.send(JSON.stringify({ type: "typing", typing: true }));
    expect(await next(bob.socket, "typing")).toMatchObject({ id: ada.welcome.you, name: "Ada" });
    ada.socket.send(JSON.stringify({ type: "say", text: "still awake?" }));
    expect((await next(bob.socket, "message")).message).toMatchObject({ name: "Ada", text: "still awake?" });

    await hibernate(room("sleepy"));
    bob.socket.close();
    expect(await next(ada.socket, "presence")).toMatchObject({ event: "leave", id: bob.welcome.you });
    const carol = await join("sleepy", { ...BOB, user: "carol-0000-0003", name: "Carol" });
    expect(carol.welcome.people.map((p) => p.state.name).sort()).toEqual(["Ada", "Carol"]);
    ada.socket.close();
    carol.socket.close();
  });

  it("answers a bad message with an error and keeps the connection", async () => {
    const ada = await join("errors", ADA);
    ada.socket.send("not json");
    expect(await next(ada.socket, "error")).toEqual({ type: "error", error: "not JSON" });
    ada.socket.send(JSON.stringify({ type: "say", text: "   " }));
    expect((await next(ada.socket, "error")).error).toMatch(/^text must be/);
    ada.socket.send(JSON.stringify({ type: "colour", colour: "red" }));
    expect(await next(ada.socket, "error")).toEqual({ type: "error", error: "colour must be #rrggbb" });
    ada.socket.send(JSON.stringify({ type: "say", text: "still here" }));
    expect((await next(ada.socket, "message")).message.text).toBe("still here");
    ada.socket.close();
  });

  it(`gives a newcomer the last ${HISTORY_ON_JOIN} messages, oldest first, and keeps them across restarts`, async () => {
    await runInDurableObject(room("history"), (instance) => {
      for (let i = 0; i < 60; i++) instance.say(i % 2 === 0 ? ADA : BOB, `message ${i}`);
    });
    await evictDurableObject(room("history"));

    const bob = await join("history", BOB);
    expect(bob.welcome.history).toHaveLength(HISTORY_ON_JOIN);
    expect(texts(bob.welcome.history)).toEqual(Array.from({ length: 50 }, (_, i) => `message ${i + 10}`));
    expect(bob.welcome.history[0]).toMatchObject({ user: ADA.user, name: "Ada" });
    bob.socket.close();
  });

  it("is private to its name: another room has none of its people or messages", async () => {
    const ada = await join("first", ADA);
    ada.socket.send(JSON.stringify({ type: "say", text: "only here" }));
    await next(ada.socket, "message");

    const bob = await join("second", BOB);
    expect(bob.welcome.history).toEqual([]);
    expect(bob.welcome.people).toEqual([{ id: bob.welcome.you, state: BOB }]);

    const first = await (await exports.default.fetch("https://rooms.test/rooms/first")).json<{ people: number; history: ChatMessage[] }>();
    expect(first.people).toBe(1);
    expect(texts(first.history)).toEqual(["only here"]);
    ada.socket.close();
    bob.socket.close();
  });

  it("keeps each person's colour under a tuple key, across reconnects and restarts", async () => {
    const ada = await join("colours", ADA);
    const bob = await join("colours", BOB);
    await next(ada.socket, "presence");

    bob.socket.send(JSON.stringify({ type: "colour", colour: "#123456" }));
    expect(await next(ada.socket, "presence")).toMatchObject({
      event: "update",
      id: bob.welcome.you,
      state: { ...BOB, colour: "#123456" },
    });
    const prefs = await runInDurableObject(room("colours"), (instance) => {
      instance.store.put(["prefs", `${BOB.user}0`, "colour"], "#000000"); // an id that extends Bob's
      return {
        colour: instance.store.get(["prefs", BOB.user, "colour"]),
        bobs: instance.store.list({ prefix: ["prefs", BOB.user] }),
      };
    });
    expect(prefs.colour).toBe("#123456");
    expect(prefs.bobs).toEqual([{ key: ["prefs", BOB.user, "colour"], value: "#123456" }]);

    bob.socket.close();
    ada.socket.close();
    await evictDurableObject(room("colours"));
    const again = await join("colours", BOB);
    expect(again.welcome.people).toEqual([{ id: again.welcome.you, state: { ...BOB, colour: "#123456" } }]);
    again.socket.close();
  });
});

describe("scheduled work", () => {
  it("expires each message MESSAGE_TTL_SECONDS after it was sent, and tells the room", async () => {
    const ada = await join("expiry", ADA);
    ada.socket.send(JSON.stringify({ type: "say", text: "soon gone" }));
    const { message } = await next(ada.socket, "message");

    const task = await runInDurableObject(room("expiry"), (instance) => instance.scheduler.get(`expire/${message.id}`));
    expect(task).toMatchObject({ method: "expireMessage", payload: { id: message.id }, kind: "after" });
    expect(task!.due - message.sentAt).toBeGreaterThanOrEqual(TTL_MS - 5);
    expect(task!.due - message.sentAt).toBeLessThanOrEqual(TTL_MS + 1000);

    expect(await runDueTasks(room("expiry"))).toEqual([]);
    const runs = await runDueTasks(room("expiry"), { until: task!.due });
    expect(runs).toContainEqual(expect.objectContaining({ id: `expire/${message.id}`, method: "expireMessage", ok: true }));
    expect(await next(ada.socket, "expired")).toEqual({ type: "expired", id: message.id });

    const history = await runInDurableObject(room("expiry"), (instance) => instance.history());
    expect(history.filter((m) => m.kind === "chat")).toEqual([]);
    ada.socket.close();
  });

  it("registers exactly one daily digest task per room, however often it wakes", async () => {
    const stub = room("digest-once");
    for (let wake = 0; wake < 3; wake++) {
      await runInDurableObject(stub, () => {}); // constructor -> onStart
      await evictDurableObject(stub);
    }
    const tasks = await runInDurableObject(stub, (instance) => instance.scheduler.list({ method: "sendDigest" }));
    expect(tasks).toEqual([expect.objectContaining({ id: DIGEST_TASK, kind: "cron", method: "sendDigest" })]);
    expect(tasks[0]!.due).toBeGreaterThan(Date.now());
    expect(tasks[0]!.due - Date.now()).toBeLessThanOrEqual(24 * 60 * 60 * 1000);
  });

  it("sends a digest of who spoke since the last one when the cron fires, then stays quiet", async () => {
    const stub = room("digest");
    const ada = await join("digest", ADA);
    await runInDurableObject(stub, (instance) => {
      instance.say(ADA, "one");
      instance.say(BOB, "two");
      instance.say(ADA, "three");
    });
    const digestTask = await runInDurableObject(stub, (instance) => instance.scheduler.get(DIGEST_TASK));

    const runs = await runDueTasks(stub, { until: digestTask!.due });
    expect(runs).toContainEqual(expect.objectContaining({ id: DIGEST_TASK, method: "sendDigest", ok: true }));
    let digest: ChatMessage;
    do digest = (await next(ada.socket, "message")).message;
    while (digest.kind !== "digest");
    expect(digest.text).toBe("Since the last digest: 3 messages from Ada (2), Bob (1).");

    const after = await runInDurableObject(stub, (instance) => ({
      quiet: instance.sendDigest(),
      task: instance.scheduler.get(DIGEST_TASK),
    }));
    expect(after.quiet).toBeUndefined();
    expect(after.task!.due).toBeGreaterThan(digestTask!.due); // the cron moved on to its next day
    ada.socket.close();
  });
});
