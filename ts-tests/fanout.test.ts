import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { connect, hibernate, type TestSocket } from "durable-core/testing";
import { describe, expect, it, vi } from "vitest";

type Presence = { type: "presence"; topic: string; event: "join" | "leave" | "update"; id: string; state: { name: string } & Record<string, unknown> };

const room = (name: string) => env.CHAT_ROOM.getByName(name);
const join = (stub: ReturnType<typeof room>, query: string) => connect(stub, `https://room.test/ws?${query}`);

/** Sends a command and waits for its acknowledgement. */
async function command(socket: TestSocket, body: Record<string, unknown>): Promise<void> {
  socket.send(body);
  expect(await socket.nextJson()).toEqual({ type: "ok", op: body.op });
}

async function whoami(socket: TestSocket): Promise<{ id: string; state: Record<string, unknown>; topics: string[] }> {
  socket.send({ op: "whoami" });
  const answer = await socket.nextJson<{ type: string; id: string; state: Record<string, unknown>; topics: string[] }>();
  expect(answer.type).toBe("whoami");
  return answer;
}

describe("publish", () => {
  it("delivers a chat message to every other member, once, and not to the sender", async () => {
    const stub = room("chat");
    const alice = await join(stub, "name=alice&presence=0");
    const bob = await join(stub, "name=bob&presence=0");
    const carol = await join(stub, "name=carol&presence=0");
    alice.send({ op: "say", text: "hello" });
    // The sender's next message is the acknowledgement: it never got its own message.
    expect(await alice.nextJson()).toEqual({ type: "ok", op: "say" });
    expect(await bob.nextJson()).toEqual({ from: "alice", text: "hello" });
    expect(await carol.nextJson()).toEqual({ from: "alice", text: "hello" });
    expect(await stub.count("room/lobby")).toBe(3);
    expect(await stub.publish("room/lobby", { text: "from the server" })).toBe(3);
    for (const socket of [alice, bob, carol]) expect(await socket.nextJson()).toEqual({ text: "from the server" });
    expect(await stub.publish("room/empty", "nobody")).toBe(0);
    expect(await stub.broadcast("all")).toBe(3);
    for (const socket of [alice, bob, carol]) expect(await socket.next()).toBe("all");
  });

  it("holds 200 topics on one connection", async () => {
    const stub = room("many-topics");
    const many = await join(stub, "name=many&lobby=0");
    const topics = Array.from({ length: 200 }, (_, i) => `topic/${i}`);
    // In batches: the room's maxMessageBytes is 1 KiB.
    for (let i = 0; i < topics.length; i += 40) await command(many, { op: "subscribe", topic: topics.slice(i, i + 40) });
    for (let i = 0; i < 200; i++) expect(await stub.publish(`topic/${i}`, { i })).toBe(1);
    for (let i = 0; i < 200; i++) expect(await many.nextJson()).toEqual({ i });
    expect((await whoami(many)).topics).toEqual(topics);
  });

  it("matches wildcard subscriptions: * is one segment, a final ** one or more", async () => {
    const stub = room("wildcards");
    const patterns: Record<string, string> = { exact: "room/a", one: "room/*", rest: "room/**", all: "**", any: "*/a" };
    const sockets: Record<string, TestSocket> = {};
    for (const [name, pattern] of Object.entries(patterns)) {
      sockets[name] = await join(stub, `name=${name}&lobby=0`);
      await command(sockets[name]!, { op: "subscribe", topic: pattern });
    }
    const table: [topic: string, receivers: string[]][] = [
      ["room/a", ["all", "any", "exact", "one", "rest"]],
      ["room/b", ["all", "one", "rest"]],
      ["room/a/b", ["all", "rest"]],
      ["room", ["all"]],
      ["x/a", ["all", "any"]],
      ["x/y/z", ["all"]],
    ];
    for (const [topic, receivers] of table) {
      expect(await stub.connectionNames(topic), topic).toEqual(receivers);
      expect(await stub.publish(topic, { topic }), topic).toBe(receivers.length);
      for (const name of receivers) expect(await sockets[name]!.nextJson(), `${name} on ${topic}`).toEqual({ topic });
    }
    for (const socket of Object.values(sockets)) expect(socket.pending()).toEqual([]);
    // A pattern lists every connection that could receive some topic it matches.
    expect(await stub.connectionNames("room/*/b")).toEqual(["all", "rest"]);
  });

  it("refuses invalid topics and patterns with coded errors, changing nothing", async () => {
    const stub = room("errors");
    const member = await join(stub, "name=m&presence=0");
    expect(await stub.errorCode("publish-pattern")).toBe("TOPIC_INVALID");
    expect(await stub.errorCode("subscribe-bad")).toBe("TOPIC_INVALID");
    expect(await stub.errorCode("presence-pattern")).toBe("PRESENCE_ON_PATTERN");
    expect(await stub.errorCode("huge-state")).toBe("ATTACHMENT_TOO_LARGE");
    const me = await whoami(member);
    expect(me.state).toEqual({ name: "m" });
    expect(me.topics).toEqual(["room/lobby"]);
  });
});

