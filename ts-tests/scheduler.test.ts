import { env } from "cloudflare:workers";
import { abortAllDurableObjects, evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { DurableCoreError } from "durable-core";
import { alarmWriteCount, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";

const HOUR = 3_600_000;
/** The scheduler's run loop, as alarm() calls it (internal; `now` and `maxTasks` for tests). */
const runLoop = Symbol.for("durable-core.scheduler.runDueTasks");
type RunLoop = (options?: { now?: number; maxTasks?: number }) => Promise<{ id: string; ok: boolean }[]>;

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 100 && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    return (error as DurableCoreError).code;
  }
  return undefined;
}

describe("scheduling", () => {
  it("returns tasks synchronously and lists, gets and cancels them", async () => {
    const stub = env.TASKS.getByName("basics");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      const a = o.scheduler.at(new Date(now + HOUR), "record", { n: 1 }, { id: "renewal" });
      expect(a).toMatchObject({ id: "renewal", method: "record", payload: { n: 1 }, due: now + HOUR, kind: "at", attempts: 0 });
      const b = o.scheduler.after(30_000, "record", { n: 2 });
      expect(b.id).toMatch(/^[0-9a-f]{24}$/);
      expect(b.due).toBeGreaterThanOrEqual(now + 30_000);
      const c = o.scheduler.every(60_000, "record", undefined, { id: "tick" });
      expect(c.kind).toBe("every");
      const d = o.scheduler.cron("0 9 * * MON", "record", undefined, { id: "digest", timezone: "Europe/Paris" });
      expect(new Date(d.due).getUTCDay()).toBe(1);
      expect(o.scheduler.list().map((t) => t.id)).toEqual([b.id, "tick", "renewal", "digest"].sort((x, y) => {
        const due = (id: string) => o.scheduler.get(id)!.due;
        return due(x) - due(y);
      }));
      expect(o.scheduler.list({ limit: 2 }).length).toBe(2);
      expect(o.scheduler.get("renewal")?.payload).toEqual({ n: 1 });
      expect(o.scheduler.cancel("renewal")).toBe(true);
      expect(o.scheduler.cancel("renewal")).toBe(false);
      expect(o.scheduler.get("renewal")).toBeUndefined();
    });
  });

  // Short ASCII texts cross into the INSERT as char codes (text_to_js in src/wasm/interop.rs).
  // Fails if the padding past a text shorter than 24 units is kept, or a NUL ends the text.
  it("stores ids and time zones of every length exactly, NUL and non-ASCII ones too", async () => {
    const stub = env.TASKS.getByName("id-texts");
    await runInDurableObject(stub, (o, state) => {
      const ids = ["a", "x".repeat(23), "y".repeat(24), "z".repeat(25), "nul\u0000inside", "\u0000", "ends\u0000", "é-accent", "0".repeat(64)];
      for (const id of ids) expect(o.scheduler.after(HOUR, "record", { id }, { id }).id).toBe(id);
      const zoned = o.scheduler.cron("0 9 * * *", "record", undefined, { id: "zoned", timezone: "Europe/Paris" });
      const generated = o.scheduler.after(HOUR, "record");
      const stored = state.storage.sql.exec<{ id: string; timezone: string | null }>("SELECT id, timezone FROM _dc_tasks").toArray();
      expect(stored.map((row) => row.id).sort()).toEqual([...ids, "zoned", generated.id].sort());
      expect(stored.find((row) => row.id === "zoned")?.timezone).toBe("Europe/Paris");
      expect(generated.id).toMatch(/^[0-9a-f]{24}$/);
      for (const id of [...ids, zoned.id, generated.id]) expect(o.scheduler.get(id)?.id).toBe(id);
    });
  });

  it("replaces by id, never duplicates", async () => {
    const stub = env.TASKS.getByName("replace");
    await runInDurableObject(stub, (o) => {
      for (let i = 0; i < 5; i++) o.scheduler.after(1000 * (i + 1), "record", { i }, { id: "same" });
      expect(o.count("_dc_tasks")).toBe(1);
      expect(o.scheduler.get("same")?.payload).toEqual({ i: 4 });
    });
  });

  it("returns the stored form of the payload from at/after/every/cron, as get and list do", async () => {
    const stub = env.TASKS.getByName("payload-form");
    await runInDurableObject(stub, (o) => {
      const when = new Date(0);
      const tasks = [
        o.scheduler.at(Date.now() + HOUR, "record", { when, gone: undefined }),
        o.scheduler.after(HOUR, "record", { when }),
        o.scheduler.every(HOUR, "record", { when }),
        o.scheduler.cron("0 9 * * MON", "record", { when }),
      ];
      for (const task of tasks) {
        expect(task.payload).toEqual({ when: "1970-01-01T00:00:00.000Z" });
        expect(task.payload).toEqual(o.scheduler.get(task.id)!.payload);
      }
    });
  });

  it("refuses bad input with a code and persists nothing", async () => {
    const stub = env.TASKS.getByName("errors");
    await runInDurableObject(stub, (o) => {
      const s = o.scheduler;
      expect(codeOf(() => s.after(10, "nope" as never))).toBe("TASK_METHOD");
      expect(codeOf(() => s.after(10, "record", { big: 10n }))).toBe("TASK_PAYLOAD");
      const cyclic: Record<string, unknown> = {};
      cyclic.self = cyclic;
      expect(codeOf(() => s.after(10, "record", cyclic))).toBe("TASK_PAYLOAD");
      expect(codeOf(() => s.after(10, "record", () => 1))).toBe("TASK_PAYLOAD");
      expect(codeOf(() => s.every(0, "record"))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.every(-5, "record"))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.at(Number.NaN, "record"))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.at(new Date("not a date"), "record"))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.after(Number.POSITIVE_INFINITY, "record"))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.after(10, "record", undefined, { retry: { attempts: 0 } }))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.cron("0 9 * * FUNDAY", "record"))).toBe("CRON_INVALID");
      expect(codeOf(() => s.cron("0 0 30 2 *", "record"))).toBe("CRON_INVALID");
      expect(codeOf(() => s.cron("0 9 * *", "record"))).toBe("CRON_INVALID");
      expect(codeOf(() => s.cron("0 9 * * MON", "record", undefined, { timezone: "Mars/Base" }))).toBe("CRON_TIMEZONE");
      let message = "";
      try {
        s.cron("0 25 * * *", "record");
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toContain("hour");
      expect(o.count("_dc_tasks")).toBe(0);
    });
    expect(await stub.alarmTime()).toBeNull();
  });
});

