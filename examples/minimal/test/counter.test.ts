import { exports } from "cloudflare:workers";
import { env, evictDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";

describe("the minimal example", () => {
  it("counts hits per name through the Worker, and keeps them across a restart", async () => {
    const post = (name: string) => exports.default.fetch(`https://example.com/${name}`, { method: "POST" });
    expect(await (await post("a")).json()).toEqual({ hits: 1 });
    expect(await (await post("a")).json()).toEqual({ hits: 2 });
    expect(await (await post("b")).json()).toEqual({ hits: 1 });

    await evictDurableObject(env.COUNTER.getByName("a"));
    expect(await env.COUNTER.getByName("a").count()).toBe(2);
  });
});
