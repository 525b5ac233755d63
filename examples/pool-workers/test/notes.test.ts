import { env } from "cloudflare:workers";
import { connect, expectCode, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";

describe("durable-core under @cloudflare/vitest-pool-workers 0.23.0", () => {
  it("runs SQL, the store, the scheduler and sockets, and its testing helpers work", async () => {
    const notes = env.NOTES.getByName("a");
    const socket = await connect(notes, "https://notes.test/a");
    const id = await notes.add("hello", "greeting", 60_000);
    expect(await socket.nextJson()).toEqual({ added: id, text: "hello" });
    expect(await notes.tagged("greeting")).toEqual([id]);
    expect(await notes.texts()).toEqual(["hello"]);

    const runs = await runDueTasks(notes, { until: Date.now() + 60_000 });
    expect(runs).toMatchObject([{ id: `expire/${id}`, method: "expire", ok: true }]);
    expect(await notes.texts()).toEqual([]);
    expect(await notes.tagged("greeting")).toEqual([]);
    socket.close();
  });

  it("asserts an error code over RPC without an unhandled rejection", async () => {
    await expectCode(env.NOTES.getByName("b").add("x", "t", -1), "TASK_SCHEDULE");
    expect(await env.NOTES.getByName("b").texts()).toEqual([]);
  });
});