describe("presence", () => {
  it("announces join, update and leave to the topic's other subscribers", async () => {
    const stub = room("presence");
    const ada = await join(stub, "name=ada");
    const bea = await join(stub, "name=bea");
    const joined: Presence = await ada.nextJson();
    expect(joined).toMatchObject({ type: "presence", topic: "room/lobby", event: "join", state: { name: "bea" } });
    const beaId = joined.id;

    await command(bea, { op: "state", state: { mood: "curious" } });
    expect(await ada.nextJson()).toEqual({ type: "presence", topic: "room/lobby", event: "update", id: beaId, state: { name: "bea", mood: "curious" } });
    expect((await stub.presenceOf("room/lobby")).map((member) => member.state)).toEqual([{ name: "ada" }, { name: "bea", mood: "curious" }]);

    // A subscriber without presence is not announced.
    const quiet = await join(stub, "name=quiet&presence=0");
    await whoami(quiet);
    expect(ada.pending()).toEqual([]);

    // Leaving the topic is a leave; so is disconnecting.
    await command(bea, { op: "unsubscribe", topic: "room/lobby" });
    expect(await ada.nextJson()).toMatchObject({ event: "leave", id: beaId });
    const cyd = await join(stub, "name=cyd");
    const cydJoined: Presence = await ada.nextJson();
    expect(cydJoined).toMatchObject({ event: "join", state: { name: "cyd" } });
    cyd.close(1001, "gone");
    expect(await ada.nextJson()).toMatchObject({ event: "leave", id: cydJoined.id, state: { name: "cyd" } });
    // The quiet member is a subscriber too, so it hears every presence change after it joined.
    expect(await quiet.nextJson()).toMatchObject({ event: "leave", id: beaId });
    expect(await quiet.nextJson()).toMatchObject({ event: "join", id: cydJoined.id });
    expect(await quiet.nextJson()).toMatchObject({ event: "leave", id: cydJoined.id });
    expect((await stub.presenceOf("room/lobby")).map((member) => member.state?.name)).toEqual(["ada"]);
    expect((await stub.closes()).map((row) => row.id)).toContain(cydJoined.id);
  });

  it("announces a leave when the server closes a connection", async () => {
    const stub = room("server-close");
    const ada = await join(stub, "name=ada");
    const bea = await join(stub, "name=bea");
    const joined: Presence = await ada.nextJson();
    bea.send({ op: "close", code: 4000, reason: "kicked" });
    expect(await bea.closed).toMatchObject({ code: 4000, reason: "kicked" });
    expect(await ada.nextJson()).toMatchObject({ event: "leave", id: joined.id });
    expect(await stub.count()).toBe(1);
  });
});

