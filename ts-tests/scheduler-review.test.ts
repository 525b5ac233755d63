// Review of the batch run (sched2) and the covered one-shot INSERT (sched1): adversarial cases
// for a batch's marks and deferred acknowledgements. Each test says what it guards.
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";

const HOUR = 3_600_000;

async function settle<T>(promise: Promise<T>): Promise<T | "aborted"> {
  try {
    return await promise;
  } catch {
    return "aborted";
  }
}

describe("a batch's handlers under faults", () => {
  // Failed on sched2 at 044460b: the `then` getter was read outside the handler's try, so the
  // run (the alarm) threw instead of failing the task. On main `await` turns it into a rejection.
  it("a handler whose result has a throwing `then` getter fails its task, and the batch goes on", async () => {
    const stub = env.TASKS.getByName("review-bad-then");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      o.scheduler.at(now - 2000, "badThen", {}, { id: "bt", retry: { attempts: 1 } });
      o.scheduler.at(now - 1000, "record", {}, { id: "after" });
    });
    const runs = await runDueTasks(stub);
    expect(runs.map((r) => [r.id, r.ok, r.error ?? null])).toEqual([
      ["bt", false, "then of bt"],
      ["after", true, null],
    ]);
    expect((await stub.deadLog()).map((d) => d.id)).toEqual(["bt"]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  // Guards the deferred acknowledgements: a handler's queue call writes the acknowledgements of
  // the earlier tasks inside the handler's own transaction, which then rolls back.
  it("an earlier task's acknowledgement written inside a rolled-back transaction is made again", async () => {
    const stub = env.TASKS.getByName("review-early-ack-rollback");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      o.scheduler.at(now - 3000, "record", {}, { id: "first" });
      o.scheduler.at(now - 2000, "peekInRollback", { id: "first" }, { id: "second" });
      o.scheduler.at(now - 1000, "record", {}, { id: "third" });
    });
    const runs = await runDueTasks(stub);
    expect(runs.map((r) => [r.id, r.attempt, r.ok])).toEqual([
      ["first", 1, true],
      ["second", 1, true],
      ["third", 1, true],
    ]);
    expect(await stub.row("first")).toBeNull();
    expect(await stub.count("_dc_tasks")).toBe(0);
    expect(await runDueTasks(stub, { until: Date.now() + HOUR })).toEqual([]);
    expect((await stub.runs()).map((r) => r.id)).toEqual(["first", "second", "third"]);
  });

  it("a handler that postpones a later task of its batch: it does not run now, and the alarm is re-armed for it", async () => {
    const stub = env.TASKS.getByName("review-postpone-later");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      o.scheduler.at(now - 3000, "postpone", { id: "b" }, { id: "a" });
      o.scheduler.at(now - 2000, "record", {}, { id: "b" });
      o.scheduler.at(now - 1000, "record", {}, { id: "c" });
    });
    const runs = await runDueTasks(stub);
    expect(runs.map((r) => [r.id, r.ok])).toEqual([
      ["a", true],
      ["c", true],
    ]);
    const due = await runInDurableObject(stub, (o) => o.scheduler.get("b")?.due);
    expect(due).toBeGreaterThan(Date.now() + HOUR / 2);
    expect(await stub.alarmTime()).toBe(due);
    expect(await stub.row("b")).toEqual({ attempts: 0, claimed: null });
  });

  // Failed on sched2 at 044460b: the acknowledgement of `blocked` (refused by a trigger) was
  // deferred into the next handler's scheduler.after(), which threw, so `next` failed an attempt
  // for another task's storage error. On main the refused acknowledgement stops the run instead.
  it("a refused acknowledgement never fails another task's handler", async () => {
    const stub = env.TASKS.getByName("review-ack-refused");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(now - 4000, "blockFirstAck", {}, { id: "arm" });
      o.scheduler.at(now - 3000, "record", {}, { id: "blocked" });
      o.scheduler.at(now - 2000, "scheduleLater", {}, { id: "next", retry: { attempts: 1 } });
      o.scheduler.at(now - 1000, "record", {}, { id: "last" });
    });
    const first = await runDueTasks(stub);
    expect(first.filter((r) => !r.ok).map((r) => [r.id, r.error])).toEqual([]);
    const rest = await runDueTasks(stub, { until: now + HOUR });
    expect([...first, ...rest].filter((r) => !r.ok)).toEqual([]);
    expect(await stub.deadLog()).toEqual([]);
    const ran = (await stub.runs()).map((r) => r.id);
    for (const id of ["arm", "blocked", "next", "last"]) expect(ran).toContain(id);
    expect(await runInDurableObject(stub, (o) => o.scheduler.list().map((t) => t.id))).toEqual(["next-later"]);
  });

  // An acknowledgement written early inside a handler's rolled-back transaction is only made
  // again at the batch's end. On main it was made before that handler, so it was durable once a
  // later handler waited; a crash after that wait must not run the earlier task again.
  it("a crash after a later handler waited does not rerun a task whose acknowledgement a rollback undid", async () => {
    const name = "review-early-ack-crash";
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      const now = Date.now();
      o.scheduler.at(now - 4000, "record", {}, { id: "first" });
      o.scheduler.at(now - 3000, "peekInRollback", { id: "first" }, { id: "second" });
      o.scheduler.at(now - 2000, "recordLater", {}, { id: "third" });
      o.scheduler.at(now - 1000, "dies", { upTo: 1 }, { id: "fourth" });
    });
    for (let i = 0; i < 4; i++) await settle(runDueTasks(env.TASKS.getByName(name)));
    const stub = env.TASKS.getByName(name);
    const ran = (await stub.runs()).map((r) => r.id);
    expect(ran.filter((id) => id === "first")).toEqual(["first"]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("a handler that cancels a later recurring task and turns a later one-shot into a recurring one: neither runs now", async () => {
    const stub = env.TASKS.getByName("review-reshape-later");
    // All due at once (one batch, in id order): the recurring task's first due time.
    const due = await runInDurableObject(stub, (o) => {
      const due = o.scheduler.every(60_000, "record", {}, { id: "r" }).due;
      o.scheduler.at(due, "reshape", { cancel: "r", recur: "b" }, { id: "a" });
      o.scheduler.at(due, "record", {}, { id: "b" });
      o.scheduler.at(due, "record", {}, { id: "c" });
      return due;
    });
    const runs = await runDueTasks(stub, { until: due });
    expect(runs.map((r) => [r.id, r.ok])).toEqual([
      ["a", true],
      ["c", true],
    ]);
    const left = await runInDurableObject(stub, (o) => o.scheduler.list().map((t) => [t.id, t.kind]));
    expect(left).toEqual([["b", "every"]]);
    expect(await stub.row("b")).toEqual({ attempts: 0, claimed: null });
  });

  // Guards "the attempt count is durable before the handler runs" with tasks that succeeded
  // before the crash in the same batch (their acknowledgements are deferred on sched2).
  it("ctx.abort() in the middle of a batch: the crashing task is redelivered with attempt 2, every task ends", async () => {
    const name = "review-abort-mid-batch";
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      const now = Date.now();
      o.scheduler.at(now - 4000, "record", {}, { id: "a" });
      o.scheduler.at(now - 3000, "record", {}, { id: "b" });
      o.scheduler.at(now - 2000, "dies", { upTo: 1 }, { id: "d", retry: { attempts: 3 } });
      o.scheduler.at(now - 1000, "record", {}, { id: "c" });
    });
    for (let i = 0; i < 6; i++) await settle(runDueTasks(env.TASKS.getByName(name)));
    const stub = env.TASKS.getByName(name);
    const runs = await stub.runs();
    expect(runs.filter((r) => r.id === "d").map((r) => r.attempt)).toEqual([2]);
    expect([...new Set(runs.map((r) => r.id))].sort()).toEqual(["a", "b", "c", "d"]);
    expect(await stub.deadLog()).toEqual([]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  // Guards the marks across a new handle: the tasks that succeeded before the trap were marked
  // done on the old handle and must be acknowledged, not run again.
  it("a trap in the middle of a batch: the tasks that succeeded before it do not run again", async () => {
    const stub = env.TASKS.getByName("review-trap-mid-batch");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      o.scheduler.at(now - 3000, "record", {}, { id: "a" });
      o.scheduler.at(now - 2000, "trapOnce", {}, { id: "t" });
      o.scheduler.at(now - 1000, "record", {}, { id: "c" });
    });
    await runDueTasks(stub, { until: Date.now() + HOUR });
    expect((await stub.runs()).map((r) => r.id)).toEqual(["a", "t", "c"]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("a task whose handler is missing fails with TASK_METHOD in the middle of a batch; the others run once", async () => {
    const stub = env.TASKS.getByName("review-missing-method");
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      o.scheduler.at(now - 3000, "record", {}, { id: "a" });
      o.scheduler.at(now - 2000, "record", {}, { id: "gone", retry: { attempts: 1 } });
      o.scheduler.at(now - 1000, "record", {}, { id: "c" });
    });
    await stub.renameStoredMethod("gone", "renamedAway");
    const runs = await runDueTasks(stub);
    expect(runs.map((r) => [r.id, r.ok])).toEqual([
      ["a", true],
      ["gone", false],
      ["c", true],
    ]);
    expect(runs[1]!.error).toContain("renamedAway is not a task handler");
    expect((await stub.deadLog()).map((d) => d.id)).toEqual(["gone"]);
    expect((await stub.runs()).map((r) => r.id)).toEqual(["a", "c"]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  // Guards the batch's one DELETE (json_each over the ids): ids that need escaping, NUL included.
  it("ids holding NUL, quotes, backslashes and line separators run once and are acknowledged", async () => {
    const stub = env.TASKS.getByName("review-odd-ids");
    const ids = ["nul\u0000x", "quote\"d", "back\\slash", "sep\u2028ara", "\u0001", "emoji 😀"];
    await runInDurableObject(stub, (o) => {
      const now = Date.now();
      ids.forEach((id, i) => o.scheduler.at(now - 10_000 + i, "record", { id }, { id }));
    });
    const runs = await runDueTasks(stub);
    expect(runs.map((r) => [r.id, r.ok])).toEqual(ids.map((id) => [id, true]));
    expect(await stub.count("_dc_tasks")).toBe(0);
    expect(await runDueTasks(stub, { until: Date.now() + HOUR })).toEqual([]);
  });
});

describe("the alarm after generated one-shots (the covered INSERT of sched1)", () => {
  // Guards "a rolled-back schedule leaves later tasks without an alarm" through sync and async
  // transactions, rolled-back cancels and schedules on either side of the armed time.
  it("stays on the earliest task through rolled-back schedules and cancels of every kind", async () => {
    const stub = env.TASKS.getByName("review-covered-rollbacks");
    const t0 = Date.now();
    const steps: [string, (o: import("./fixtures/scheduler").Tasks) => unknown][] = [
      ["at +2h", (o) => o.scheduler.at(t0 + 2 * HOUR, "record", {})],
      ["sync rollback +1h", (o) => o.scheduleInRollback("raw", t0 + HOUR, "p1")],
      ["at +1.5h", (o) => o.scheduler.at(t0 + 1.5 * HOUR, "record", {})],
      ["cancel all, rolled back", (o) => o.cancelAllInRollback()],
      ["at +3h", (o) => o.scheduler.at(t0 + 3 * HOUR, "record", {})],
      ["async rollback +0.5h", (o) => o.scheduleInAsyncRollback(t0 + 0.5 * HOUR)],
      ["at +1h", (o) => o.scheduler.at(t0 + HOUR, "record", {})],
      ["at +1h again", (o) => o.scheduler.at(t0 + HOUR, "record", {})],
      ["async rollback +0.25h", (o) => o.scheduleInAsyncRollback(t0 + 0.25 * HOUR)],
      ["sql rollback +0.3h", (o) => o.scheduleInRollback("sql", t0 + 0.3 * HOUR, "p2")],
      ["at +0.75h", (o) => o.scheduler.at(t0 + 0.75 * HOUR, "record", {})],
      ["at +4h", (o) => o.scheduler.at(t0 + 4 * HOUR, "record", {})],
    ];
    for (const [label, step] of steps) {
      await runInDurableObject(stub, async (o) => {
        await step(o);
      });
      const { alarm, earliest } = await stub.alarmAndEarliest();
      expect([label, alarm]).toEqual([label, earliest]);
    }
    expect((await stub.alarmAndEarliest()).earliest).toBe(t0 + 0.75 * HOUR);
  });

  // Guards the mid-run case: an at() from another request while a run's handler waits (a test
  // run: a real past-due alarm fires on its own in this pool, so it cannot be timed).
  it("an at() made while a run is under way is armed by the run's end; a later one stays covered", async () => {
    const stub = env.TASKS.getByName("review-covered-mid-run");
    const t0 = Date.now();
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(t0 + 0.1 * HOUR, "recordLater", {}, { id: "slow" });
      o.scheduler.at(t0 + 3 * HOUR, "record", {});
    });
    const run = runDueTasks(stub, { until: t0 + 0.1 * HOUR });
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(t0 + HOUR, "record", {});
    });
    expect((await run).map((r) => r.id)).toEqual(["slow"]);
    expect(await stub.alarmAndEarliest()).toEqual({ alarm: t0 + HOUR, earliest: t0 + HOUR });
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(t0 + 2 * HOUR, "record", {});
      o.scheduler.at(t0 + 0.5 * HOUR, "record", {});
    });
    expect(await stub.alarmAndEarliest()).toEqual({ alarm: t0 + 0.5 * HOUR, earliest: t0 + 0.5 * HOUR });
  });

  it("after deleteAll (durable-core's or a raw one) the next generated at() arms the alarm", async () => {
    const stub = env.TASKS.getByName("review-covered-delete-all");
    const t0 = Date.now();
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(t0 + HOUR, "record", {});
    });
    await runInDurableObject(stub, (o) => o.deleteAll());
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(t0 + 2 * HOUR, "record", {});
    });
    expect(await stub.alarmAndEarliest()).toEqual({ alarm: t0 + 2 * HOUR, earliest: t0 + 2 * HOUR });
    await stub.rawDeleteAll();
    const first = await runInDurableObject(stub, (o) => {
      try {
        o.scheduler.at(t0 + 3 * HOUR, "record", {});
        return "done";
      } catch (error) {
        return (error as { code?: string }).code;
      }
    });
    // STORAGE_RESET: the call did not complete; retry it, as its message says.
    if (first !== "done") {
      expect(first).toBe("STORAGE_RESET");
      await runInDurableObject(stub, (o) => {
        o.scheduler.at(t0 + 3 * HOUR, "record", {});
      });
    }
    const after = await stub.alarmAndEarliest();
    expect(after.earliest).toBe(t0 + 3 * HOUR);
    expect(after.alarm).toBe(t0 + 3 * HOUR);
  });
});

