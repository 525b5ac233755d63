import { env } from "cloudflare:workers";
import { connect, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";
import type { ResetSnapshot } from "./fixtures/reset.js";

const object = (name: string) => env.RESETTABLE.getByName(name);
const snapshot = async (stub: ReturnType<typeof object>): Promise<ResetSnapshot> => (await stub.snapshot()) as ResetSnapshot;

describe("this.deleteAll()", () => {
  it("clears storage, the alarm and every cache, re-runs the migrations, and the object carries on as new", async () => {
    const stub = object("reset");
    const ada = await connect(stub, "https://reset.test/ws?name=ada");
    await stub.seed("ada");
    const before = await snapshot(stub);
    expect(before).toMatchObject({ items: ["ada"], entries: 1, byOwner: { ada: ["item", "ada"] }, tasks: ["tick-ada"], connections: 1, starts: 1 });
    expect(before.alarm).not.toBeNull();

    await stub.reset();

    const after = await snapshot(stub);
    // Same schema as a new object, nothing in it, no alarm; onStart ran again.
    expect(after.tables).toEqual(before.tables);
    expect(after).toMatchObject({ items: [], entries: 0, byOwner: { ada: null }, tasks: [], alarm: null, starts: 2 });
    // Sockets are not storage: the connection stays, with its state and subscriptions.
    expect(after.connections).toBe(1);
    expect(after.present).toEqual(["ada"]);
    expect(await stub.publish("still here")).toBe(1);
    expect(await ada.nextJson()).toEqual({ text: "still here" });

    // Every capability works on the new storage.
    await stub.seed("bea");
    expect(await snapshot(stub)).toMatchObject({ items: ["bea"], entries: 1, byOwner: { ada: null, bea: ["item", "bea"] }, tasks: ["tick-bea"] });
    expect((await snapshot(stub)).alarm).not.toBeNull();
  });
});

describe("this.deleteAll() from a task handler", () => {
  it("resets the object; the run ends cleanly and leaves no task or alarm behind", async () => {
    const stub = object("reset-from-task");
    await stub.seed("ada");
    await stub.scheduleReset();
    const runs = await runDueTasks(stub);
    expect(runs.map((run) => [run.method, run.ok])).toEqual([["resetFromTask", true]]);
    const after = await snapshot(stub);
    expect(after).toMatchObject({ items: [], entries: 0, tasks: [], alarm: null, starts: 2 });
    await stub.seed("bea");
    expect((await snapshot(stub)).tasks).toEqual(["tick-bea"]);
  });
});

describe("a raw ctx.storage.deleteAll()", () => {
  it.each(["index", "sql", "schedule"] as const)(
    "makes the next %s call fail with STORAGE_RESET naming this.deleteAll(), then the object recovers",
    async (op) => {
      const stub = object(`raw-${op}`);
      await stub.seed("ada");
      await stub.rawDeleteAll();
      const failed = await stub.attempt(op);
      expect(failed).toMatchObject({ code: "STORAGE_RESET" });
      expect((failed as { message: string }).message).toContain("this.deleteAll()");
      expect((failed as { message: string }).message).not.toContain("no such table");

      // The next call finds the schema re-created, as on a new object.
      expect(await stub.attempt(op)).toHaveProperty("ok");
      expect(await stub.attempt("indexed-put")).toEqual({ ok: true });
      const state = await snapshot(stub);
      expect(state.tables).toContain("items");
      expect(state.byOwner).toEqual({ ada: null, bea: null });
      expect(state.starts).toBe(2);
    },
  );
});

describe("a raw ctx.storage.deleteAll() after an index lookup was cached", () => {
  it("is not hidden by the read cache: the next index call fails with STORAGE_RESET, then the object recovers", async () => {
    const stub = object("raw-cached-index");
    await stub.seed("ada");
    // A turn after the write: this lookup fills the isolate's read cache.
    expect((await snapshot(stub)).byOwner).toEqual({ ada: ["item", "ada"], bea: null });
    await stub.rawDeleteAll();
    expect(await stub.attempt("index")).toMatchObject({ code: "STORAGE_RESET" });
    expect(await stub.attempt("index")).toEqual({ ok: null });
    expect(await stub.attempt("indexed-put")).toEqual({ ok: true });
    expect((await snapshot(stub)).starts).toBe(2);
  });
});
