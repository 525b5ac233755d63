// The scheduler under faults: one test per defect of issue 11, each of which failed on the
// build before its fix. The model-based test is in scheduler-model.test.ts.
import { env } from "cloudflare:workers";
import { evictDurableObject, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { DurableCoreError } from "durable-core";
import { alarmWriteCount, runDueTasks } from "durable-core/testing";
import { describe, expect, it } from "vitest";

const HOUR = 3_600_000;

/** `leaf` under `depth` plain objects. */
const nested = (depth: number, leaf: unknown): unknown => (depth === 0 ? leaf : { next: nested(depth - 1, leaf) });

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(DurableCoreError);
    return (error as DurableCoreError).code;
  }
  return undefined;
}

async function settle<T>(promise: Promise<T>): Promise<T | "aborted"> {
  try {
    return await promise;
  } catch {
    return "aborted";
  }
}

async function waitFor(check: () => Promise<boolean>, tries = 250): Promise<void> {
  for (let i = 0; i < tries && !(await check()); i++) await new Promise((r) => setTimeout(r, 20));
}

describe("defect 1: a handler that ends its invocation", () => {
  it("is redelivered with a higher attempt, and the tasks behind it run", async () => {
    const name = "dies-once";
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      const now = Date.now();
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
    const runs = await stub.runs();
    expect(runs.find((r) => r.id === "dies")?.attempt).toBe(2);
    expect(runs.map((r) => r.id).sort()).toEqual(["behind-1", "behind-2", "dies"]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("reaches dead letters after its attempts when it always does, and cannot stall the queue", async () => {
    const name = "dies-always";
    await runInDurableObject(env.TASKS.getByName(name), (o) => {
      const now = Date.now();
      // More attempts than the platform's alarm retries (6): only counting each one durably ends it.
      o.scheduler.at(now - 3000, "dies", { upTo: 99 }, { id: "poison", retry: { attempts: 8 } });
      o.scheduler.at(now - 2000, "record", {}, { id: "behind-1" });
      o.scheduler.at(now - 1000, "record", {}, { id: "behind-2" });
    });
    for (let i = 0; i < 12; i++) await settle(runDueTasks(env.TASKS.getByName(name)));
    const stub = env.TASKS.getByName(name);
    expect((await stub.deadLog()).map((d) => d.id)).toEqual(["poison"]);
    expect((await stub.runs()).map((r) => r.id).sort()).toEqual(["behind-1", "behind-2"]);
    const failed = await runInDurableObject(stub, (o) => o.scheduler.failed());
    expect(failed.map((f) => [f.id, f.attempts])).toEqual([["poison", 8]]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });
});

describe("defect 2: a schedule rolled back with its transaction", () => {
  for (const kind of ["sql", "store", "raw"] as const) {
    it(`leaves the next task its alarm (${kind} transaction)`, async () => {
      const stub = env.TASKS.getByName(`rollback-${kind}`);
      const later = await runInDurableObject(stub, (o) => {
        o.scheduleInRollback(kind, Date.now() + HOUR, "phantom");
        expect(o.scheduler.get("phantom")).toBeUndefined();
        return o.scheduler.at(Date.now() + 2 * HOUR, "record", {}, { id: "later" }).due;
      });
      expect(await stub.alarmTime()).toBe(later);
      // The same with generated ids (the guarded hot INSERT).
      const sooner = await runInDurableObject(stub, (o) => {
        o.scheduleInRollback(kind, Date.now() + HOUR / 2, "phantom-2");
        return o.scheduler.at(Date.now() + HOUR, "record", {}).due;
      });
      expect(await stub.alarmTime()).toBe(sooner);
    });
  }

  it("a rolled-back earlier task leaves the armed alarm right after a cancel", async () => {
    const stub = env.TASKS.getByName("rollback-cancel");
    const later = await runInDurableObject(stub, (o) => {
      const first = o.scheduler.at(Date.now() + HOUR, "record", {}, { id: "first" });
      const later = o.scheduler.at(Date.now() + 3 * HOUR, "record", {}, { id: "later" });
      o.scheduleInRollback("sql", Date.now() + 2 * HOUR, "phantom");
      expect(o.scheduler.cancel(first.id)).toBe(true);
      return later.due;
    });
    expect(await stub.alarmTime()).toBe(later);
  });
});

describe("defect 3: replacing a claimed task that has not started", () => {
  it("runs the new definition, once, and keeps it until its own run", async () => {
    const stub = env.TASKS.getByName("replace-claimed");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      // One due time: A and B are claimed in the same batch, A first (ties run by id).
      o.scheduler.at(now + HOUR, "reRegister", { id: "B", payload: { v: 2 } }, { id: "A" });
      o.scheduler.at(now + HOUR, "record", { v: 1 }, { id: "B" });
    });
    await runDueTasks(stub, { until: now + 2 * HOUR });
    const b = (await stub.payloads()).filter((r) => r.id === "B");
    expect(b.map((r) => JSON.parse(r.payload))).toEqual([{ v: 2 }]);
    expect(await stub.count("_dc_tasks")).toBe(0);
  });

  it("a replacement made later is never deleted by the older delivery's acknowledgement", async () => {
    const stub = env.TASKS.getByName("replace-later");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(now + HOUR, "reRegister", { id: "B", payload: { v: 2 } }, { id: "A" });
      o.scheduler.at(now + HOUR, "record", { v: 1 }, { id: "B" });
      o.scheduler.at(now + 5 * HOUR, "record", { v: 0 }, { id: "B2" });
    });
    await runDueTasks(stub, { until: now + 2 * HOUR });
    expect(await runInDurableObject(stub, (o) => o.scheduler.get("B"))).toBeUndefined();
    expect((await stub.payloads()).filter((r) => r.id === "B").length).toBe(1);
  });
});