describe("running", () => {
  it("fires 1,000 mixed tasks in due order exactly once", async () => {
    const stub = env.TASKS.getByName("thousand");
    const expected = await runInDurableObject(stub, (o) => {
      const now = Date.now();
      const ids: { id: string; due: number }[] = [];
      for (let i = 0; i < 1000; i++) {
        const offset = ((i * 7919) % 1000) * 1000;
        const task =
          i % 3 === 0
            ? o.scheduler.at(now + offset, "record", { i })
            : i % 3 === 1
              ? o.scheduler.after(offset, "record", { i }, { id: `after-${i}` })
              : o.scheduler.at(now + offset, "recordLater", { i }, { id: `later-${i}` });
        ids.push({ id: task.id, due: task.due });
      }
      return ids.sort((a, b) => a.due - b.due || (a.id < b.id ? -1 : 1)).map((t) => t.id);
    });
    const runs = await runDueTasks(stub, { until: Date.now() + 2_000_000 });
    expect(runs.every((r) => r.ok)).toBe(true);
    const recorded = (await stub.runs()).map((r) => r.id);
    expect(recorded).toEqual(expected);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("with handlers failing at random, every task ends succeeded or dead; none lost, none run after cancel", async () => {
    const stub = env.TASKS.getByName("flaky");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      for (let i = 0; i < 200; i++) {
        o.scheduler.at(now - 1000 + i, "flaky", { p: 0.5 }, { id: `f-${i}`, retry: { attempts: 3, backoffMs: 10, jitter: false } });
      }
      // Cancelled before it runs, and one cancelled by an earlier handler of the same batch.
      o.scheduler.at(now - 5000, "record", {}, { id: "cancelled" });
      o.scheduler.cancel("cancelled");
      o.scheduler.at(now - 2000, "cancelOther", { id: "victim" }, { id: "killer" });
      o.scheduler.at(now - 1999, "record", {}, { id: "victim" });
    });
    await runDueTasks(stub, { until: Date.now() + 60_000 });
    const succeeded = new Set((await stub.runs()).filter((r) => r.method === "flaky").map((r) => r.id));
    const dead = new Set((await stub.deadLog()).map((d) => d.id));
    for (let i = 0; i < 200; i++) {
      const id = `f-${i}`;
      expect(succeeded.has(id) !== dead.has(id), id).toBe(true);
    }
    expect(dead.size).toBeGreaterThan(0);
    expect(await stub.count("_dc_dead_tasks")).toBe(dead.size);
    const ids = (await stub.runs()).map((r) => r.id);
    expect(ids).not.toContain("cancelled");
    expect(ids).not.toContain("victim");
    expect(ids).toContain("killer");
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("retries with backoff, then dead-letters, calls onTaskFailed, and retryFailed revives", async () => {
    const stub = env.TASKS.getByName("dead");
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(Date.now() - 10, "alwaysFails", { x: 1 }, { id: "doomed", retry: { attempts: 2, backoffMs: 50, jitter: false } });
    });
    const runs = await runDueTasks(stub, { until: Date.now() + 10_000 });
    expect(runs.map((r) => [r.attempt, r.ok, r.dead ?? false])).toEqual([
      [1, false, false],
      [2, false, true],
    ]);
    expect(await stub.deadLog()).toEqual([{ id: "doomed", error: "Error: always fails (doomed)" }]);
    await runInDurableObject(stub, (o) => {
      const failed = o.scheduler.failed();
      expect(failed).toMatchObject([{ id: "doomed", payload: { x: 1 }, attempts: 2, error: "always fails (doomed)" }]);
      expect(o.scheduler.retryFailed("doomed")?.attempts).toBe(0);
      expect(o.scheduler.failed()).toEqual([]);
    });
  });

  it("runs through the real alarm, re-arming only when the earliest due time changes", async () => {
    const stub = env.TASKS.getByName("alarm");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      for (let i = 0; i < 100; i++) o.scheduler.at(now + HOUR + i, "record", { i });
    });
    expect(await alarmWriteCount(stub)).toBe(1);
    const first = await runInDurableObject(stub, (o) => o.scheduler.list({ limit: 1 })[0]!.due);
    expect(await stub.alarmTime()).toBe(first);
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(Date.now() - 1, "record", { early: true }, { id: "early" });
    });
    expect(await alarmWriteCount(stub)).toBe(2);
    // The platform may fire the past-due alarm on its own before this runs it.
    await runDurableObjectAlarm(stub);
    for (let i = 0; i < 50 && (await stub.runs()).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect((await stub.runs()).map((r) => r.id)).toEqual(["early"]);
    expect(await stub.alarmTime()).toBe(first);
  });

  it("schedules payloads around the binding's lending threshold and near the size limit, and delivers each whole", async () => {
    // The payload is bound as the caller's JS string (lent, src/wasm/backend.rs) and moved, not
    // copied, into the core's binding (src/scheduler/queue.rs): payload texts of 64 and 65 bytes
    // (the backend keeps texts up to 64), multi-byte characters, and 1.9 MB.
    const stub = env.TASKS.getByName("large-payloads");
    const texts = ["é".repeat(26) + "x", "é".repeat(27), `ü€${"x".repeat(100)}😀`, `€${"y".repeat(1_900_000)}😀`];
    const scheduled = await runInDurableObject(stub, (o) => {
      const now = Date.now();
      return texts.map((text, i) => {
        const task = i % 2 === 0 ? o.scheduler.at(now + 1000 + i, "record", { text }) : o.scheduler.after(1000 + i, "record", { text });
        expect(task.payload).toEqual({ text });
        expect(o.scheduler.get(task.id)?.payload).toEqual({ text });
        return task.id;
      });
    });
    const runs = await runDueTasks(stub, { until: Date.now() + 10_000 });
    expect(runs.every((r) => r.ok)).toBe(true);
    const recorded = await stub.payloads();
    const byId = new Map(recorded.map((r) => [r.id, JSON.parse(r.payload).text]));
    expect(recorded.length).toBe(texts.length);
    expect(scheduled.map((id) => byId.get(id))).toEqual(texts);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });
});

