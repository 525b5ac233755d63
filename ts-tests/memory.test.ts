import { env } from "cloudflare:workers";
import { connect, hibernate } from "durable-core/testing";
import { describe, expect, it, vi } from "vitest";

/**
 * The isolate's engine memory under many busy rooms: 2,000 objects, each with 50 sockets
 * subscribed to 20 topics (100,000 sockets, 2,000,000 subscriptions), visited round-robin.
 * Their handles do not fit the byte budget together, so visiting them evicts handles by bytes
 * and rebuilds each topic index from the sockets' attachments on the next visit, as after a
 * wake. Wasm memory must stay within the budget, and every publish must still reach its
 * object's 50 sockets: a publish after the room's handle was evicted and rebuilt.
 *
 * Faithful, and fast enough for `npm test`: the sockets are real hibernation-API sockets
 * accepted through each object's own `fetch` (`onConnect` subscribes them through the public
 * API), but their client ends live inside the object (see fixtures/memory.ts), so opening one
 * costs no round trip from the test; a round trip per socket would make 100,000 of them take
 * many minutes. What the test is about, the handles, their indexes and the rebuild from the
 * attachments, is exactly what a room with remote clients has.
 */
const OBJECTS = 2_000;
const SOCKETS = 50;
const TOPICS = 20;
const BUDGET = 8 * 1024 * 1024;
const POPULATE_IN_PARALLEL = 8;
/** The store's read cache (bounded at 8 MiB on its own) and allocator slack. */
const OUTSIDE_BUDGET = 8 * 1024 * 1024 + 4 * 1024 * 1024;

const rooms = Array.from({ length: OBJECTS }, (_, i) => env.MEMORY_ROOM.getByName(`memory-${i}`));

describe("engine memory", () => {
  it("releases the handle of a hibernated object once it has been quiet, and the object still works", async () => {
    const sleeper = env.CHAT_ROOM.getByName("quiet-sleeper");
    const sleeperId = env.CHAT_ROOM.idFromName("quiet-sleeper").toString();
    const other = env.MEMORY_ROOM.getByName("quiet-other");
    const client = await connect(sleeper, "https://room.test/ws?name=ada&presence=0");
    expect(await sleeper.count("room/lobby")).toBe(1);
    await hibernate(sleeper);
    // Hibernated: its instance is gone, but nothing told the pool, so the handle still holds its index.
    const held = (await other.stats()).handles.find((handle) => handle.id === sleeperId);
    expect(held?.bytes).toBeGreaterThan(0);
    // Half a minute later (the isolate's clock, faked), any switch between objects releases it.
    vi.useFakeTimers({ toFake: ["Date"] });
    try {
      vi.setSystemTime(Date.now() + 31_000);
      await other.count();
      await env.MEMORY_ROOM.getByName("quiet-third").count();
      expect((await other.stats()).handles.map((handle) => handle.id)).not.toContain(sleeperId);
    } finally {
      vi.useRealTimers();
    }
    // Woken, it rebuilds its index from the socket's attachment.
    expect(await sleeper.publish("room/lobby", { text: "after the release" })).toBe(1);
    expect(await client.nextJson()).toEqual({ text: "after the release" });
  });

  it(`stays within the byte budget across ${OBJECTS} rooms of ${SOCKETS} sockets x ${TOPICS} topics, and every room still works`, { timeout: 0 }, async () => {
    await rooms[0]!.setBudget(BUDGET);
    const start = await rooms[0]!.stats();
    const started = Date.now();
    // A few rooms at a time: a new object's SQLite file is mostly waiting on the disk.
    for (let i = 0; i < rooms.length; i += POPULATE_IN_PARALLEL) {
      await Promise.all(rooms.slice(i, i + POPULATE_IN_PARALLEL).map((room) => room.populate(SOCKETS, TOPICS)));
    }
    const populated = await rooms[0]!.stats();
    console.log(`populated ${OBJECTS} rooms in ${Date.now() - started} ms`, summary(populated), `(at the start: ${summary(start)})`);
    expect(populated.handleBytes).toBeLessThanOrEqual(BUDGET);
    expect(populated.memoryBytes - start.memoryBytes).toBeLessThanOrEqual(BUDGET + OUTSIDE_BUDGET);

    // Round-robin: all but the last hundred or so handles were evicted while the rooms were
    // populated, so nearly every publish rebuilds its room's index from the attachments first.
    for (let i = 0; i < rooms.length; i++) {
      expect(await rooms[i]!.publish(`room/topic-${i % TOPICS}`), `room ${i}`).toBe(SOCKETS);
    }
    const visited = await rooms[0]!.stats();
    console.log(`round done at ${Date.now() - started} ms`, summary(visited));
    expect(visited.handleBytes).toBeLessThanOrEqual(BUDGET);
    expect(visited.memoryBytes - start.memoryBytes).toBeLessThanOrEqual(BUDGET + OUTSIDE_BUDGET);
    // A second visit of every tenth room: evicted again by the round, rebuilt again.
    for (let i = 0; i < rooms.length; i += 10) expect(await rooms[i]!.publish("room/topic-0"), `room ${i}`).toBe(SOCKETS);
    // Every client end got what was published to it.
    for (let i = 0; i < rooms.length; i += 10) expect(await rooms[i]!.received(), `room ${i}`).toBe(2 * SOCKETS);
    const end = await rooms[0]!.stats();
    // The handles really were evicted: they could not all have fitted.
    expect(end.liveEngines).toBeLessThan(OBJECTS);
    expect(end.handles.length).toBe(end.liveEngines);
    const largest = Math.max(...end.handles.map((handle) => handle.bytes));
    expect(largest).toBeGreaterThan(SOCKETS * TOPICS * 20);
    expect(end.liveEngines * largest).toBeGreaterThan(BUDGET / 2);
    await rooms[0]!.setBudget(32 * 1024 * 1024);
  });
});

function summary(stats: { memoryBytes: number; liveEngines: number; handleBytes: number; readCacheBytes: number }): string {
  const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `memory ${mib(stats.memoryBytes)}, ${stats.liveEngines} handles holding ${mib(stats.handleBytes)}, read cache ${mib(stats.readCacheBytes)}`;
}