describe("defect 4: retryFailed on a recurring task", () => {
  it("runs the failed occurrence and keeps the next one", async () => {
    const stub = env.TASKS.getByName("monthly");
    const january = await runInDurableObject(stub, (o) => {
      o.failCharges(true);
      return o.scheduler.cron("0 9 1 * *", "charge", { plan: "pro" }, { id: "m", retry: { attempts: 1 } }).due;
    });
    await runDueTasks(stub, { until: january });
    expect((await stub.deadLog()).map((d) => d.id)).toContain("m");
    const february = await runInDurableObject(stub, (o) => {
      o.failCharges(false);
      const live = o.scheduler.get("m")!.due;
      expect(live).toBeGreaterThan(january);
      o.scheduler.retryFailed("m");
      return live;
    });
    await runDueTasks(stub);
    expect(await runInDurableObject(stub, (o) => o.scheduler.get("m")!.due)).toBe(february);
    await runDueTasks(stub, { until: february });
    const charges = (await stub.runs()).filter((r) => r.method === "charge").map((r) => r.scheduled_at);
    expect(charges).toEqual([january, february]);
  });
});

describe("defect 5: waking for the alarm", () => {
  it("does not re-arm the firing alarm from the start-up block", async () => {
    const stub = env.TASKS.getByName("wake-for-alarm");
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(Date.now() + 1_500, "record", {}, { id: "soon" });
    });
    await evictDurableObject(stub);
    // The local runtime fires the alarm by itself: the object wakes for it.
    await waitFor(async () => (await stub.runs()).length > 0);
    expect((await stub.runs()).map((r) => r.id)).toEqual(["soon"]);
    expect(await alarmWriteCount(stub)).toBe(0);
    expect(await stub.alarmTime()).toBeNull();
  });
});

