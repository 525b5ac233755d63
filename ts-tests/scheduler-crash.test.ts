// An invocation that ends (ctx.abort(), an exceeded limit) in the middle of a batch: the task
// that ended it is counted, and the tasks claimed behind it get their count back.
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";

async function settle<T>(promise: Promise<T>): Promise<T | "aborted"> {
  try {
    return await promise;
  } catch {
    return "aborted";
  }
}

describe("an invocation that ends in the middle of a batch", () => {
  it("the task that ended it is counted; the tasks behind it get their count back", async () => {
    const name = "batch-dies-mid";
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      const now = Date.now();
      o.scheduler.at(now - 4000, "record", {}, { id: "before" });
      o.scheduler.at(now - 3000, "dies", { upTo: 1 }, { id: "dies" });
      o.scheduler.at(now - 2000, "record", {}, { id: "behind-1" });
      o.scheduler.at(now - 1000, "record", {}, { id: "behind-2" });
    });
    for (let i = 0; i < 8; i++) {
      // A stub of an aborted object stays broken: a fresh one each time.
      await settle(runDurableObjectAlarm(env.TASKS.getByName(name)));
      await settle(runDueTasks(env.TASKS.getByName(name)));
    }
    const stub = env.TASKS.getByName(name);
    const attempts = Object.fromEntries((await stub.runs()).map((r) => [r.id, r.attempt]));
    expect(attempts["dies"]).toBe(2);
    expect(attempts["behind-1"]).toBe(1);
    expect(attempts["behind-2"]).toBe(1);
    expect(Object.keys(attempts).sort()).toEqual(["before", "behind-1", "behind-2", "dies"]);
    expect(await stub.deadLog()).toEqual([]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("a poison task in the middle reaches dead letters; the tasks behind it run once, on their first attempt", async () => {
    const name = "batch-poison-mid";
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      const now = Date.now();
      o.scheduler.at(now - 4000, "record", {}, { id: "before" });
      o.scheduler.at(now - 3000, "dies", { upTo: 99 }, { id: "poison", retry: { attempts: 3 } });
      o.scheduler.at(now - 2000, "record", {}, { id: "behind-1" });
      o.scheduler.at(now - 1000, "record", {}, { id: "behind-2" });
    });
    for (let i = 0; i < 12; i++) await settle(runDueTasks(env.TASKS.getByName(name)));
    const stub = env.TASKS.getByName(name);
    expect((await stub.deadLog()).map((d) => d.id)).toEqual(["poison"]);
    const runs = await stub.runs();
    expect(runs.filter((r) => r.id.startsWith("behind")).map((r) => [r.id, r.attempt])).toEqual([
      ["behind-1", 1],
      ["behind-2", 1],
    ]);
    const failed = await runInDurableObject(stub, (o) => o.scheduler.failed());
    expect(failed.map((f) => [f.id, f.attempts])).toEqual([["poison", 3]]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });
});

describe("an invocation that ends in a handler the core started", () => {
  // Guards the hint: a delivery started by the core (a recurring task) must keep its count, or
  // a poison recurring task would be redelivered forever.
  it("a recurring poison task in the middle of a batch still reaches dead letters", async () => {
    const name = "batch-poison-every";
    const now = Date.now();
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      o.scheduler.at(now + 59_000, "record", {}, { id: "before" });
      o.scheduler.every(60_000, "dies", { upTo: 99 }, { id: "poison", retry: { attempts: 3 } });
      o.scheduler.at(now + 61_000, "record", {}, { id: "behind" });
    });
    for (let i = 0; i < 12; i++) await settle(runDueTasks(env.TASKS.getByName(name), { until: now + 90_000 }));
    const stub = env.TASKS.getByName(name);
    expect((await stub.deadLog()).map((d) => d.id)).toEqual(["poison"]);
    const runs = await stub.runs();
    expect(runs.filter((r) => r.id === "behind").map((r) => r.attempt)).toEqual([1]);
    const failed = await runInDurableObject(stub, (o) => o.scheduler.failed());
    expect(failed.map((f) => [f.id, f.attempts])).toEqual([["poison", 3]]);
  });
});