describe("review fixes", () => {
  it("a task scheduled in a rolled-back transaction does not keep re-arming the alarm", async () => {
    const stub = env.TASKS.getByName("ghost");
    const due = await runInDurableObject(stub, (o) => {
      const real = o.scheduler.at(Date.now() + HOUR, "record", {}, { id: "real" });
      o.scheduleThenRollBack(Date.now() - 1);
      expect(o.scheduler.get("ghost")).toBeUndefined();
      return real.due;
    });
    await runInDurableObject(stub, (o) => (o.scheduler as unknown as Record<symbol, RunLoop>)[runLoop]!());
    await waitFor(async () => (await stub.alarmTime()) === due);
    expect(await stub.alarmTime()).toBe(due);
  });

  it("re-arms the alarm when the object got a new engine handle during alarm()", async () => {
    const stub = env.TASKS.getByName("new-handle");
    const later = await runInDurableObject(stub, (o) => {
      o.scheduler.at(Date.now() - 1, "trapOnce", {}, { id: "trapper" });
      return o.scheduler.at(Date.now() + HOUR, "record", {}, { id: "later" }).due;
    });
    // The platform fires the past-due alarm on its own; this runs it if it has not yet.
    await runDurableObjectAlarm(stub);
    await waitFor(async () => (await stub.runs()).length > 0 && (await stub.alarmTime()) === later);
    expect((await stub.runs()).map((r) => r.id)).toEqual(["trapper"]);
    expect(await stub.alarmTime()).toBe(later);
    expect(await stub.count("_dc_tasks")).toBe(1);
  });

  it("a handler that succeeded whose ack fails is not a failure: it is delivered again", async () => {
    const stub = env.TASKS.getByName("ack-fails");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(now + HOUR, "blockFirstAck", {}, { id: "blocked" });
    });
    const runs = await runDueTasks(stub, { until: now + 2 * HOUR });
    expect(runs.map((r) => [r.attempt, r.ok])).toEqual([
      [1, true],
      [2, true],
    ]);
    expect(await stub.deadLog()).toEqual([]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("one alarm() runs at most 1,000 handlers, then re-arms at once for the rest", async () => {
    const stub = env.TASKS.getByName("task-cap");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      for (let i = 0; i < 1200; i++) o.scheduler.at(now + HOUR + i, "record", { i });
    });
    const ran = await runInDurableObject(stub, (o) =>
      (o.scheduler as unknown as Record<symbol, RunLoop>)[runLoop]!({ now: now + 2 * HOUR }),
    );
    expect(ran.length).toBe(1000);
    expect(await stub.count("_dc_tasks")).toBe(200);
    expect(await stub.alarmTime()).toBe(now + HOUR + 1000);
  });

  it("an object killed during the first task of a batch: that task is confirmed alone, the others run, none is dead-lettered", async () => {
    const stub = env.TASKS.getByName("batch-death");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      for (let i = 0; i < 5; i++) {
        // One due time (ties run by id): the five are claimed, and counted, in one batch.
        o.scheduler.at(now + HOUR, i === 0 ? "hangOnce" : "record", { i }, { id: `b-${i}`, retry: { attempts: 1 } });
      }
    });
    const killed = runDueTasks(stub, { until: now + 2 * HOUR }).then(
      () => "finished",
      () => "killed",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await abortAllDurableObjects();
    expect(await killed).toBe("killed");
    const revived = env.TASKS.getByName("batch-death");
    await runDueTasks(revived, { until: now + 2 * HOUR });
    // b-0 runs alone first (if it ended the invocation again it would be dead-lettered), with
    // attempt 2: it may have run before. The others never started: the isolate remembers it
    // (scheduler-run.ts, `interrupted`), so they get their count back and run on attempt 1
    // (they had attempt 2 on 41c4ff7).
    expect((await revived.runs()).map((r) => [r.id, r.attempt])).toEqual([
      ["b-0", 2],
      ["b-1", 1],
      ["b-2", 1],
      ["b-3", 1],
      ["b-4", 1],
    ]);
    expect(await revived.deadLog()).toEqual([]);
    expect(await revived.count("_dc_tasks")).toBe(0);
  });
});

