import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { connect, hibernate, type TestSocket } from "durable-core/testing";
import { describe, expect, it } from "vitest";

const room = (name: string) => env.CHAT_ROOM.getByName(name);
const join = (stub: ReturnType<typeof room>, query: string) => connect(stub, `https://room.test/ws?${query}`);

async function whoami(socket: TestSocket): Promise<{ id: string; state: Record<string, unknown>; topics: string[] }> {
  socket.send({ op: "whoami" });
  return socket.nextJson();
}

/** What every socket's attachment holds, as the platform would hand it back after a wake. */
function attachmentStates(instance: object): unknown[] {
  return (instance as { ctx: DurableObjectState }).ctx.getWebSockets().map((ws) => (ws.deserializeAttachment() as { state: unknown }).state);
}

class Point {
  constructor(readonly x: number) {}
}

describe("Connection.state", () => {
  it("is a copy: changing the object passed to setState changes neither the state nor the attachment", async () => {
    const stub = room("state-copy");
    const ada = await join(stub, "name=ada");
    const bea = await join(stub, "name=bea");
    expect(await ada.nextJson()).toMatchObject({ event: "join", state: { name: "bea" } });
    await runInDurableObject(stub, (instance) => {
      const conn = instance.sockets.connections<{ name: string; tags: string[] }>().find((c) => c.state?.name === "bea")!;
      const mine = { name: "bea", tags: ["a"] };
      conn.setState(mine);
      mine.name = "mallory";
      mine.tags.push("b");
      expect(conn.state).toEqual({ name: "bea", tags: ["a"] });
      expect(attachmentStates(instance)).toContainEqual({ name: "bea", tags: ["a"] });
    });
    // Peers heard of the state as set, not of the later mutation.
    expect(await ada.nextJson()).toMatchObject({ event: "update", state: { name: "bea", tags: ["a"] } });
    await hibernate(stub);
    expect((await whoami(bea)).state).toEqual({ name: "bea", tags: ["a"] });
  });

  it("is frozen, deeply, before and after hibernation: a mutation throws and nothing diverges", async () => {
    const stub = room("state-frozen");
    const ada = await join(stub, "name=ada");
    const mutate = (instance: { sockets: { connections(): { state: any; setState(s: unknown): void }[] } }) => {
      const conn = instance.sockets.connections()[0]!;
      expect(Object.isFrozen(conn.state)).toBe(true);
      expect(() => {
        conn.state.name = "changed";
      }).toThrow(TypeError);
      expect(() => {
        conn.state.prefs.theme = "light";
      }).toThrow(TypeError);
      expect(() => conn.state.prefs.tags.push("x")).toThrow(TypeError);
      expect(conn.state).toEqual({ name: "ada", prefs: { theme: "dark", tags: ["t"] } });
    };
    await runInDurableObject(stub, (instance) => {
      instance.sockets.connections()[0]!.setState({ name: "ada", prefs: { theme: "dark", tags: ["t"] } });
      mutate(instance);
    });
    await hibernate(stub);
    // After the wake the state comes from the attachment: frozen as well.
    await runInDurableObject(stub, (instance) => mutate(instance));
    expect((await whoami(ada)).state).toEqual({ name: "ada", prefs: { theme: "dark", tags: ["t"] } });
  });

  it("refuses values that are not plain JSON data with STATE_INVALID, changing nothing and telling no peer", async () => {
    const stub = room("state-invalid");
    const ada = await join(stub, "name=ada");
    await join(stub, "name=bea");
    expect(await ada.nextJson()).toMatchObject({ event: "join" });
    const codes = await runInDurableObject(stub, (instance) => {
      const conn = instance.sockets.connections<Record<string, unknown>>().find((c) => c.state?.name === "bea")!;
      const cyclic: Record<string, unknown> = { name: "loop" };
      cyclic.self = cyclic;
      let deep: unknown = "bottom";
      for (let i = 0; i < 100; i++) deep = [deep];
      const sparse = [1, , 3];
      const bad: [string, unknown][] = [
        ["Map", { name: "bea", seen: new Map([["a", 1]]) }],
        ["Set", { name: "bea", tags: new Set(["a"]) }],
        ["Date", { name: "bea", since: new Date(0) }],
        ["function", { name: "bea", greet: () => "hi" }],
        ["class instance", { name: "bea", at: new Point(1) }],
        ["cycle", cyclic],
        ["bigint", { name: "bea", n: 1n }],
        ["symbol", { name: "bea", s: Symbol("s") }],
        ["NaN", { name: "bea", score: Number.NaN }],
        ["Infinity", { name: "bea", score: Infinity }],
        ["undefined in an array", { name: "bea", list: [undefined] }],
        ["sparse array", { name: "bea", list: sparse }],
        ["bytes", { name: "bea", data: new Uint8Array(2) }],
        ["too deep", { name: "bea", deep }],
        ["top-level Map", new Map()],
        ["top-level undefined", undefined],
      ];
      const before = JSON.stringify(attachmentStates(instance));
      const result = bad.map(([label, value]) => {
        try {
          conn.setState(value as Record<string, unknown>);
          return [label, "accepted"];
        } catch (error) {
          return [label, (error as { code?: string }).code ?? String(error)];
        }
      });
      expect(conn.state).toEqual({ name: "bea" });
      expect(JSON.stringify(attachmentStates(instance))).toBe(before);
      // Plain data passes; an undefined property is left out as JSON leaves it out.
      conn.setState({ name: "bea", nested: { list: [1, "two", null, true, { deep: [] }] }, gone: undefined });
      expect(conn.state).toEqual({ name: "bea", nested: { list: [1, "two", null, true, { deep: [] }] } });
      expect(Object.keys(conn.state!)).not.toContain("gone");
      return result;
    });
    for (const [label, code] of codes) expect(code, label).toBe("STATE_INVALID");
    // The refused states reached no peer; the accepted one did.
    expect(await ada.nextJson()).toMatchObject({ event: "update", state: { name: "bea", nested: { list: [1, "two", null, true, { deep: [] }] } } });
    expect(ada.pending()).toEqual([]);
  });

  it("names the part that is not plain data", async () => {
    const stub = room("state-message");
    await join(stub, "name=ada");
    const message = await runInDurableObject(stub, (instance) => {
      try {
        instance.sockets.connections()[0]!.setState({ name: "ada", games: [{ started: new Date(0) }] });
      } catch (error) {
        return (error as Error).message;
      }
      return "accepted";
    });
    expect(message).toContain("state.games[0].started is a Date");
  });
});