describe("defect 6 and 7: runDueTasks is a faithful simulation", () => {
  it("a handler that schedules again reads the simulated clock", async () => {
    const stub = env.TASKS.getByName("turn-timer");
    const t0 = Date.now();
    await runInDurableObject(stub, (o) => {
      o.scheduler.after(30_000, "tick", undefined, { id: "tick" });
    });
    const runs = await runDueTasks(stub, { until: t0 + 65_000 });
    expect(runs.map((r) => r.method)).toEqual(["tick", "tick"]);
    const fired = (await stub.payloads()).map((r) => (JSON.parse(r.payload) as { firedAt: number }).firedAt - t0);
    expect(fired.length).toBe(2);
    expect(fired[0]).toBeGreaterThanOrEqual(30_000);
    expect(fired[0]).toBeLessThan(31_000);
    expect(fired[1]).toBeGreaterThanOrEqual(60_000);
    expect(fired[1]).toBeLessThan(62_000);
  });

  it("maxRuns is exact", async () => {
    const stub = env.TASKS.getByName("max-runs");
    const now = Date.now();
    await runInDurableObject(stub, (o) => {
      for (let i = 0; i < 30; i++) o.scheduler.at(now + HOUR + (i % 3), "record", { i });
    });
    expect((await runDueTasks(stub, { until: now + 2 * HOUR, maxRuns: 10 })).length).toBe(10);
    expect(await stub.count("_dc_tasks")).toBe(20);
    expect((await runDueTasks(stub, { until: now + 2 * HOUR, maxRuns: 7 })).length).toBe(7);
  });
});