describe("restarts", () => {
  it("onStart registering every/cron on every wake leaves one task each, at its first due time", async () => {
    const stub = env.TICKER.getByName("ticker");
    const before = await stub.tasks();
    expect(before.map((t) => t.id).sort()).toEqual(["digest", "tick"]);
    for (let i = 0; i < 3; i++) {
      await evictDurableObject(stub);
      const after = await stub.tasks();
      expect(after).toEqual(before);
    }
  });

  it("re-arms the alarm after a restart when it was lost", async () => {
    const stub = env.TASKS.getByName("rearm");
    const due = await runInDurableObject(stub, (o) => o.scheduler.after(HOUR, "record", {}).due);
    await stub.dropAlarm();
    expect(await stub.alarmTime()).toBeNull();
    await evictDurableObject(stub);
    expect(await stub.alarmTime()).toBe(due);
  });

  it("an object killed mid-batch runs the remaining tasks later; the killed one again", async () => {
    const stub = env.TASKS.getByName("killed");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      for (let i = 0; i < 10; i++) o.scheduler.at(now - 100 + i, i === 4 ? "hangOnce" : "record", { i }, { id: `k-${i}` });
    });
    const killed = runDueTasks(stub).then(
      () => "finished",
      () => "killed",
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    await abortAllDurableObjects();
    expect(await killed).toBe("killed");
    // A stub outlives nothing of an aborted object: take a new one (the object restarts).
    const revived = env.TASKS.getByName("killed");
    // The restarted object re-arms its alarm on wake and the platform runs the rest on its own;
    // runDueTasks covers the case where that alarm has not fired yet.
    for (let i = 0; i < 50 && (await revived.runs()).length < 10; i++) await new Promise((r) => setTimeout(r, 20));
    await runDueTasks(revived);
    const runs = await revived.runs();
    const ids = new Set(runs.map((r) => r.id));
    for (let i = 0; i < 10; i++) expect(ids.has(`k-${i}`), `k-${i}`).toBe(true);
    expect(runs.map((r) => r.id)).toEqual(["k-0", "k-1", "k-2", "k-3", "k-4", "k-5", "k-6", "k-7", "k-8", "k-9"]);
    // The task the object died under was delivered a second time, and says so.
    expect(runs.find((r) => r.id === "k-4")!.attempt).toBe(2);
    expect(await revived.count("_dc_tasks")).toBe(0);
  });
});