describe("hibernation", () => {
  it("keeps topics, state and presence across an eviction with open sockets", async () => {
    const stub = room("hibernate");
    const ada = await join(stub, "name=ada");
    const bea = await join(stub, "name=bea");
    const beaId = ((await ada.nextJson()) as Presence).id;
    await command(bea, { op: "subscribe", topic: "news/*" });
    await command(bea, { op: "state", state: { mood: "sleepy" } });
    expect(await ada.nextJson()).toMatchObject({ event: "update" });

    await hibernate(stub);

    // The first event after the wake rebuilds the index from the sockets' attachments.
    expect(await stub.publish("news/today", { headline: "woke up" })).toBe(1);
    expect(await bea.nextJson()).toEqual({ headline: "woke up" });
    expect(await stub.stateOf(beaId)).toEqual({ state: { name: "bea", mood: "sleepy" }, topics: ["room/lobby", "news/*"] });
    expect((await stub.presenceOf("room/lobby")).map((member) => member.state?.name)).toEqual(["ada", "bea"]);

    ada.send({ op: "say", text: "still here?" });
    expect(await ada.nextJson()).toEqual({ type: "ok", op: "say" });
    expect(await bea.nextJson()).toEqual({ from: "ada", text: "still here?" });

    await hibernate(stub);
    // A disconnect is the first event after this wake: the peers still hear the leave.
    bea.close();
    expect(await ada.nextJson()).toMatchObject({ event: "leave", id: beaId, state: { name: "bea", mood: "sleepy" } });
  });
});

