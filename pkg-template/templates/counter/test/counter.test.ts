import { env, exports } from "cloudflare:workers";
import { evictDurableObject, runInDurableObject } from "cloudflare:test";
import { expectCode } from "durable-core/testing";
import { describe, expect, it } from "vitest";

const request = (method: string, name: string) => exports.default.fetch(`https://counter.test/${name}`, { method });

describe("Counter", () => {
  it("counts hits per name through the Worker", async () => {
    expect(await (await request("POST", "a")).json()).toEqual({ hits: 1 });
    expect(await (await request("POST", "a")).json()).toEqual({ hits: 2 });
    expect(await (await request("POST", "b")).json()).toEqual({ hits: 1 });
    expect(await (await request("GET", "a")).json()).toEqual({ hits: 2 });
    expect((await request("PUT", "a")).status).toBe(405);
  });

  it("answers RPC calls, and keeps its count when the object is evicted", async () => {
    const counter = env.COUNTER.getByName("rpc");
    const before = Date.now();
    expect(await counter.hit()).toBe(1);
    expect(await counter.hit()).toBe(2);
    await evictDurableObject(counter);
    expect(await counter.count()).toBe(2);
    expect(await counter.countSince(before)).toBe(2);
    expect(await counter.countSince(Date.now() + 60_000)).toBe(0);
    expect(await counter.reset()).toBe(2);
    expect(await counter.count()).toBe(0);
  });

  it("applies its migrations once, in order", async () => {
    const counter = env.COUNTER.getByName("schema");
    await counter.hit();
    const indexes = await runInDurableObject(counter, (_obj, state) =>
      state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'hits'").toArray(),
    );
    expect(indexes).toEqual([{ name: "hits_at" }]);
  });

  it("reports a query that finds no row with a durable-core error code", async () => {
    const counter = env.COUNTER.getByName("errors");
    await runInDurableObject(counter, async (obj) => {
      await expectCode(() => obj.sql.one`SELECT at FROM hits`, "SQL_NOT_ONE");
    });
  });
});