describe("defect 8 and 9, and ids: input checks before anything reaches the engine", () => {
  it("refuses lifecycle methods with TASK_METHOD", async () => {
    await runInDurableObject(env.TASKS.getByName("lifecycle"), (o) => {
      for (const method of ["alarm", "fetch", "constructor", "webSocketMessage", "webSocketClose", "onStart", "onTaskFailed"]) {
        expect(codeOf(() => o.scheduler.after(0, method as never)), method).toBe("TASK_METHOD");
      }
      expect(o.count("_dc_tasks")).toBe(0);
    });
  });

  it("refuses payloads holding a function or over the 2 MB value limit with TASK_PAYLOAD", async () => {
    const stub = env.TASKS.getByName("payload-checks");
    await runInDurableObject(stub, (o) => {
      expect(codeOf(() => o.scheduler.after(10, "record", { n: 1, f: () => 1 }))).toBe("TASK_PAYLOAD");
      expect(codeOf(() => o.scheduler.after(10, "record", [1, Symbol("s")]))).toBe("TASK_PAYLOAD");
      expect(codeOf(() => o.scheduler.after(10, "record", { big: "x".repeat(2_000_001) }))).toBe("TASK_PAYLOAD");
      expect(codeOf(() => o.scheduler.after(10, "record", { big: "é".repeat(1_000_000) }))).toBe("TASK_PAYLOAD");
      expect(o.scheduler.after(10, "record", { ok: "x".repeat(100_000) }).payload).toEqual({ ok: "x".repeat(100_000) });
      expect(o.count("_dc_tasks")).toBe(1);
    });
    expect(await alarmWriteCount(stub)).toBe(1);
  });

  it("refuses a function or symbol wherever JSON would meet it: deep, behind toJSON, behind a throwing getter, in a shared graph", async () => {
    // JSON.stringify drops a function or symbol silently wherever it meets one: each case is a
    // place one can hide from a check that looks only at the top, or only at own values.
    let shared: unknown = { n: 1, f: () => 1 };
    for (let i = 0; i < 24; i++) shared = { a: shared, b: shared, c: shared };
    const refused: [string, unknown][] = [
      ["a function 10 deep", nested(10, () => 1)],
      ["a function 40 deep", nested(40, () => 1)],
      ["a symbol 40 deep in an array", [nested(40, [Symbol("s")])]],
      ["toJSON returning a function", { toJSON: () => ({ f: () => 1 }) }],
      ["a nested toJSON returning a symbol", { a: [1, { toJSON: () => Symbol("s") }] }],
      ["an array whose own toJSON returns a function", { list: Object.assign([1, 2], { toJSON: () => () => 1 }) }],
      ["a throwing getter", { get x(): number { throw new Error("no") } }],
      ["a function under 3^24 shared paths", shared],
      ["a cycle", (() => { const c: Record<string, unknown> = { n: 1 }; c.self = c; return c; })()],
    ];
    await runInDurableObject(env.TASKS.getByName("payload-walk"), (o) => {
      for (const [what, payload] of refused) expect(codeOf(() => o.scheduler.after(10, "record", payload)), what).toBe("TASK_PAYLOAD");
      expect(o.count("_dc_tasks")).toBe(0);
    });
  });

  it("stores every payload as its JSON text, plain or not: the task, get() and list() see JSON.parse(JSON.stringify(payload))", async () => {
    class Point {
      constructor(readonly x: number, readonly y: number) {}
    }
    const bare = Object.create(null) as Record<string, unknown>;
    bare.k = [1, , 3];
    const payloads: unknown[] = [
      { n: 1, gone: undefined, nan: Number.NaN, inf: -Infinity, zero: -0 },
      [undefined, null, true, "s", [[], {}]],
      bare,
      { at: new Date(0), map: new Map([[1, 2]]), point: new Point(1, 2) },
      { deep: nested(40, { leaf: 1 }) },
      { get computed() { return { v: 2 }; } },
      "text",
      0,
      false,
      null,
    ];
    await runInDurableObject(env.TASKS.getByName("payload-forms"), (o) => {
      payloads.forEach((payload, i) => {
        const stored = JSON.parse(JSON.stringify(payload));
        const task = o.scheduler.after(10 + i, "record", payload, { id: `p${i}` });
        expect(task.payload, `task ${i}`).toEqual(stored);
        expect(o.scheduler.get(`p${i}`)!.payload, `get ${i}`).toEqual(stored);
      });
      expect(o.scheduler.list().map((task) => task.payload)).toEqual(payloads.map((payload) => JSON.parse(JSON.stringify(payload))));
    });
  });

  it("writes a payload's text byte for byte as JSON.stringify does, reading each field once", async () => {
    // The contract any shortcut around the checked walk must keep (one was tried and taken out:
    // docs/reports/s1-s2-scheduler.md): the stored text is JSON.stringify's, and JSON's one read
    // of each field decides. Each case is an edge a shortcut could get wrong.
    const bare = Object.assign(Object.create(null) as object, { k: 1, s: "bare" });
    const payloads: unknown[] = [
      { i: 1 },
      {},
      { gone: undefined },
      { gone: undefined, kept: 2, also: undefined },
      { nan: Number.NaN, inf: Infinity, ninf: -Infinity, zero: -0, tiny: 1.5e-7, huge: 1e21, neg: -3, max: Number.MAX_VALUE },
      { b: 1, 2: "two", a: 0, 1: "one", "-1": "minus", "01": "lead" },
      { 'quo"te\n\u2028': 'va"l\\ue\n\u2028\u0000', lone: "\ud800", pair: "😀", empty: "" },
      bare,
      JSON.parse('{"__proto__": 1, "x": 2}'),
      { yes: true, no: false, nil: null },
      { toJSON: 1 },
      Object.setPrototypeOf([1, 2], Object.prototype),
      Object.setPrototypeOf(new String("ab"), Object.prototype),
      Object.setPrototypeOf(new Boolean(false), null),
      new Proxy({ x: 1 }, { get: (target, key) => (key === "toJSON" ? () => "T" : Reflect.get(target, key)) }),
      "text",
      12.5,
      -0,
      Number.NaN,
      true,
      null,
    ];
    // A getter whose first read differs from the later ones: a check followed by JSON.stringify
    // reads it twice, and what JSON stores or refuses would follow the second read.
    let reads = 0;
    /** `{ ...before, x, ...after }` with `x` a getter whose first read is `first()`. */
    const shifting = (first: () => unknown, later: () => unknown, before: object = {}, after: object = {}) => {
      reads = 0;
      const payload = Object.defineProperty({ ...before }, "x", {
        get: () => (++reads === 1 ? first() : later()),
        enumerable: true,
      });
      return Object.assign(payload, after);
    };
    const fn = () => () => 1;
    const one = () => 1;
    const boom = (): never => {
      throw new Error("no");
    };
    /** Runs `fn` with `name` defined on Object.prototype by `descriptor`, then takes it away. */
    const withOnObjectPrototype = (name: string, descriptor: PropertyDescriptor, fn: () => void) => {
      Object.defineProperty(Object.prototype, name, { configurable: true, ...descriptor });
      try {
        fn();
      } finally {
        delete (Object.prototype as Record<string, unknown>)[name];
      }
    };
    await runInDurableObject(env.TASKS.getByName("payload-flat"), (o, state) => {
      const storedText = (id: string) => state.storage.sql.exec("SELECT payload FROM _dc_tasks WHERE id = ?", id).one().payload;
      payloads.forEach((payload, i) => {
        o.scheduler.after(10 + i, "record", payload, { id: `f${i}` });
        expect(storedText(`f${i}`), `payload ${i}`).toBe(JSON.stringify(payload));
      });
      const task = o.scheduler.after(10, "record", shifting(one, fn), { id: "shifting" });
      expect(reads).toBe(1);
      expect(task.payload).toEqual({ x: 1 });
      expect(storedText("shifting")).toBe('{"x":1}');
      // Beside plain and nested fields, before and after it: a shortcut that reads `x` and then
      // gives up at a nested field must not read it again.
      const besides: [string, object, object, string][] = [
        ["plain before", { n: 1 }, {}, '{"n":1,"x":1}'],
        ["nested before", { y: {} }, {}, '{"y":{},"x":1}'],
        ["nested after", {}, { y: {} }, '{"x":1,"y":{}}'],
        ["plain, then nested after", { n: 1 }, { y: [2] }, '{"n":1,"x":1,"y":[2]}'],
      ];
      for (const [what, before, after, text] of besides) {
        o.scheduler.after(10, "record", shifting(one, fn, before, after), { id: `shifting ${what}` });
        expect(reads, what).toBe(1);
        expect(storedText(`shifting ${what}`), what).toBe(text);
      }
      for (const [what, first] of [["a function", fn], ["a throw", boom]] as const) {
        for (const after of [{}, { y: {} }]) {
          const count = o.count("_dc_tasks");
          const label = `first read ${what}, ${Object.keys(after).length} field after`;
          expect(codeOf(() => o.scheduler.after(10, "record", shifting(first, one, {}, after))), label).toBe("TASK_PAYLOAD");
          expect(reads, label).toBe(1);
          expect(o.count("_dc_tasks"), label).toBe(count);
        }
      }

      // A toJSON anywhere on the way, even one not enumerable on Object.prototype, is JSON's to call.
      withOnObjectPrototype("toJSON", { value: () => ({ via: "toJSON" }), writable: true }, () => {
        o.scheduler.after(10, "record", { i: 1 }, { id: "inherited-toJSON" });
        o.scheduler.after(10, "record", Object.assign(Object.create(null) as object, { i: 3 }), { id: "bare-no-toJSON" });
      });
      expect(storedText("inherited-toJSON")).toBe('{"via":"toJSON"}');
      expect(storedText("bare-no-toJSON")).toBe('{"i":3}');
      // An inherited enumerable field is for...in's, not JSON's.
      withOnObjectPrototype("polluted", { value: 1, enumerable: true, writable: true }, () => {
        o.scheduler.after(10, "record", { i: 2 }, { id: "inherited-field" });
      });
      expect(storedText("inherited-field")).toBe('{"i":2}');
      // A setter on Object.prototype: JSON writes the payload's own field, and never calls it.
      let setterCalls = 0;
      withOnObjectPrototype("x", { set: () => void setterCalls++ }, () => {
        o.scheduler.after(10, "record", JSON.parse('{"x":1}'), { id: "inherited-setter" });
      });
      expect(storedText("inherited-setter")).toBe('{"x":1}');
      expect(setterCalls).toBe(0);

      // Refused as before: a getter that yields a function, or throws; a proxy whose traps throw.
      const count = o.count("_dc_tasks");
      const refused: [string, unknown][] = [
        ["a getter returning a function", { get f() { return () => 1; } }],
        ["a throwing getter beside plain fields", { n: 1, get x(): number { throw new Error("no"); } }],
        ["a proxy whose ownKeys throws", new Proxy({}, { ownKeys() { throw new Error("no keys"); } })],
        ["a revoked proxy", (() => { const r = Proxy.revocable({}, {}); r.revoke(); return r.proxy; })()],
        ["a boxed bigint without a prototype", Object.setPrototypeOf(Object(1n), null)],
      ];
      for (const [what, payload] of refused) expect(codeOf(() => o.scheduler.after(10, "record", payload)), what).toBe("TASK_PAYLOAD");
      expect(o.count("_dc_tasks")).toBe(count);
    });
  });

  it("refuses ids that are not 1 to 512 bytes of well-formed text with TASK_SCHEDULE", async () => {
    await runInDurableObject(env.TASKS.getByName("id-checks"), (o) => {
      const s = o.scheduler;
      expect(codeOf(() => s.after(10, "record", {}, { id: "x".repeat(513) }))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.after(10, "record", {}, { id: "é".repeat(257) }))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.after(10, "record", {}, { id: "" }))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.after(10, "record", {}, { id: 42 as never }))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.after(10, "record", {}, { id: "\uD800x" }))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.cancel(7 as never))).toBe("TASK_SCHEDULE");
      expect(codeOf(() => s.get("y".repeat(10_000)))).toBe("TASK_SCHEDULE");
      expect(s.after(10, "record", {}, { id: "é".repeat(256) }).id.length).toBe(256);
      expect(o.count("_dc_tasks")).toBe(1);
    });
  });
});