describe("limits and failures", () => {
  it("after a wake, closes a socket whose attachment has the wrong shape with 1011, and the rest of the room works", async () => {
    const stub = room("bad-attachment");
    const ada = await join(stub, "name=ada");
    const bea = await join(stub, "name=bea");
    await ada.nextJson(); // bea's join
    await runInDurableObject(stub, (_instance, state) => {
      for (const ws of state.getWebSockets()) {
        const attachment = ws.deserializeAttachment() as { state: { name: string }; subs: unknown[] };
        // Written by other code (or an older version): durable-core's marker, subscriptions it cannot read.
        if (attachment.state.name === "bea") ws.serializeAttachment({ ...attachment, subs: [[42, "not a flag"]] });
      }
    });
    await hibernate(stub);
    expect(await stub.publish("room/lobby", { text: "after the wake" })).toBe(1);
    expect(await ada.nextJson()).toEqual({ text: "after the wake" });
    expect(await bea.closed).toMatchObject({ code: 1011 });
    expect(await stub.count()).toBe(1);
  });

  it("closes an oversize message with 1009, a flood with 1008, and keeps the others working", async () => {
    const stub = room("limits");
    const steady = await join(stub, "name=steady&lobby=0");
    const big = await join(stub, "name=big&lobby=0");
    big.send("x".repeat(2_000));
    expect(await big.closed).toMatchObject({ code: 1009 });

    const flood = await join(stub, "name=flood&lobby=0");
    for (let i = 0; i < 40; i++) flood.send({ op: "noop" });
    expect(await flood.closed).toMatchObject({ code: 1008, reason: "rate limited" });

    expect((await whoami(steady)).state).toEqual({ name: "steady" });
    expect(await stub.count()).toBe(1);
  });

  it("reports invalid JSON through onError without closing anything", async () => {
    const stub = room("bad-json");
    const sender = await join(stub, "name=sender&lobby=0");
    const other = await join(stub, "name=other&lobby=0");
    sender.send("{not json");
    expect(await sender.nextJson()).toMatchObject({ type: "error" });
    expect((await whoami(sender)).state).toEqual({ name: "sender" });
    expect((await whoami(other)).state).toEqual({ name: "other" });
  });

  it("accepts nothing when onBeforeConnect refuses", async () => {
    const stub = room("refused");
    await expect(join(stub, "name=mallory&token=bad")).rejects.toMatchObject({ status: 401 });
    expect(await stub.count()).toBe(0);
  });

  it("refuses an out-of-range rateLimit at the first use of this.sockets, with SOCKETS_OPTIONS_INVALID", async () => {
    const stub = room("options");
    for (const rateLimit of [
      { messages: 0, perMs: 1000 },
      { messages: 20, perMs: 0 },
      { messages: 1.5, perMs: 1000 },
      { messages: 20, perMs: 2 ** 32 },
      { messages: -1, perMs: 1000 },
      { messages: "20", perMs: 1000 },
      { messages: 20 },
      null,
    ] as never[]) {
      expect(await stub.socketsOptionsError({ rateLimit }), JSON.stringify(rateLimit)).toBe("SOCKETS_OPTIONS_INVALID");
    }
    expect(await stub.socketsOptionsError({ rateLimit: { messages: 1, perMs: 2 ** 32 - 1 } })).toBeUndefined();
    expect(await stub.socketsOptionsError({ autoResponse: ["ping"] })).toBe("SOCKETS_OPTIONS_INVALID");
  });

  it("keeps the rate limit on the handle made after an engine reset", async () => {
    const stub = room("rate-after-reset");
    const steady = await join(stub, "name=steady&lobby=0");
    await whoami(steady);
    expect(await stub.trap()).toBe("ENGINE_RESET");
    const flood = await join(stub, "name=flood&lobby=0");
    for (let i = 0; i < 40; i++) flood.send({ op: "noop" });
    expect(await flood.closed).toMatchObject({ code: 1008, reason: "rate limited" });
    expect((await whoami(steady)).state).toEqual({ name: "steady" });
  });

  it("refuses a message JSON cannot encode with MESSAGE_INVALID and sends nothing", async () => {
    const stub = room("unencodable");
    const member = await join(stub, "name=member&presence=0");
    expect(await stub.unencodableMessageErrors()).toEqual(["MESSAGE_INVALID", "MESSAGE_INVALID", "MESSAGE_INVALID", "MESSAGE_INVALID"]);
    // Nothing was sent, and the connection is still open: its next message is the answer.
    expect((await whoami(member)).state).toEqual({ name: "member" });
    expect(member.pending()).toEqual([]);
    expect(await stub.count()).toBe(1);
  });

  it("skips a closing socket in publish and broadcast", async () => {
    const stub = room("closing");
    const stays = await join(stub, "name=stays&presence=0");
    const leaving = await join(stub, "name=leaving&presence=0");
    const { id } = await whoami(leaving);
    // Skipped, not a failed send: the connection stays until its close event removes it.
    expect(await stub.sendWhileClosing(id, "room/lobby")).toEqual({ published: 1, broadcast: 1, count: 2 });
    expect(await stays.next()).toBe("published");
    expect(await stays.next()).toBe("broadcast");
    expect(await leaving.closed).toMatchObject({ code: 4000 });
    expect(leaving.pending()).toEqual([]);
    await vi.waitFor(async () => expect(await stub.closes()).toMatchObject([{ id, code: 4000 }]));
    expect(await stub.count()).toBe(1);
  });

  it("sends to a socket whose peer has closed, before its close event, without harm", async () => {
    const stub = room("peer-closed");
    const stays = await join(stub, "name=stays&presence=0");
    const leaving = await join(stub, "name=leaving&presence=0");
    const { id } = await whoami(leaving);
    await stub.publishWhenPeerCloses("room/lobby");
    leaving.close(4001, "bye");
    await vi.waitFor(async () => expect(await stub.closes()).toMatchObject([{ id, code: 4001, reason: "bye" }]));
    // The publish ran in the close event with the closing socket still in the hub: CLOSING from
    // the peer's side, and sent to like an open one, without a throw or a failed send.
    expect(await stub.peerCloseProbe()).toEqual({ readyState: 2, published: 2, count: 2 });
    expect(await stays.next()).toBe("to-peer-closed");
    // The close completes as the peer asked, and the room carries on.
    expect(await leaving.closed).toMatchObject({ code: 4001, reason: "bye" });
    expect(await stub.count()).toBe(1);
    expect(await stub.publish("room/lobby", "after")).toBe(1);
    expect(await stays.next()).toBe("after");
    expect(stays.pending()).toEqual([]);
  });

  it("answers the autoResponse pair", async () => {
    const stub = room("auto-response");
    const socket = await join(stub, "name=pinger&lobby=0");
    socket.send("ping");
    expect(await socket.next()).toBe("pong");
  });
});