describe("defect 10: the real alarm and runDueTasks", () => {
  it("runDueTasks reports a task the real alarm already ran, exactly once", async () => {
    const stub = env.TASKS.getByName("real-alarm-race");
    await runInDurableObject(stub, (o) => {
      o.scheduler.at(Date.now() - 1, "record", {}, { id: "now" });
    });
    // Let the local runtime's own alarm run it first: the case that used to return [].
    await waitFor(async () => (await stub.runs()).length > 0);
    expect((await runDueTasks(stub)).map((r) => r.id)).toEqual(["now"]);
    expect(await runDueTasks(stub)).toEqual([]);
  });
});

describe("defect 11: a recurring handler sees its next occurrence", () => {
  it("passes next to every and cron handlers, undefined to one-shots", async () => {
    const stub = env.TASKS.getByName("next");
    const now = Date.now();
    const [every, cron] = await runInDurableObject(stub, (o) => [
      o.scheduler.every(60_000, "seeNext", undefined, { id: "every" }).due,
      o.scheduler.cron("0 * * * *", "seeNext", undefined, { id: "cron" }).due,
      o.scheduler.at(now + 10, "seeNext", undefined, { id: "once" }).due,
    ]);
    await runDueTasks(stub, { until: Math.max(every!, cron!) });
    const seen = new Map<string, number | null>();
    for (const run of await stub.payloads()) {
      if (!seen.has(run.id)) seen.set(run.id, (JSON.parse(run.payload) as { next: number | null }).next);
    }
    expect(seen.get("once")).toBeNull();
    expect(seen.get("every")).toBe(every! + 60_000);
    expect(seen.get("cron")).toBe(cron! + HOUR);
    expect(await runInDurableObject(stub, (o) => o.scheduler.get("cron")!.due)).toBe(cron! + HOUR);
  });
});

describe("defect 12: handlers off the RPC surface", () => {
  it("runs a taskHandlers entry that no RPC caller can reach", async () => {
    const stub = env.TASKS.getByName("hidden");
    await runInDurableObject(stub, (o) => {
      o.scheduler.after(0, "hidden", { secret: 1 }, { id: "h" });
    });
    expect((await runDueTasks(stub)).map((r) => [r.id, r.ok])).toEqual([["h", true]]);
    expect((await stub.runs()).map((r) => r.method)).toEqual(["hidden"]);
    let refused = "";
    try {
      await (stub as unknown as { hidden(payload: unknown, task: unknown): Promise<void> }).hidden({ secret: 2 }, {});
    } catch (error) {
      refused = String(error);
    }
    expect(refused).toContain("does not implement");
    expect((await stub.runs()).length).toBe(1);
  });
});
